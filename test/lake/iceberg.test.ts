// Topics as Apache Iceberg tables (format v2) in a file-system catalog: read by icebird, data
// files by DuckDB, manifests by python3-avro, metadata checked against the spec's required
// fields. Partitioned and unpartitioned, an evolved schema, and two writer processes committing
// to one table at once.

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Lake, tableSchema } from "../../src/lake/lake.ts";
import { tempDir } from "../harness/temp-dir.ts";
import { lakeOpener, writeEvolvingEvents } from "./lakes.ts";
import { checkIcebergMetadata, currentMetadataFile, expectIcebirdRows, icebergDuckRows, icebirdRows } from "./iceberg-checks.ts";
import { raceWriters } from "./race.ts";
import { hyparquetDisagreements } from "./readers.ts";
import { avroTopic, event, EVENT_V1, metadataOf, recordsOf, recordTime, TOPICS, type TopicFixture } from "./topics.ts";

setDefaultTimeout(60_000);

const openLake = lakeOpener({ format: "iceberg" });

const PARTITIONS = 3;
const local = (url: string) => fileURLToPath(url);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Writes records first..first+count-1 of `topic`, one commit per `batch` records. */
async function write(lake: Lake, topic: TopicFixture, first: number, count: number, batch: number, configs: Record<string, string> = {}) {
  const all = { "tansu.lake.commit.records": String(batch), ...configs };
  const records = recordsOf(topic, count, PARTITIONS, first);
  for (let i = 0; i < records.length; i += batch) await lake.write(topic.name, tableSchema(topic.schema), records.slice(i, i + batch), all);
}

/** Every row of the data files (DuckDB) against the fixture, exactly once each. */
async function expectDuckRows(topic: TopicFixture, rows: Record<string, unknown>[], count: number) {
  const records = recordsOf(topic, count, PARTITIONS);
  const indexOf = (row: Record<string, unknown>) => Number(row.offset) * PARTITIONS + Number(row.partition);
  expect(rows.map(indexOf).sort((a, b) => a - b)).toEqual(range(count));
  for (const row of rows) expect(row).toMatchObject({ ...topic.expected(indexOf(row)), ...metadataOf(records[indexOf(row)]!) });
}

describe("iceberg: tables every reader agrees on", () => {
  for (const topic of TOPICS) {
    test(`${topic.name}: unpartitioned, three commits`, async () => {
      const dir = tempDir("tansu-iceberg-");
      const lake = await openLake(dir);
      await write(lake, topic, 0, 30, 10);
      const tableDir = join(dir, "tansu", topic.name);
      const metadataFile = currentMetadataFile(tableDir);
      expect(basename(metadataFile)).toBe("v4.metadata.json");
      const files = await checkIcebergMetadata(metadataFile, local);
      expect(files.metadata.snapshots).toHaveLength(3);
      expect(files.manifestList.records).toHaveLength(3);
      await expectDuckRows(topic, await icebergDuckRows(files), 30);
      expectIcebirdRows(topic, await icebirdRows(`file://${tableDir}`, basename(metadataFile)), range(30), PARTITIONS);
    });
  }

  test("data files carry the field ids of the table schema, and the snapshot summary the offsets", async () => {
    const dir = tempDir("tansu-iceberg-");
    const lake = await openLake(dir);
    await write(lake, avroTopic, 0, 12, 6);
    const files = await checkIcebergMetadata(currentMetadataFile(join(dir, "tansu", avroTopic.name)), local);
    const schema = files.metadata.schemas[0];
    const columnIds = Object.fromEntries(schema.fields.map((field: { name: string; id: number }) => [field.name, String(field.id)]));
    for (const { path } of files.dataFiles) {
      const { duckdb, sqlString } = await import("./readers.ts");
      const elements = await duckdb(`SELECT name, field_id::VARCHAR AS id FROM parquet_schema(${sqlString(path)}) WHERE field_id IS NOT NULL`);
      for (const [name, id] of Object.entries(columnIds)) expect(elements).toContainEqual({ name, id });
    }
    const summaries = files.metadata.snapshots.map((snapshot: { summary: Record<string, string> }) => snapshot.summary);
    expect(summaries.map((summary: Record<string, string>) => summary["tansu.runs"])).toEqual([
      JSON.stringify({ 0: "0-1", 1: "0-1", 2: "0-1" }),
      JSON.stringify({ 0: "2-3", 1: "2-3", 2: "2-3" }),
    ]);
    expect(summaries[1]["tansu.written"]).toBe(JSON.stringify({ 0: "0-3", 1: "0-3", 2: "0-3" }));
    expect(summaries[1]["total-records"]).toBe("12");
    expect(await lake.ends(avroTopic.name)).toEqual(new Map([[0, 4n], [1, 4n], [2, 4n]]));
  });

  for (const [partitioning, name, transform] of [
    ["day(timestamp)", "timestamp_day", "day"],
    ["hour(timestamp)", "timestamp_hour", "hour"],
    ["partition", "partition", "identity"],
  ] as const) {
    test(`partitioned by ${partitioning}: each data file holds one partition value`, async () => {
      const dir = tempDir("tansu-iceberg-");
      const lake = await openLake(dir);
      await write(lake, avroTopic, 0, 30, 15, { "tansu.lake.partition": partitioning });
      const tableDir = join(dir, "tansu", avroTopic.name);
      const metadataFile = currentMetadataFile(tableDir);
      const files = await checkIcebergMetadata(metadataFile, local);
      const [spec] = files.metadata["partition-specs"];
      const sourceId = files.metadata.schemas[0].fields.find((f: { name: string }) => f.name === (transform === "identity" ? "partition" : "timestamp")).id;
      expect(spec.fields).toEqual([{ "source-id": sourceId, "field-id": 1000, name, transform }]);
      const { duckdb, sqlString } = await import("./readers.ts");
      for (const { entry, path } of files.dataFiles) {
        // python3-avro gives the day as a date, hours and identity values as numbers.
        const value = String(entry.data_file.partition[name]);
        const expression = { day: `"timestamp"::DATE`, hour: `epoch("timestamp")::BIGINT // 3600`, identity: `"partition"` }[transform];
        const values = await duckdb(`SELECT DISTINCT (${expression})::VARCHAR AS v FROM read_parquet(${sqlString(path)}, hive_partitioning = false)`);
        expect(values).toEqual([{ v: value }]);
        expect(path).toContain(`/data/${name}=`);
      }
      const partitionValues = new Set(files.dataFiles.map(({ entry }) => entry.data_file.partition[name]));
      expect(partitionValues.size).toBeGreaterThan(1);
      await expectDuckRows(avroTopic, await icebergDuckRows(files), 30);
      expectIcebirdRows(avroTopic, await icebirdRows(`file://${tableDir}`, basename(metadataFile)), range(30), PARTITIONS);
      // The manifest list summarises each manifest's partition values.
      for (const manifest of files.manifestList.records) expect((manifest.partitions as unknown[]).length).toBe(1);
      expect(recordTime(29) - recordTime(0)).toBeGreaterThan(86_400_000);
    });
  }
});

describe("iceberg: schema evolution", () => {
  const V1 = EVENT_V1;

  test("an added optional field gives a new schema with a fresh field id; old files stay readable", async () => {
    const dir = tempDir("tansu-iceberg-");
    const lake = await openLake(dir);
    await writeEvolvingEvents(lake);
    const tableDir = join(dir, "tansu", "events");
    const metadataFile = currentMetadataFile(tableDir);
    const files = await checkIcebergMetadata(metadataFile, local);
    const { schemas, "current-schema-id": current, "last-column-id": lastColumnId } = files.metadata;
    expect(schemas).toHaveLength(2);
    expect(current).toBe(1);
    const [before, after] = schemas.map((schema: { fields: { name: string; id: number; required: boolean }[] }) =>
      Object.fromEntries(schema.fields.map((field) => [field.name, field])),
    );
    for (const name of Object.keys(before)) expect(after[name].id).toBe(before[name].id);
    expect(after.coupon).toEqual({ id: lastColumnId, name: "coupon", required: false, type: "string" });
    expect(lastColumnId).toBeGreaterThan(Math.max(...Object.values(before).map((field) => (field as { id: number }).id)));
    // The snapshots name the schema they were written with.
    expect(files.metadata.snapshots.map((snapshot: { "schema-id": number }) => snapshot["schema-id"])).toEqual([0, 1, 1]);

    const rows = await icebirdRows(`file://${tableDir}`, basename(metadataFile));
    const byId = Object.fromEntries(rows.map((row) => [String(row.id), row]));
    expect(Object.keys(byId).sort()).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect([0, 1, 2, 3, 4, 5].map((i) => byId[i]!.coupon ?? null)).toEqual([null, null, "SAVE10", "", null, null]);
    expect(hyparquetDisagreements({ what: "e0" }, { what: byId[0]!.what })).toEqual([]);
  });

  test("a field that changes type is refused and nothing is committed", async () => {
    const dir = tempDir("tansu-iceberg-");
    const lake = await openLake(dir);
    const configs = { "tansu.lake.commit.records": "1" };
    await lake.write("events", tableSchema({ value: { format: "avro", schema: V1 } }), [event(0)], configs);
    const changed = { ...V1, fields: [{ name: "id", type: "string" }, V1.fields[1]] };
    const refused = lake.write("events", tableSchema({ value: { format: "avro", schema: changed } }), [{ ...event(1), value: { id: "one", what: "e1" } }], configs);
    await expect(refused).rejects.toThrow(/column id changes type from long to string/);
    expect(basename(currentMetadataFile(join(dir, "tansu", "events")))).toBe("v2.metadata.json");
  });
});

describe("iceberg: two writers, one table", () => {
  test("writers interleaving offsets of the same partitions lose no row and duplicate none", async () => {
    const dir = tempDir("tansu-iceberg-");
    const base = { location: `file://${dir}`, format: "iceberg" as const, first: 0, last: 119, batch: 6, partitions: PARTITIONS };
    await raceWriters([
      { ...base, every: { modulo: 2, remainder: 0 } },
      { ...base, every: { modulo: 2, remainder: 1 } },
    ]);
    const tableDir = join(dir, "tansu", avroTopic.name);
    const metadataFile = currentMetadataFile(tableDir);
    const files = await checkIcebergMetadata(metadataFile, local);
    expect(files.metadata.snapshots).toHaveLength(20);
    await expectDuckRows(avroTopic, await icebergDuckRows(files), 120);
    expectIcebirdRows(avroTopic, await icebirdRows(`file://${tableDir}`, basename(metadataFile)), range(120), PARTITIONS);
    const written = JSON.parse(files.metadata.snapshots.at(-1).summary["tansu.written"]);
    expect(written).toEqual({ 0: "0-39", 1: "0-39", 2: "0-39" });
  });

  test("writers racing over the same offsets leave each row in the table once", async () => {
    const dir = tempDir("tansu-iceberg-");
    const base = { location: `file://${dir}`, format: "iceberg" as const, first: 0, last: 89, partitions: PARTITIONS, every: { modulo: 1, remainder: 0 } };
    await raceWriters([
      { ...base, batch: 9 },
      { ...base, batch: 7 },
    ]);
    const files = await checkIcebergMetadata(currentMetadataFile(join(dir, "tansu", avroTopic.name)), local);
    await expectDuckRows(avroTopic, await icebergDuckRows(files), 90);
    expect(JSON.parse(readFileSync(currentMetadataFile(join(dir, "tansu", avroTopic.name)), "utf8")).snapshots.length).toBeGreaterThanOrEqual(10);
  });
});
