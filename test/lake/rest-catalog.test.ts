// Iceberg tables through the REST catalog protocol, against a test catalog written from the
// OpenAPI spec (rest-catalog-server.ts): the table is created and committed only through the
// catalog, which reassigns field ids and checks commit requirements; the result is read by
// icebird and python3-avro as in iceberg.test.ts.

import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Lake, tableSchema } from "../../src/lake/lake.ts";
import { tempDir } from "../harness/temp-dir.ts";
import { checkIcebergMetadata, expectIcebirdRows, icebergDuckRows, icebirdRows } from "./iceberg-checks.ts";
import { raceWriters } from "./race.ts";
import { duckdb, sqlString } from "./readers.ts";
import { startRestCatalog, type RestCatalogServer } from "./rest-catalog-server.ts";
import { avroTopic, metadataOf, recordsOf } from "./topics.ts";

setDefaultTimeout(60_000);

const PARTITIONS = 3;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
let catalog: RestCatalogServer;
const lakes: Lake[] = [];

beforeAll(() => {
  catalog = startRestCatalog();
});
afterAll(() => catalog.stop());
afterEach(async () => {
  for (const lake of lakes.splice(0)) await lake.close();
});

/** The table's current metadata file, as the catalog reports it. */
async function loadTable(namespace: string, table: string): Promise<{ location: string; path: string }> {
  const response = await fetch(`${catalog.url}/v1/warehouse-1/namespaces/${namespace}/tables/${table}`);
  expect(response.status).toBe(200);
  const { "metadata-location": location } = (await response.json()) as { "metadata-location": string };
  return { location, path: fileURLToPath(location) };
}

async function write(lake: Lake, first: number, count: number, batch: number) {
  const records = recordsOf(avroTopic, count, PARTITIONS, first);
  const configs = { "tansu.lake.commit.records": String(batch) };
  for (let i = 0; i < records.length; i += batch) await lake.write(avroTopic.name, tableSchema(avroTopic.schema), records.slice(i, i + batch), configs);
}

describe("iceberg through a REST catalog", () => {
  test("the catalog creates the table with its own field ids; data files and readers follow them", async () => {
    const dir = tempDir("tansu-rest-");
    const namespace = "analytics";
    const lake = await Lake.open({ location: `file://${dir}`, format: "iceberg", icebergCatalog: catalog.url, namespace });
    lakes.push(lake);
    await write(lake, 0, 30, 10);
    const { location, path } = await loadTable(namespace, avroTopic.name);
    const files = await checkIcebergMetadata(path, (url) => fileURLToPath(url));
    expect(files.metadata.location).toBe(`file://${dir}/${namespace}/${avroTopic.name}`);
    expect(files.metadata.snapshots).toHaveLength(3);
    // The catalog numbered top-level fields first: a nested field's id is above every top-level one.
    const fields = files.metadata.schemas[0].fields as { name: string; id: number }[];
    expect(fields.map((field) => field.id)).toEqual(range(fields.length).map((i) => i + 1));
    for (const { path: file } of files.dataFiles) {
      const ids = await duckdb(`SELECT name, field_id::VARCHAR AS id FROM parquet_schema(${sqlString(file)}) WHERE field_id IS NOT NULL`);
      for (const field of fields) expect(ids).toContainEqual({ name: field.name, id: String(field.id) });
    }
    const rows = await icebergDuckRows(files);
    expect(rows).toHaveLength(30);
    for (const row of rows) {
      const i = Number(row.offset) * PARTITIONS + Number(row.partition);
      expect(row).toMatchObject({ ...avroTopic.expected(i), ...metadataOf(recordsOf(avroTopic, i + 1, PARTITIONS)[i]!) });
    }
    const tableDir = join(dir, namespace, avroTopic.name);
    expectIcebirdRows(avroTopic, await icebirdRows(`file://${tableDir}`, basename(location)), range(30), PARTITIONS);
    expect(await lake.ends(avroTopic.name)).toEqual(new Map([[0, 10n], [1, 10n], [2, 10n]]));
  });

  test("a commit built on a stale table is refused by its requirements and retried on the new one", async () => {
    const dir = tempDir("tansu-rest-");
    const namespace = "stale";
    const options = { location: `file://${dir}`, format: "iceberg" as const, icebergCatalog: catalog.url, namespace };
    const [first, second] = [await Lake.open(options), await Lake.open(options)];
    lakes.push(first, second);
    await write(first, 0, 6, 6);
    // The second writer loads the table now, then the first moves it on.
    expect(await second.ends(avroTopic.name)).toEqual(new Map([[0, 2n], [1, 2n], [2, 2n]]));
    await write(first, 6, 6, 6);
    const conflicts = catalog.conflicts;
    await write(second, 12, 6, 6);
    expect(catalog.conflicts).toBe(conflicts + 1);
    const files = await checkIcebergMetadata((await loadTable(namespace, avroTopic.name)).path, (url) => fileURLToPath(url));
    expect(files.metadata.snapshots).toHaveLength(3);
    expect((await icebergDuckRows(files)).map((row) => Number(row.offset) * PARTITIONS + Number(row.partition)).sort((a, b) => a - b)).toEqual(range(18));
  });

  test("a catalog that commits but answers 503 does not get the rows twice", async () => {
    const dir = tempDir("tansu-rest-");
    const namespace = "unknown";
    const lake = await Lake.open({ location: `file://${dir}`, format: "iceberg", icebergCatalog: catalog.url, namespace });
    lakes.push(lake);
    await write(lake, 0, 6, 6);
    catalog.failAfterApplying = 1;
    await write(lake, 6, 6, 6);
    expect(catalog.failAfterApplying).toBe(0);
    await write(lake, 12, 6, 6);
    const files = await checkIcebergMetadata((await loadTable(namespace, avroTopic.name)).path, (url) => fileURLToPath(url));
    expect(files.metadata.snapshots).toHaveLength(3);
    expect((await icebergDuckRows(files)).length).toBe(18);
  });

  test("two writer processes through the catalog: every row once", async () => {
    const dir = tempDir("tansu-rest-");
    const base = { location: `file://${dir}`, format: "iceberg" as const, icebergCatalog: catalog.url, first: 0, last: 59, batch: 5, partitions: PARTITIONS };
    await raceWriters([
      { ...base, every: { modulo: 2, remainder: 0 } },
      { ...base, every: { modulo: 2, remainder: 1 } },
    ]);
    const { location, path } = await loadTable("tansu", avroTopic.name);
    const files = await checkIcebergMetadata(path, (url) => fileURLToPath(url));
    expect(files.metadata.snapshots).toHaveLength(12);
    expectIcebirdRows(avroTopic, await icebirdRows(`file://${join(dir, "tansu", avroTopic.name)}`, basename(location)), range(60), PARTITIONS);
  });
});
