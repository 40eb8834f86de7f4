// Topics as Delta Lake tables, checked by a reader-side harness that is not the writer
// (readers.ts: DuckDB read_json over _delta_log, read_parquet over checkpoints and the added
// files), against PROTOCOL.md's required fields: checkpoints, partitions, schema evolution,
// resuming, and two writer processes committing to one table at once.

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Lake, tableSchema } from "../../src/lake/lake.ts";
import { tempDir } from "../harness/temp-dir.ts";
import { lakeOpener, writeEvolvingEvents } from "./lakes.ts";
import { raceWriters } from "./race.ts";
import { asDelta, deltaRows, duckdb, replayDelta, sqlString, type DeltaSnapshot } from "./readers.ts";
import { avroTopic, jsonTopic, metadataOf, recordsOf, recordTime, TOPICS, type TopicFixture } from "./topics.ts";

setDefaultTimeout(60_000);

const openLake = lakeOpener({ format: "delta" });

const PARTITIONS = 3;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const indexOf = (row: Record<string, unknown>) => Number(row.offset) * PARTITIONS + Number(row.partition);

async function write(lake: Lake, topic: TopicFixture, count: number, batch: number, configs: Record<string, string> = {}) {
  const all = { "tansu.lake.commit.records": String(batch), ...configs };
  const records = recordsOf(topic, count, PARTITIONS);
  for (let i = 0; i < records.length; i += batch) await lake.write(topic.name, tableSchema(topic.schema), records.slice(i, i + batch), all);
}

function expectRows(topic: TopicFixture, rows: Record<string, unknown>[], count: number) {
  const records = recordsOf(topic, count, PARTITIONS);
  expect(rows.map(indexOf).sort((a, b) => a - b)).toEqual(range(count));
  for (const row of rows) expect(row).toMatchObject(asDelta({ ...topic.expected(indexOf(row)), ...metadataOf(records[indexOf(row)]!) }));
}

/** PROTOCOL.md's required fields of every action in every commit, and each commit's shape. */
function expectLogFollowsProtocol(tableDir: string): void {
  const log = join(tableDir, "_delta_log");
  const commits = readdirSync(log).filter((name) => /^\d{20}\.json$/.test(name)).sort();
  commits.forEach((name, version) => {
    expect(name).toBe(`${String(version).padStart(20, "0")}.json`);
    const actions = readFileSync(join(log, name), "utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(Object.keys(actions[0])).toEqual(["commitInfo"]);
    for (const action of actions) {
      expect(Object.keys(action)).toHaveLength(1);
      if (action.protocol) for (const field of ["minReaderVersion", "minWriterVersion"]) expect(action.protocol).toHaveProperty([field]);
      if (action.metaData) {
        for (const field of ["id", "format", "schemaString", "partitionColumns", "configuration"]) expect(action.metaData).toHaveProperty([field]);
        expect(action.metaData.format.provider).toBe("parquet");
      }
      if (action.add) {
        for (const field of ["path", "partitionValues", "size", "modificationTime", "dataChange"]) expect(action.add).toHaveProperty([field]);
        expect(statSync(join(tableDir, decodeURI(action.add.path))).size).toBe(action.add.size);
        expect(JSON.parse(action.add.stats).numRecords).toBeGreaterThan(0);
      }
      if (action.txn) for (const field of ["appId", "version"]) expect(action.txn).toHaveProperty([field]);
    }
    if (version === 0) {
      expect(actions.filter((action) => action.protocol)).toHaveLength(1);
      expect(actions.filter((action) => action.metaData)).toHaveLength(1);
    }
    // At most one of each per commit (PROTOCOL.md, "Delta Log Entries").
    expect(actions.filter((action) => action.metaData).length).toBeLessThanOrEqual(1);
    expect(actions.filter((action) => action.protocol).length).toBeLessThanOrEqual(1);
  });
}

function fieldsOf(snapshot: DeltaSnapshot): Record<string, unknown> {
  return Object.fromEntries(JSON.parse(snapshot.metaData.schemaString).fields.map((field: { name: string; type: unknown }) => [field.name, field.type]));
}

describe("delta: the log replayed by a reader that is not the writer", () => {
  for (const topic of TOPICS) {
    test(`${topic.name}: twelve commits, a checkpoint at version 10`, async () => {
      const dir = tempDir("tansu-delta-");
      const lake = await openLake(dir);
      await write(lake, topic, 36, 3);
      const tableDir = join(dir, "tansu", topic.name);
      expectLogFollowsProtocol(tableDir);
      expect(JSON.parse(readFileSync(join(tableDir, "_delta_log", "_last_checkpoint"), "utf8"))).toMatchObject({ version: 10, numOfAddFiles: 11 });

      const snapshot = await replayDelta(tableDir);
      expect(snapshot.checkpoint).toBe(10);
      expect(snapshot.version).toBe(11);
      expectRows(topic, await deltaRows(tableDir, snapshot), 36);
      // The checkpoint holds what replaying every commit gives.
      const full = await replayDelta(tableDir, { checkpoint: false });
      expect(snapshot.files.map((file) => file.path).sort()).toEqual(full.files.map((file) => file.path).sort());
      expect(snapshot.txns).toEqual(full.txns);
      expect(snapshot.domains).toEqual(full.domains);
      expect(snapshot.metaData.schemaString).toBe(full.metaData.schemaString);
      expect(snapshot.txns).toEqual(new Map([["tansu.partition.0", 12], ["tansu.partition.1", 12], ["tansu.partition.2", 12]]));
      expect(JSON.parse(snapshot.domains.get("tansu.offsets")!)).toEqual({ 0: "0-11", 1: "0-11", 2: "0-11" });
    });
  }

  test("schema and protocol: Delta's types, the features the table uses", async () => {
    const dir = tempDir("tansu-delta-");
    const lake = await openLake(dir);
    await write(lake, avroTopic, 3, 3);
    await write(lake, jsonTopic, 3, 3);
    const avro = await replayDelta(join(dir, "tansu", avroTopic.name));
    expect(fieldsOf(avro)).toMatchObject({
      id: "long",
      amount: "decimal(10,2)",
      placed: "timestamp",
      local: "timestamp_ntz",
      due: "date",
      at: "long",
      ref: "string",
      code: "binary",
      partition: "integer",
      timestamp: "timestamp",
      headers: { type: "map", keyType: "string", valueType: "binary", valueContainsNull: true },
      tags: { type: "array", elementType: "string", containsNull: false },
    });
    // A timestamp without zone needs the timestampNtz feature; the offsets need domainMetadata.
    expect(avro.protocol).toEqual({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["timestampNtz"], writerFeatures: ["domainMetadata", "timestampNtz"] });
    const json = await replayDelta(join(dir, "tansu", jsonTopic.name));
    expect(json.protocol).toMatchObject({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ["domainMetadata"] });
  });

  test("partitioned by day(timestamp): a date partition column, kept in the log, one day per file", async () => {
    const dir = tempDir("tansu-delta-");
    const lake = await openLake(dir);
    await write(lake, avroTopic, 30, 15, { "tansu.lake.partition": "day(timestamp)" });
    const tableDir = join(dir, "tansu", avroTopic.name);
    expectLogFollowsProtocol(tableDir);
    const snapshot = await replayDelta(tableDir);
    expect(snapshot.metaData.partitionColumns).toEqual(["timestamp_day"]);
    expect(fieldsOf(snapshot).timestamp_day).toBe("date");
    for (const file of snapshot.files) {
      const day = file.partitionValues.timestamp_day!;
      expect(file.path.startsWith(`timestamp_day=${day}/`)).toBe(true);
      const path = join(tableDir, decodeURI(file.path));
      expect(await duckdb(`SELECT DISTINCT "timestamp"::DATE::VARCHAR AS day FROM read_parquet(${sqlString(path)}, hive_partitioning = false)`)).toEqual([{ day }]);
    }
    expect(new Set(snapshot.files.map((file) => file.partitionValues.timestamp_day)).size).toBeGreaterThan(1);
    const rows = await deltaRows(tableDir, snapshot);
    expectRows(avroTopic, rows, 30);
    for (const row of rows) expect(row.timestamp_day).toBe(new Date(recordTime(indexOf(row))).toISOString().slice(0, 10));
  });

  test("partitioned by a column: the column lives in the log, not in the data files", async () => {
    const dir = tempDir("tansu-delta-");
    const lake = await openLake(dir);
    await write(lake, avroTopic, 12, 12, { "tansu.lake.partition": "partition" });
    const tableDir = join(dir, "tansu", avroTopic.name);
    const snapshot = await replayDelta(tableDir);
    expect(snapshot.metaData.partitionColumns).toEqual(["partition"]);
    expect(snapshot.files.map((file) => file.partitionValues.partition).sort()).toEqual(["0", "1", "2"]);
    for (const file of snapshot.files) {
      const columns = await duckdb(`SELECT name FROM parquet_schema(${sqlString(join(tableDir, decodeURI(file.path)))})`);
      expect(columns).not.toContainEqual({ name: "partition" });
    }
    const rows = (await deltaRows(tableDir, snapshot)).map((row) => ({ ...row, partition: Number(row.partition) }));
    expectRows(avroTopic, rows, 12);
  });
});

describe("delta: evolving, resuming, racing", () => {
  test("an added optional field is a new metaData; old files stay readable", async () => {
    const dir = tempDir("tansu-delta-");
    const lake = await openLake(dir);
    await writeEvolvingEvents(lake);
    const tableDir = join(dir, "tansu", "events");
    expectLogFollowsProtocol(tableDir);
    const metaDatas = readdirSync(join(tableDir, "_delta_log"))
      .filter((name) => name.endsWith(".json"))
      .sort()
      .map((name) => readFileSync(join(tableDir, "_delta_log", name), "utf8").includes('"metaData"'));
    expect(metaDatas).toEqual([true, true, false]);
    const snapshot = await replayDelta(tableDir);
    expect(fieldsOf(snapshot)).toEqual({
      id: "long",
      what: "string",
      key: "binary",
      partition: "integer",
      offset: "long",
      timestamp: "timestamp",
      headers: { type: "map", keyType: "string", valueType: "binary", valueContainsNull: true },
      coupon: "string",
    });
    const files = snapshot.files.map((file) => join(tableDir, decodeURI(file.path)));
    const rows = await duckdb(`SELECT id::INTEGER AS id, coupon FROM read_parquet(${JSON.stringify(files).replaceAll('"', "'")}, union_by_name = true) ORDER BY id`);
    expect(rows).toEqual([0, 1, 2, 3, 4, 5].map((id) => ({ id, coupon: [null, null, "SAVE10", "", null, null][id] })));
  });

  test("a restarted writer reads the checkpoint and the commits after it, resumes at the table's end, and adds no row twice", async () => {
    const dir = tempDir("tansu-delta-");
    const lake = await openLake(dir);
    await write(lake, avroTopic, 33, 3);
    const expected = new Map([[0, 11n], [1, 11n], [2, 11n]]);
    expect(await lake.ends(avroTopic.name)).toEqual(expected);
    await lake.close();

    const restarted = await openLake(dir);
    expect(await restarted.ends(avroTopic.name)).toEqual(expected);
    // Everything again, as a writer that did not ask would: nothing new is committed.
    await write(restarted, avroTopic, 36, 36);
    const tableDir = join(dir, "tansu", avroTopic.name);
    const snapshot = await replayDelta(tableDir);
    expect(snapshot.version).toBe(11);
    expectRows(avroTopic, await deltaRows(tableDir, snapshot), 36);
    expect(existsSync(join(tableDir, "_delta_log", `${"11".padStart(20, "0")}.json`))).toBe(true);
    expect(existsSync(join(tableDir, "_delta_log", `${"12".padStart(20, "0")}.json`))).toBe(false);
  });

  test("two writer processes interleaving offsets: every row once, versions without gaps, checkpoints", async () => {
    const dir = tempDir("tansu-delta-");
    const base = { location: `file://${dir}`, format: "delta" as const, first: 0, last: 119, batch: 6, partitions: PARTITIONS };
    await raceWriters([
      { ...base, every: { modulo: 2, remainder: 0 } },
      { ...base, every: { modulo: 2, remainder: 1 } },
    ]);
    const tableDir = join(dir, "tansu", avroTopic.name);
    expectLogFollowsProtocol(tableDir);
    const snapshot = await replayDelta(tableDir);
    expect(snapshot.version).toBe(19);
    expect(snapshot.checkpoint).toBe(10);
    expectRows(avroTopic, await deltaRows(tableDir, snapshot), 120);
  });

  test("two writer processes writing the same offsets leave each row in the table once", async () => {
    const dir = tempDir("tansu-delta-");
    const base = { location: `file://${dir}`, format: "delta" as const, first: 0, last: 89, partitions: PARTITIONS, every: { modulo: 1, remainder: 0 } };
    await raceWriters([
      { ...base, batch: 9 },
      { ...base, batch: 7 },
    ]);
    const tableDir = join(dir, "tansu", avroTopic.name);
    expectLogFollowsProtocol(tableDir);
    expectRows(avroTopic, await deltaRows(tableDir, await replayDelta(tableDir)), 90);
  });
});
