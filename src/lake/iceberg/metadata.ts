// Iceberg table metadata (format v2): the JSON document, the updates a commit makes to it (in
// the REST catalog protocol's shape, so both catalogs take the same list), and applying them,
// which the file-system catalog does itself and a REST catalog does on its side.

import { randomUUID } from "node:crypto";
import type { IcebergSchema } from "./schema-json.ts";

export interface PartitionSpecField {
  "source-id": number;
  "field-id": number;
  name: string;
  transform: string;
}

export interface PartitionSpec {
  "spec-id": number;
  fields: PartitionSpecField[];
}

export interface Snapshot {
  "snapshot-id": bigint;
  "parent-snapshot-id"?: bigint;
  "sequence-number": number;
  "timestamp-ms": number;
  "manifest-list": string;
  summary: Record<string, string> & { operation: string };
  "schema-id": number;
}

export interface TableMetadata {
  "format-version": number;
  "table-uuid": string;
  location: string;
  "last-sequence-number": number;
  "last-updated-ms": number;
  "last-column-id": number;
  schemas: IcebergSchema[];
  "current-schema-id": number;
  "partition-specs": PartitionSpec[];
  "default-spec-id": number;
  "last-partition-id": number;
  properties: Record<string, string>;
  "current-snapshot-id"?: bigint | null;
  snapshots: Snapshot[];
  "snapshot-log": { "timestamp-ms": number; "snapshot-id": bigint }[];
  "metadata-log": { "timestamp-ms": number; "metadata-file": string }[];
  "sort-orders": { "order-id": number; fields: unknown[] }[];
  "default-sort-order-id": number;
  refs: Record<string, { "snapshot-id": bigint; type: "branch" | "tag" }>;
}

export type TableUpdate =
  | { action: "add-schema"; schema: IcebergSchema; "last-column-id": number }
  | { action: "set-current-schema"; "schema-id": number }
  | { action: "add-snapshot"; snapshot: Snapshot }
  | { action: "set-snapshot-ref"; "ref-name": string; type: "branch"; "snapshot-id": bigint };

export type TableRequirement =
  | { type: "assert-table-uuid"; uuid: string }
  | { type: "assert-ref-snapshot-id"; ref: string; "snapshot-id": bigint | null }
  | { type: "assert-current-schema-id"; "current-schema-id": number }
  | { type: "assert-last-assigned-field-id"; "last-assigned-field-id": number };

/** The partition field ids start here (the spec's convention, kept by every implementation). */
export const FIRST_PARTITION_FIELD_ID = 1000;

export function newTableMetadata(location: string, schema: IcebergSchema, lastColumnId: number, spec: PartitionSpec, properties: Record<string, string>): TableMetadata {
  return {
    "format-version": 2,
    "table-uuid": randomUUID(),
    location,
    "last-sequence-number": 0,
    "last-updated-ms": Date.now(),
    "last-column-id": lastColumnId,
    schemas: [schema],
    "current-schema-id": schema["schema-id"],
    "partition-specs": [spec],
    "default-spec-id": spec["spec-id"],
    "last-partition-id": Math.max(FIRST_PARTITION_FIELD_ID - 1, ...spec.fields.map((field) => field["field-id"])),
    properties,
    "current-snapshot-id": null,
    snapshots: [],
    "snapshot-log": [],
    "metadata-log": [],
    "sort-orders": [{ "order-id": 0, fields: [] }],
    "default-sort-order-id": 0,
    refs: {},
  };
}

export function currentSnapshot(metadata: TableMetadata): Snapshot | undefined {
  const id = metadata.refs.main?.["snapshot-id"] ?? metadata["current-snapshot-id"];
  return id === null || id === undefined || id === -1n ? undefined : metadata.snapshots.find((snapshot) => snapshot["snapshot-id"] === id);
}

export function currentSchema(metadata: TableMetadata): IcebergSchema {
  const schema = metadata.schemas.find((candidate) => candidate["schema-id"] === metadata["current-schema-id"]);
  if (!schema) throw new Error(`Iceberg metadata of ${metadata.location} has no schema ${metadata["current-schema-id"]}`);
  return schema;
}

export function defaultSpec(metadata: TableMetadata): PartitionSpec {
  const spec = metadata["partition-specs"].find((candidate) => candidate["spec-id"] === metadata["default-spec-id"]);
  if (!spec) throw new Error(`Iceberg metadata of ${metadata.location} has no partition spec ${metadata["default-spec-id"]}`);
  return spec;
}

/** The metadata after `updates`, as a catalog commits it; `previousFile` joins the metadata log. */
export function applyUpdates(base: TableMetadata, updates: TableUpdate[], previousFile: string | null): TableMetadata {
  const now = Date.now();
  const next: TableMetadata = {
    ...base,
    schemas: [...base.schemas],
    snapshots: [...base.snapshots],
    "snapshot-log": [...base["snapshot-log"]],
    "metadata-log": previousFile ? [...base["metadata-log"], { "timestamp-ms": base["last-updated-ms"], "metadata-file": previousFile }] : base["metadata-log"],
    refs: { ...base.refs },
    "last-updated-ms": now,
  };
  let lastAddedSchema = next["current-schema-id"];
  for (const update of updates) {
    switch (update.action) {
      case "add-schema":
        lastAddedSchema = Math.max(...next.schemas.map((schema) => schema["schema-id"])) + 1;
        next.schemas.push({ ...update.schema, "schema-id": lastAddedSchema });
        next["last-column-id"] = Math.max(next["last-column-id"], update["last-column-id"]);
        break;
      case "set-current-schema":
        next["current-schema-id"] = update["schema-id"] === -1 ? lastAddedSchema : update["schema-id"];
        break;
      case "add-snapshot":
        next.snapshots.push(update.snapshot);
        next["last-sequence-number"] = update.snapshot["sequence-number"];
        break;
      case "set-snapshot-ref":
        next.refs[update["ref-name"]] = { "snapshot-id": update["snapshot-id"], type: update.type };
        if (update["ref-name"] === "main") {
          next["current-snapshot-id"] = update["snapshot-id"];
          next["snapshot-log"].push({ "timestamp-ms": now, "snapshot-id": update["snapshot-id"] });
        }
        break;
    }
  }
  return next;
}

const SNAPSHOT_ID_KEYS = /"(snapshot-id|parent-snapshot-id|current-snapshot-id)"(\s*):(\s*)(-?\d+)/g;

/**
 * Parses metadata JSON keeping snapshot ids exact: other writers use all 63 bits, beyond what
 * JSON.parse's numbers hold, so those values are quoted first and read as bigints.
 */
export function parseMetadata(text: string): TableMetadata {
  const metadata = JSON.parse(text.replace(SNAPSHOT_ID_KEYS, '"$1"$2:$3"$4"'), (key, value: unknown) =>
    (key === "snapshot-id" || key === "parent-snapshot-id" || key === "current-snapshot-id") && typeof value === "string" ? BigInt(value) : value,
  ) as TableMetadata;
  return metadata;
}

/** JSON with bigints written as plain numbers. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `\u0000${v}\u0000` : v)).replace(/"\\u0000(-?\d+)\\u0000"/g, "$1");
}

/** A random positive 63-bit snapshot id, as Iceberg's reference implementation makes them. */
export function newSnapshotId(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  bytes[0]! &= 0x7f;
  return new DataView(bytes.buffer).getBigUint64(0);
}
