// A topic's schema (key and value parts, as the schema libraries hold them) turned into one
// table's columns, and records turned into rows of it.
//
// Columns: the value's fields when the value is a record/object/message (else one `value`
// column), then `key` (typed when the key has a schema, else binary) and the metadata columns
// `partition` (int), `offset` (long), `timestamp` (timestamptz, the record's timestamp) and
// `headers` (map<string, binary>). A value field with the name of a metadata column keeps it;
// the metadata column is then called `kafka_<name>`.

import type protobuf from "protobufjs";
import { avroColumns, type AvroSchema } from "./avro-columns.ts";
import { LakeSchemaError, primitive, type Field } from "./columns.ts";
import { jsonSchemaColumns } from "./json-schema-columns.ts";
import { protobufColumns } from "./protobuf-columns.ts";
import { LakeValueError, MICROS_PER_MILLI, nullable, toBytes, type Convert, type Mapped } from "./value-conversion.ts";

/** One part (key or value) of a topic's schema. */
export type SchemaPart =
  | { format: "avro"; schema: AvroSchema }
  | { format: "json"; schema: object }
  | { format: "protobuf"; type: protobuf.Type };

export interface TopicSchema {
  key?: SchemaPart;
  value?: SchemaPart;
}

export interface LakeHeader {
  key: string;
  value: Uint8Array | null;
}

/**
 * One record as the broker has it after validation: key and value are the decoded values
 * (avsc decode, JSON.parse, protobufjs toObject) where that part has a schema, else the raw
 * bytes (or null).
 */
export interface LakeRecord {
  partition: number;
  offset: bigint;
  /** Milliseconds since the epoch. */
  timestamp: number | bigint;
  key: unknown;
  value: unknown;
  headers: readonly LakeHeader[];
}

export type Row = Record<string, unknown>;

export interface MetadataColumns {
  key: string;
  partition: string;
  offset: string;
  timestamp: string;
  headers: string;
}

export interface TableSchema {
  /** The table's columns, field ids still 0 (the table assigns them). */
  readonly fields: Field[];
  readonly metadata: MetadataColumns;
  /** Identifies the column layout: rows with equal fingerprints can share a data file. */
  readonly fingerprint: string;
  /** @throws LakeValueError when the record does not fit the columns */
  toRow(record: LakeRecord): Row;
}

const METADATA_NAMES = ["key", "partition", "offset", "timestamp", "headers"] as const;

const RAW_BYTES: Mapped & { required: boolean } = { type: primitive("binary"), convert: nullable(toBytes), required: false };

function partColumns(part: SchemaPart | undefined): Mapped & { required: boolean } {
  if (!part) return RAW_BYTES;
  switch (part.format) {
    case "avro":
      return avroColumns(part.schema);
    case "json":
      return jsonSchemaColumns(part.schema);
    case "protobuf":
      return protobufColumns(part.type);
  }
}

/** @throws LakeSchemaError when a part cannot be mapped to columns */
export function tableSchema(topic: TopicSchema): TableSchema {
  const value = partColumns(topic.value);
  const key = partColumns(topic.key);
  const flatten = value.type.type === "struct";
  const valueFields: Field[] = flatten
    ? (value.type as { fields: Field[] }).fields
    : [{ id: 0, name: "value", required: false, type: value.type }];
  const taken = new Set(valueFields.map((field) => field.name));
  const names = Object.fromEntries(METADATA_NAMES.map((name) => [name, taken.has(name) ? `kafka_${name}` : name])) as unknown as MetadataColumns;
  for (const name of Object.values(names)) {
    if (flatten && taken.has(name)) throw new LakeSchemaError(`value fields ${name.slice(6)} and ${name} leave no name for the ${name.slice(6)} column`);
  }
  const fields: Field[] = [
    ...valueFields,
    { id: 0, name: names.key, required: false, type: key.type },
    { id: 0, name: names.partition, required: true, type: primitive("int") },
    { id: 0, name: names.offset, required: true, type: primitive("long") },
    { id: 0, name: names.timestamp, required: true, type: primitive("timestamptz") },
    {
      id: 0,
      name: names.headers,
      required: true,
      type: { type: "map", keyId: 0, key: primitive("string"), valueId: 0, valueRequired: false, value: primitive("binary") },
    },
  ];
  const requiredValueFields = flatten ? valueFields.filter((field) => field.required).map((field) => field.name) : [];
  const toRow = rowBuilder(value.convert, key.convert, flatten, requiredValueFields, names);
  return { fields, metadata: names, fingerprint: JSON.stringify(fields), toRow };
}

function rowBuilder(value: Convert, key: Convert, flatten: boolean, requiredValueFields: string[], names: MetadataColumns) {
  return (record: LakeRecord): Row => {
    let row: Row;
    try {
      if (flatten) {
        if ((record.value === null || record.value === undefined) && requiredValueFields.length > 0) {
          throw new LakeValueError(`the value is null but columns ${requiredValueFields.join(", ")} need one`);
        }
        row = (value(record.value) as Row | null) ?? {};
      } else {
        row = { value: value(record.value) };
      }
      row[names.key] = key(record.key);
    } catch (error) {
      throw new LakeValueError(`record at partition ${record.partition} offset ${record.offset}: ${(error as Error).message}`);
    }
    row[names.partition] = record.partition;
    row[names.offset] = record.offset;
    row[names.timestamp] = BigInt(record.timestamp) * MICROS_PER_MILLI;
    row[names.headers] = record.headers.map((header) => ({ key: header.key, value: header.value }));
    return row;
  };
}
