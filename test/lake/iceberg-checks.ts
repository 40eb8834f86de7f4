// Checks of an Iceberg table by readers that are not the writer: the metadata JSON against the
// v2 spec's required fields, manifest lists and manifests decoded by python3-avro, data files
// through DuckDB, and the whole table through icebird. Works on a local directory; tables on S3
// are mirrored into one first, and `localPath` maps the URLs in the metadata onto it.

import { expect } from "bun:test";
import { icebergRead } from "icebird";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { duckdb, hyparquetDisagreements, pythonAvro, sqlString } from "./readers.ts";
import { avroTopic, metadataOf, recordsOf, type TopicFixture } from "./topics.ts";

export interface IcebergFiles {
  metadata: Record<string, any>;
  /** Per data file: its manifest entry (as python3-avro decodes it) and local path. */
  dataFiles: { entry: Record<string, any>; path: string; manifest: Record<string, any> }[];
  manifestList: Awaited<ReturnType<typeof pythonAvro>>;
  manifests: Awaited<ReturnType<typeof pythonAvro>>[];
}

const V2_TABLE_FIELDS = [
  "format-version",
  "table-uuid",
  "location",
  "last-sequence-number",
  "last-updated-ms",
  "last-column-id",
  "schemas",
  "current-schema-id",
  "partition-specs",
  "default-spec-id",
  "last-partition-id",
  "sort-orders",
  "default-sort-order-id",
];
const V2_SNAPSHOT_FIELDS = ["snapshot-id", "sequence-number", "timestamp-ms", "manifest-list", "summary"];
const V2_MANIFEST_FILE_FIELDS: Record<string, number> = {
  manifest_path: 500,
  manifest_length: 501,
  partition_spec_id: 502,
  content: 517,
  sequence_number: 515,
  min_sequence_number: 516,
  added_snapshot_id: 503,
  added_files_count: 504,
  existing_files_count: 505,
  deleted_files_count: 506,
  added_rows_count: 512,
  existing_rows_count: 513,
  deleted_rows_count: 514,
};
const V2_ENTRY_FIELDS: Record<string, number> = { status: 0, snapshot_id: 1, sequence_number: 3, file_sequence_number: 4, data_file: 2 };
const V2_DATA_FILE_FIELDS: Record<string, number> = { content: 134, file_path: 100, file_format: 101, partition: 102, record_count: 103, file_size_in_bytes: 104 };
const MANIFEST_KEYS = ["schema", "schema-id", "partition-spec", "partition-spec-id", "format-version", "content"];

/** The current metadata file of a file-system catalog table (following version-hint.text). */
export function currentMetadataFile(tableDir: string): string {
  const hint = Number(readFileSync(join(tableDir, "metadata", "version-hint.text"), "utf8").trim());
  let version = hint;
  while (existsSync(join(tableDir, "metadata", `v${version + 1}.metadata.json`))) version++;
  return join(tableDir, "metadata", `v${version}.metadata.json`);
}

function fieldIds(schema: Record<string, any>): number[] {
  const ids: number[] = [];
  const visit = (type: unknown): void => {
    if (typeof type !== "object" || type === null) return;
    const t = type as Record<string, any>;
    if (t.type === "struct") for (const field of t.fields) (ids.push(field.id), visit(field.type));
    if (t.type === "list") (ids.push(t["element-id"]), visit(t.element));
    if (t.type === "map") (ids.push(t["key-id"], t["value-id"]), visit(t.key), visit(t.value));
  };
  visit(schema);
  return ids;
}

/** Checks the metadata at `metadataFile` and everything it points to against the spec; returns what it read. */
export async function checkIcebergMetadata(metadataFile: string, localPath: (url: string) => string): Promise<IcebergFiles> {
  const metadata = JSON.parse(readFileSync(metadataFile, "utf8"));
  for (const field of V2_TABLE_FIELDS) expect(metadata).toHaveProperty([field]);
  expect(metadata["format-version"]).toBe(2);
  for (const schema of metadata.schemas) {
    const ids = fieldIds(schema);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids)).toBeLessThanOrEqual(metadata["last-column-id"]);
  }
  const snapshot = metadata.snapshots.find((s: Record<string, unknown>) => s["snapshot-id"] === metadata["current-snapshot-id"]);
  expect(snapshot).toBeDefined();
  expect(metadata.refs.main["snapshot-id"]).toBe(metadata["current-snapshot-id"]);
  for (const s of metadata.snapshots) {
    for (const field of V2_SNAPSHOT_FIELDS) expect(s).toHaveProperty([field]);
    expect(s.summary.operation).toBe("append");
    expect(s["sequence-number"]).toBeLessThanOrEqual(metadata["last-sequence-number"]);
  }

  const manifestList = await pythonAvro(localPath(snapshot["manifest-list"]));
  const listFields = Object.fromEntries((manifestList.schema.fields as Record<string, any>[]).map((f) => [f.name, f["field-id"]]));
  expect(listFields).toMatchObject(V2_MANIFEST_FILE_FIELDS);
  const manifests: IcebergFiles["manifests"] = [];
  const dataFiles: IcebergFiles["dataFiles"] = [];
  for (const manifestFile of manifestList.records) {
    for (const field of Object.keys(V2_MANIFEST_FILE_FIELDS)) expect(manifestFile[field]).not.toBeNull();
    const path = localPath(manifestFile.manifest_path as string);
    expect(String(statSync(path).size)).toBe(manifestFile.manifest_length as string);
    const manifest = await pythonAvro(path);
    manifests.push(manifest);
    for (const key of MANIFEST_KEYS) expect(manifest.metadata).toHaveProperty([key]);
    expect(manifest.metadata["format-version"]).toBe("2");
    expect(manifest.metadata.content).toBe("data");
    const entryFields = Object.fromEntries((manifest.schema.fields as Record<string, any>[]).map((f) => [f.name, f["field-id"]]));
    expect(entryFields).toMatchObject(V2_ENTRY_FIELDS);
    const dataFileType = (manifest.schema.fields as Record<string, any>[]).find((f) => f.name === "data_file")!.type;
    expect(Object.fromEntries(dataFileType.fields.map((f: Record<string, any>) => [f.name, f["field-id"]]))).toMatchObject(V2_DATA_FILE_FIELDS);
    // The partition struct's field ids are the spec's partition field ids.
    const spec = metadata["partition-specs"].find((s: Record<string, any>) => String(s["spec-id"]) === manifest.metadata["partition-spec-id"]);
    const partitionType = dataFileType.fields.find((f: Record<string, any>) => f.name === "partition").type;
    expect(partitionType.fields.map((f: Record<string, any>) => f["field-id"])).toEqual(spec.fields.map((f: Record<string, any>) => f["field-id"]));
    expect(Number(manifestFile.added_files_count)).toBe(manifest.records.length);
    for (const entry of manifest.records as Record<string, any>[]) {
      expect(entry.status).toBe("1");
      const file = localPath(entry.data_file.file_path);
      expect(String(statSync(file).size)).toBe(entry.data_file.file_size_in_bytes);
      const [{ rows }] = (await duckdb(`SELECT count(*)::VARCHAR AS rows FROM read_parquet(${sqlString(file)})`)) as [{ rows: string }];
      expect(rows).toBe(entry.data_file.record_count);
      dataFiles.push({ entry, path: file, manifest: manifestFile });
    }
  }
  return { metadata, dataFiles, manifestList, manifests };
}

/** Rows of the table's data files through DuckDB, matched by field id as Iceberg reads them. */
export async function icebergDuckRows(files: IcebergFiles): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const { path } of files.dataFiles) rows.push(...(await duckdb(`SELECT * FROM read_parquet(${sqlString(path)}, hive_partitioning = false)`)));
  return rows;
}

/**
 * The table through icebird. `translate` maps the https URL icebird makes of an s3:// path
 * onto the local mirror (icebird fetches everything it reads).
 */
export async function icebirdRows(tableUrl: string, metadataFileName: string, translate?: (url: string) => string): Promise<Record<string, unknown>[]> {
  const realFetch = globalThis.fetch;
  if (translate) {
    globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => realFetch(translate(String(input instanceof Request ? input.url : input)), init)) as typeof fetch;
  }
  try {
    return (await icebergRead({ tableUrl, metadataFileName })) as Record<string, unknown>[];
  } finally {
    globalThis.fetch = realFetch;
  }
}

/** Icebird's hyparquet decodes un-annotated binary as UTF-8 text, which loses bytes: those columns are left out. */
const BINARY_COLUMNS = new Set(["blob", "payload", "headers"]);

/** Checks rows from icebird against the fixture: each of `indexes` once, with its typed values. */
export function expectIcebirdRows(topic: TopicFixture, rows: Record<string, unknown>[], indexes: number[], partitions: number): void {
  const records = recordsOf(topic, Math.max(...indexes) + 1, partitions);
  const indexOf = (row: Record<string, unknown>) => Number(row.offset) * partitions + Number(row.partition);
  expect(rows.map(indexOf).sort((a, b) => a - b)).toEqual([...indexes].sort((a, b) => a - b));
  for (const row of rows) {
    const i = indexOf(row);
    const expected: Record<string, unknown> = { ...topic.expected(i), ...metadataOf(records[i]!) };
    const actual = Object.fromEntries(Object.entries(row).filter(([name]) => !BINARY_COLUMNS.has(name) && name in expected));
    for (const name of BINARY_COLUMNS) delete expected[name];
    expect(hyparquetDisagreements(expected, actual)).toEqual([]);
  }
}

export { avroTopic };
