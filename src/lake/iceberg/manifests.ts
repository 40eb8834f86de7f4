// Manifests and manifest lists (Iceberg spec: "Manifests", "Manifest Lists"), as Avro with the
// spec's field ids. A new manifest leaves snapshot id and sequence numbers null so they are
// inherited from the manifest list: it can be written once and reused when a commit is retried,
// and only the manifest list is rewritten per attempt.

import type { ColumnType } from "../columns.ts";
import type { PartitionField } from "../partitioning.ts";
import { readAvroContainer, writeAvroContainer } from "./avro-container.ts";
import { stringifyJson, type PartitionSpec } from "./metadata.ts";
import type { IcebergSchema } from "./schema-json.ts";

export interface DataFileEntry {
  /** Absolute URL of the Parquet file. */
  path: string;
  /** Partition values in spec order (days, hours, … or the identity value). */
  partition: unknown[];
  recordCount: number;
  sizeInBytes: number;
}

/** One manifest_file record of a manifest list, as decoded or about to be written. */
export type ManifestFile = Record<string, unknown> & {
  manifest_path: string;
  added_snapshot_id: bigint;
  sequence_number: bigint;
};

const STATUS_ADDED = 1;
const CONTENT_DATA = 0;

const optional = (type: unknown, name: string, fieldId: number) => ({ name, type: ["null", type], default: null, "field-id": fieldId });

function partitionAvroType(type: ColumnType): unknown {
  switch (type.type) {
    case "date":
      return { type: "int", logicalType: "date" };
    case "boolean":
    case "int":
    case "long":
    case "string":
      return type.type;
    default:
      throw new Error(`no Avro partition type for ${type.type}`);
  }
}

function manifestEntrySchema(fields: PartitionField[], specFieldIds: number[]): object {
  return {
    type: "record",
    name: "manifest_entry",
    fields: [
      { name: "status", type: "int", "field-id": 0 },
      optional("long", "snapshot_id", 1),
      optional("long", "sequence_number", 3),
      optional("long", "file_sequence_number", 4),
      {
        name: "data_file",
        "field-id": 2,
        type: {
          type: "record",
          name: "r2",
          fields: [
            { name: "content", type: "int", "field-id": 134 },
            { name: "file_path", type: "string", "field-id": 100 },
            { name: "file_format", type: "string", "field-id": 101 },
            {
              name: "partition",
              "field-id": 102,
              type: {
                type: "record",
                name: "r102",
                fields: fields.map((field, i) => optional(partitionAvroType(field.resultType), field.name, specFieldIds[i]!)),
              },
            },
            { name: "record_count", type: "long", "field-id": 103 },
            { name: "file_size_in_bytes", type: "long", "field-id": 104 },
          ],
        },
      },
    ],
  };
}

/** Partition values as Avro writes them: ints and dates as numbers, longs as bigints. */
function avroPartitionValue(field: PartitionField, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return field.resultType.type === "long" ? BigInt(value as bigint) : value;
}

export interface WrittenManifest {
  bytes: Uint8Array;
  /** The manifest_file record for the list; snapshot id and sequence numbers are filled per attempt. */
  entry: Record<string, unknown> & { manifest_path: string };
}

export function writeManifest(path: string, files: DataFileEntry[], schema: IcebergSchema, spec: PartitionSpec, fields: PartitionField[]): WrittenManifest {
  const specFieldIds = spec.fields.map((field) => field["field-id"]);
  const records = files.map((file) => ({
    status: STATUS_ADDED,
    snapshot_id: null,
    sequence_number: null,
    file_sequence_number: null,
    data_file: {
      content: CONTENT_DATA,
      file_path: file.path,
      file_format: "PARQUET",
      partition: Object.fromEntries(fields.map((field, i) => [field.name, avroPartitionValue(field, file.partition[i])])),
      record_count: BigInt(file.recordCount),
      file_size_in_bytes: BigInt(file.sizeInBytes),
    },
  }));
  const bytes = writeAvroContainer(manifestEntrySchema(fields, specFieldIds), records, {
    schema: stringifyJson(schema),
    "schema-id": String(schema["schema-id"]),
    "partition-spec": stringifyJson(spec.fields),
    "partition-spec-id": String(spec["spec-id"]),
    "format-version": "2",
    content: "data",
  });
  const rows = files.reduce((sum, file) => sum + file.recordCount, 0);
  return {
    bytes,
    entry: {
      manifest_path: path,
      manifest_length: BigInt(bytes.byteLength),
      partition_spec_id: spec["spec-id"],
      content: CONTENT_DATA,
      min_sequence_number: 0n,
      added_files_count: files.length,
      existing_files_count: 0,
      deleted_files_count: 0,
      added_rows_count: BigInt(rows),
      existing_rows_count: 0n,
      deleted_rows_count: 0n,
      partitions: fields.map((field, i) => fieldSummary(field, files.map((file) => file.partition[i]))),
    },
  };
}

const MANIFEST_FILE_SCHEMA = {
  type: "record",
  name: "manifest_file",
  fields: [
    { name: "manifest_path", type: "string", "field-id": 500 },
    { name: "manifest_length", type: "long", "field-id": 501 },
    { name: "partition_spec_id", type: "int", "field-id": 502 },
    { name: "content", type: "int", "field-id": 517 },
    { name: "sequence_number", type: "long", "field-id": 515 },
    { name: "min_sequence_number", type: "long", "field-id": 516 },
    { name: "added_snapshot_id", type: "long", "field-id": 503 },
    { name: "added_files_count", type: "int", "field-id": 504 },
    { name: "existing_files_count", type: "int", "field-id": 505 },
    { name: "deleted_files_count", type: "int", "field-id": 506 },
    { name: "added_rows_count", type: "long", "field-id": 512 },
    { name: "existing_rows_count", type: "long", "field-id": 513 },
    { name: "deleted_rows_count", type: "long", "field-id": 514 },
    optional(
      {
        type: "array",
        "element-id": 508,
        items: {
          type: "record",
          name: "r508",
          fields: [
            { name: "contains_null", type: "boolean", "field-id": 509 },
            optional("boolean", "contains_nan", 518),
            optional("bytes", "lower_bound", 510),
            optional("bytes", "upper_bound", 511),
          ],
        },
      },
      "partitions",
      507,
    ),
  ],
};

/**
 * A manifest_file with exactly this schema's fields. Lists written by other writers may have
 * more fields, or lack ones v1 did not require; v1's missing ones read as 0 (spec: "use 0 when
 * reading v1 manifest lists").
 */
function manifestFileRecord(manifest: ManifestFile): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const field of MANIFEST_FILE_SCHEMA.fields) {
    const value = manifest[field.name];
    const isLong = field.type === "long";
    record[field.name] = value ?? (field.name === "partitions" ? null : isLong ? 0n : 0);
  }
  return record;
}

/** The manifest list of a snapshot: the parent's manifests, then the new one. */
export function writeManifestList(
  manifests: ManifestFile[],
  snapshotId: bigint,
  parentId: bigint | undefined,
  sequenceNumber: number,
): Uint8Array {
  return writeAvroContainer(MANIFEST_FILE_SCHEMA, manifests.map(manifestFileRecord), {
    "snapshot-id": snapshotId.toString(),
    "parent-snapshot-id": parentId === undefined ? "null" : parentId.toString(),
    "sequence-number": String(sequenceNumber),
    "format-version": "2",
  });
}

export async function readManifestList(bytes: Uint8Array): Promise<ManifestFile[]> {
  const { records } = await readAvroContainer(bytes);
  return records as ManifestFile[];
}

/** The partition value's bounds in Iceberg's single-value binary serialization (spec Appendix D). */
function fieldSummary(field: PartitionField, values: unknown[]) {
  const present = values.filter((value) => value !== null && value !== undefined);
  const sorted = [...present].sort((a, b) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  return {
    contains_null: present.length < values.length,
    contains_nan: null,
    lower_bound: sorted.length ? singleValue(field.resultType, sorted[0]) : null,
    upper_bound: sorted.length ? singleValue(field.resultType, sorted.at(-1)) : null,
  };
}

function singleValue(type: ColumnType, value: unknown): Buffer {
  switch (type.type) {
    case "boolean":
      return Buffer.from([value ? 1 : 0]);
    case "int":
    case "date": {
      const buffer = Buffer.alloc(4);
      buffer.writeInt32LE(Number(value));
      return buffer;
    }
    case "long": {
      const buffer = Buffer.alloc(8);
      buffer.writeBigInt64LE(BigInt(value as bigint));
      return buffer;
    }
    default:
      return Buffer.from(String(value), "utf8");
  }
}
