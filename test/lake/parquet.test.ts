// Topics as plain Parquet files, read back by two readers that share no code with the writer:
// DuckDB's read_parquet and hyparquet. Every record must be one row with the right typed
// values, for Avro, JSON Schema and Protobuf topics with nested and logical types.

import { describe, expect, test } from "bun:test";
import { basename, dirname, join } from "node:path";
import { LakeValueError, tableSchema } from "../../src/lake/lake.ts";
import { tempDir } from "../harness/temp-dir.ts";
import { lakeOpener } from "./lakes.ts";
import { duckdb, duckRows, hyparquetDisagreements, hyparquetRows, parquetFiles, sqlList } from "./readers.ts";
import { avroTopic, metadataOf, recordsOf, recordTime, TOPICS, type TopicFixture } from "./topics.ts";

const openLake = lakeOpener({ format: "parquet" });

const COUNT = 24;
const PARTITIONS = 3;

/** Record i of the fixture is at partition i % PARTITIONS, offset i / PARTITIONS. */
const indexOf = (row: Record<string, unknown>) => Number(row.offset) * PARTITIONS + Number(row.partition);

/** Checks every row DuckDB reads from `files` against the fixture, and every file through hyparquet. */
async function expectRows(topic: TopicFixture, files: string[], count: number): Promise<void> {
  const records = recordsOf(topic, count, PARTITIONS);
  const expected = (i: number) => ({ ...topic.expected(i), ...metadataOf(records[i]!) });
  const rows = await duckRows(files);
  expect(rows.map(indexOf).sort((a, b) => a - b)).toEqual(records.map((_, i) => i));
  for (const row of rows) {
    const i = indexOf(row);
    expect(row).toMatchObject(expected(i));
    expect(row.headers).toEqual([
      { key: "trace", value: `t-${i}` },
      { key: "empty", value: null },
    ]);
  }
  let read = 0;
  for (const file of files) {
    for (const row of await hyparquetRows(file)) {
      const { headers, ...columns } = row;
      expect(hyparquetDisagreements(expected(indexOf(row)), columns)).toEqual([]);
      expect(headers).toEqual({ trace: new TextEncoder().encode(`t-${indexOf(row)}`), empty: null });
      read++;
    }
  }
  expect(read).toBe(count);
}

describe("parquet: every record one typed row", () => {
  for (const topic of TOPICS) {
    test(`${topic.name}: read back by DuckDB and hyparquet`, async () => {
      const dir = tempDir("tansu-lake-");
      const lake = await openLake(dir);
      // Two writes that share one commit: the batch closes at 24 records.
      const records = recordsOf(topic, COUNT, PARTITIONS);
      const configs = { "tansu.lake.commit.records": String(COUNT) };
      await Promise.all([
        lake.write(topic.name, tableSchema(topic.schema), records.slice(0, 10), configs),
        lake.write(topic.name, tableSchema(topic.schema), records.slice(10), configs),
      ]);
      const files = parquetFiles(join(dir, "tansu", topic.name));
      // One file per Kafka partition, named for the offsets it holds.
      expect(files.map((file) => basename(file))).toEqual([0, 1, 2].map((p) => `p${p}-${"0".padStart(20, "0")}-${"7".padStart(20, "0")}.parquet`));
      await expectRows(topic, files, COUNT);
    });
  }

  test("columns carry their Parquet logical types", async () => {
    const dir = tempDir("tansu-lake-");
    const lake = await openLake(dir);
    await lake.write(avroTopic.name, tableSchema(avroTopic.schema), recordsOf(avroTopic, 3), { "tansu.lake.commit.records": "3" });
    const [file] = parquetFiles(join(dir, "tansu", avroTopic.name));
    const types = Object.fromEntries(
      (await duckdb(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlList([file!])}))`)).map((row) => [row.column_name, row.column_type]),
    );
    expect(types).toMatchObject({
      id: "BIGINT",
      amount: "DECIMAL(10,2)",
      placed: "TIMESTAMP WITH TIME ZONE",
      local: "TIMESTAMP",
      due: "DATE",
      at: "TIME",
      ref: "UUID",
      tags: "VARCHAR[]",
      counts: "MAP(VARCHAR, INTEGER)",
      address: "STRUCT(street VARCHAR, zip INTEGER)",
      either: 'STRUCT("int" INTEGER, string VARCHAR)',
      key: "STRUCT(id BIGINT)",
      partition: "INTEGER",
      offset: "BIGINT",
      timestamp: "TIMESTAMP WITH TIME ZONE",
      headers: "MAP(VARCHAR, BLOB)",
    });
  });
});

describe("parquet: partitioning, resuming, batching", () => {
  test("day(timestamp) puts each day's rows in its own directory", async () => {
    const dir = tempDir("tansu-lake-");
    const lake = await openLake(dir);
    const configs = { "tansu.lake.partition": "day(timestamp)", "tansu.lake.commit.records": String(COUNT) };
    await lake.write(avroTopic.name, tableSchema(avroTopic.schema), recordsOf(avroTopic, COUNT, PARTITIONS), configs);
    const files = parquetFiles(join(dir, "tansu", avroTopic.name));
    const days = new Set(Array.from({ length: COUNT }, (_, i) => new Date(recordTime(i)).toISOString().slice(0, 10)));
    expect(new Set(files.map((file) => basename(dirname(file))))).toEqual(new Set([...days].map((day) => `timestamp_day=${day}`)));
    for (const file of files) {
      const day = basename(dirname(file)).slice("timestamp_day=".length);
      const [row] = await duckdb(`SELECT min("timestamp")::DATE::VARCHAR AS low, max("timestamp")::DATE::VARCHAR AS high FROM read_parquet(${sqlList([file])}, hive_partitioning = false)`);
      expect(row).toEqual({ low: day, high: day });
    }
    await expectRows(avroTopic, files, COUNT);
  });

  test("ends() says where each partition resumes, also after a restart, and rewriting the same rows adds nothing", async () => {
    const dir = tempDir("tansu-lake-");
    const lake = await openLake(dir);
    const schema = tableSchema(avroTopic.schema);
    const configs = { "tansu.lake.commit.records": "1000000" };
    const records = recordsOf(avroTopic, COUNT, PARTITIONS);
    const written = lake.write(avroTopic.name, schema, records, configs);
    await lake.flush();
    await written;
    const ends = new Map([[0, 8n], [1, 8n], [2, 8n]]);
    expect(await lake.ends(avroTopic.name, configs)).toEqual(ends);

    const restarted = await openLake(dir);
    expect(await restarted.ends(avroTopic.name, configs)).toEqual(ends);
    const again = restarted.write(avroTopic.name, schema, records, configs);
    await restarted.flush();
    await again;
    await expectRows(avroTopic, parquetFiles(join(dir, "tansu", avroTopic.name)), COUNT);
  });

  test("a commit comes due by time: the write resolves without a flush", async () => {
    const dir = tempDir("tansu-lake-");
    const lake = await openLake(dir);
    await lake.write(avroTopic.name, tableSchema(avroTopic.schema), recordsOf(avroTopic, 2), {
      "tansu.lake.commit.interval.ms": "20",
      "tansu.lake.commit.records": "1000000",
    });
    expect(parquetFiles(join(dir, "tansu", avroTopic.name))).toHaveLength(1);
  });

  test("tansu.lake.enable=false writes nothing", async () => {
    const dir = tempDir("tansu-lake-");
    const lake = await openLake(dir);
    await lake.write(avroTopic.name, tableSchema(avroTopic.schema), recordsOf(avroTopic, 2), { "tansu.lake.enable": "false", "tansu.lake.commit.records": "1" });
    await lake.flush();
    expect(parquetFiles(join(dir, "tansu", avroTopic.name))).toEqual([]);
  });

  test("a record that does not fit the columns is refused with where and why, and nothing of its write is kept", async () => {
    const dir = tempDir("tansu-lake-");
    const lake = await openLake(dir);
    const [good, bad] = recordsOf(avroTopic, 2);
    const tombstone = { ...bad!, value: null };
    const write = lake.write(avroTopic.name, tableSchema(avroTopic.schema), [good!, tombstone], { "tansu.lake.commit.records": "1" });
    await expect(write).rejects.toThrow(LakeValueError);
    await expect(write).rejects.toThrow(/partition 0 offset 1: the value is null but columns id, customer/);
    await lake.flush();
    expect(parquetFiles(join(dir, "tansu", avroTopic.name))).toEqual([]);
  });
});
