// Topics the lake tests write: one per schema format, each with nested records, lists, maps and
// the logical types of that format, and records decoded the way the broker will decode them
// (avsc decode, JSON.parse, protobufjs toObject). Each record also comes with the row an
// independent reader must return for it, written out here from the source values.

import avro from "avsc";
import protobuf from "protobufjs";
import type { LakeRecord, TopicSchema } from "../../src/lake/lake.ts";
import { duckBlob } from "./readers.ts";

/** Column name → what DuckDB's getRowObjectsJson() gives for it (timestamps in UTC). */
export type ExpectedRow = Record<string, unknown>;

export interface TopicFixture {
  name: string;
  schema: TopicSchema;
  /** Record `i` of partition `partition` at `offset`. */
  record(i: number, partition: number, offset: bigint): LakeRecord;
  /** What DuckDB returns for that record's row (value columns and key). */
  expected(i: number): ExpectedRow;
}

const BASE_MS = Date.UTC(2024, 0, 15, 10, 30, 0, 123);
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const encoder = new TextEncoder();

/** 2024-01-15 10:30:00.123+00 as DuckDB prints a timestamptz in UTC. */
export function duckTimestamp(ms: number, extraMicros = 0): string {
  const iso = new Date(ms).toISOString();
  const micros = String((ms % 1000) * 1000 + extraMicros).padStart(6, "0").replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${micros ? `.${micros}` : ""}+00`;
}

/** The same for a timestamp without zone. */
function duckLocalTimestamp(ms: number): string {
  return duckTimestamp(ms).slice(0, -3);
}

const recordTime = (i: number) => BASE_MS + i * HOUR_MS * 7;
const uuidOf = (i: number) => `0190d3f2-6b7a-7c3e-8a1b-${String(i).padStart(12, "0")}`;
const headers = (i: number) => [
  { key: "trace", value: encoder.encode(`t-${i}`) },
  { key: "empty", value: null },
];

/** Record i of a topic at (partition, offset), with the decoded key and value the broker would hand over. */
function lakeRecord(i: number, partition: number, offset: bigint, key: unknown, value: unknown): LakeRecord {
  return { partition, offset, timestamp: recordTime(i), key, value, headers: headers(i) };
}

/** Common to every topic: the Kafka metadata of record i. */
export function metadataOf(record: LakeRecord): ExpectedRow {
  return {
    partition: record.partition,
    offset: String(record.offset),
    timestamp: duckTimestamp(Number(record.timestamp)),
  };
}

// ---------- Avro ----------

export const AVRO_VALUE = {
  type: "record",
  name: "Order",
  namespace: "shop",
  fields: [
    { name: "id", type: "long" },
    { name: "customer", type: "string" },
    { name: "amount", type: { type: "bytes", logicalType: "decimal", precision: 10, scale: 2 } },
    { name: "placed", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "shipped", type: ["null", { type: "long", logicalType: "timestamp-micros" }], default: null },
    { name: "local", type: { type: "long", logicalType: "local-timestamp-millis" } },
    { name: "due", type: { type: "int", logicalType: "date" } },
    { name: "at", type: { type: "int", logicalType: "time-millis" } },
    { name: "ref", type: { type: "string", logicalType: "uuid" } },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "counts", type: { type: "map", values: "int" } },
    {
      name: "address",
      type: ["null", { type: "record", name: "Address", fields: [{ name: "street", type: "string" }, { name: "zip", type: "int" }] }],
      default: null,
    },
    { name: "previous", type: { type: "array", items: "Address" } },
    { name: "status", type: { type: "enum", name: "Status", symbols: ["NEW", "PAID", "SHIPPED"] } },
    { name: "either", type: ["int", "string"] },
    { name: "ratio", type: "float" },
    { name: "score", type: "double" },
    { name: "gift", type: "boolean" },
    { name: "blob", type: "bytes" },
    { name: "code", type: { type: "fixed", name: "Code", size: 3 } },
  ],
};
export const AVRO_KEY = { type: "record", name: "OrderKey", fields: [{ name: "id", type: "long" }] };
/** The topic's --schema-registry file: an Avro record with fields key and value. */
export const AVRO_SCHEMA_FILE = JSON.stringify({ type: "record", name: "OrdersAvro", fields: [{ name: "key", type: AVRO_KEY }, { name: "value", type: AVRO_VALUE }] });
const avroValue = avro.Type.forSchema(AVRO_VALUE as avro.Schema);
const avroKey = avro.Type.forSchema(AVRO_KEY as avro.Schema);

/** Two's complement big-endian bytes of an unscaled decimal. */
function decimalBytes(unscaled: bigint): Buffer {
  const hex = (unscaled < 0n ? (1n << 64n) + unscaled : unscaled).toString(16).padStart(16, "0");
  let bytes = Buffer.from(hex, "hex");
  while (bytes.length > 1 && ((bytes[0] === 0 && !(bytes[1]! & 0x80)) || (bytes[0] === 0xff && bytes[1]! & 0x80))) bytes = bytes.subarray(1);
  return bytes;
}

function avroSource(i: number) {
  const cents = BigInt(12345 + i * 101) * (i % 3 === 2 ? -1n : 1n);
  return {
    id: 1000 + i,
    customer: `customer-${i}`,
    amount: decimalBytes(cents),
    placed: recordTime(i),
    shipped: i % 2 === 0 ? recordTime(i) * 1000 + 456 : null,
    local: recordTime(i) + 1,
    due: 19737 + i,
    at: (10 * 3600 + 30 * 60 + i) * 1000 + 250,
    ref: uuidOf(i),
    tags: i % 2 === 0 ? ["a", `b${i}`] : [],
    counts: { x: i, y: i * 2 },
    address: i % 2 === 1 ? null : { street: `${i} Main St`, zip: 10000 + i },
    previous: [{ street: "Old Rd", zip: 1 }],
    status: ["NEW", "PAID", "SHIPPED"][i % 3]!,
    either: i % 2 === 0 ? i : `s${i}`,
    ratio: 0.5 + i,
    score: 1.25 * i,
    gift: i % 2 === 0,
    blob: Buffer.from([0, i, 255]),
    code: Buffer.from([65, 66, 67 + (i % 3)]),
    cents,
  };
}

function decimalText(cents: bigint): string {
  const sign = cents < 0n ? "-" : "";
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

export const avroTopic: TopicFixture = {
  name: "orders-avro",
  schema: { key: { format: "avro", schema: AVRO_KEY }, value: { format: "avro", schema: AVRO_VALUE } },
  record(i, partition, offset) {
    const { cents: _cents, ...value } = avroSource(i);
    // Values decoded from their Avro binary.
    return lakeRecord(i, partition, offset, avroKey.fromBuffer(avroKey.toBuffer({ id: 1000 + i })), avroValue.fromBuffer(avroValue.toBuffer(value)));
  },
  expected(i) {
    const s = avroSource(i);
    return {
      id: String(s.id),
      customer: s.customer,
      amount: decimalText(s.cents),
      placed: duckTimestamp(s.placed),
      shipped: s.shipped === null ? null : duckTimestamp(recordTime(i), 456),
      local: duckLocalTimestamp(s.local),
      due: new Date(s.due * DAY_MS).toISOString().slice(0, 10),
      at: `${new Date(s.at).toISOString().slice(11, 19)}.25`,
      ref: s.ref,
      tags: s.tags,
      counts: [
        { key: "x", value: s.counts.x },
        { key: "y", value: s.counts.y },
      ],
      address: s.address,
      previous: s.previous,
      status: s.status,
      either: i % 2 === 0 ? { int: i, string: null } : { int: null, string: `s${i}` },
      ratio: s.ratio,
      score: s.score,
      gift: s.gift,
      blob: duckBlob(new Uint8Array([0, i, 255])),
      code: `AB${String.fromCharCode(67 + (i % 3))}`,
      key: { id: String(s.id) },
    };
  },
};

// ---------- JSON Schema ----------

const JSON_VALUE = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  required: ["id", "name", "createdAt", "lines"],
  $defs: {
    line: {
      type: "object",
      required: ["sku", "qty"],
      properties: { sku: { type: "string" }, qty: { type: "integer" }, price: { type: "number" } },
    },
  },
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    createdAt: { type: "string", format: "date-time" },
    birthday: { type: ["string", "null"], format: "date" },
    wakeUp: { type: "string", format: "time" },
    token: { type: "string", format: "uuid" },
    active: { type: "boolean" },
    lines: { type: "array", items: { $ref: "#/$defs/line" } },
    labels: { type: "object", additionalProperties: { type: "string" } },
    meta: { type: "object" },
    nested: {
      type: "object",
      properties: { level: { type: "integer" }, inner: { type: "object", properties: { deep: { type: "string" } } } },
    },
  },
};

function jsonSource(i: number) {
  return {
    id: 2000 + i,
    name: `person-${i}`,
    createdAt: `2024-01-15T1${i % 10}:00:00.123456+02:00`,
    birthday: i % 2 === 0 ? `1990-0${(i % 9) + 1}-15` : null,
    wakeUp: `07:0${i % 10}:30.5Z`,
    token: uuidOf(i).toUpperCase(),
    active: i % 3 === 0,
    lines: [
      { sku: `sku-${i}`, qty: i + 1, price: 9.5 },
      { sku: "extra", qty: 1 },
    ],
    labels: { color: i % 2 === 0 ? "red" : "blue" },
    meta: { free: [1, "two", { three: 3 }] },
    nested: { level: i, inner: { deep: `d${i}` } },
  };
}

export const jsonTopic: TopicFixture = {
  name: "people-json",
  schema: { value: { format: "json", schema: JSON_VALUE } },
  record(i, partition, offset) {
    return lakeRecord(i, partition, offset, encoder.encode(`k${i}`), JSON.parse(JSON.stringify(jsonSource(i))));
  },
  expected(i) {
    const s = jsonSource(i);
    return {
      id: String(s.id),
      name: s.name,
      // +02:00 in the source: two hours earlier in UTC, microseconds kept.
      createdAt: `2024-01-15 ${String(10 + (i % 10) - 2).padStart(2, "0")}:00:00.123456+00`,
      birthday: s.birthday,
      wakeUp: `07:0${i % 10}:30.5`,
      token: uuidOf(i),
      active: s.active,
      lines: [
        { sku: `sku-${i}`, qty: String(i + 1), price: 9.5 },
        { sku: "extra", qty: "1", price: null },
      ],
      labels: [{ key: "color", value: s.labels.color }],
      meta: JSON.stringify(s.meta),
      nested: { level: String(i), inner: { deep: `d${i}` } },
      key: `k${i}`,
    };
  },
};

// ---------- Protobuf ----------

export const PROTO = `
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

enum Kind { KIND_UNKNOWN = 0; KIND_BOOK = 1; KIND_GAME = 2; }

message Item {
  string sku = 1;
  int32 quantity = 2;
}

message Value {
  int64 id = 1;
  string title = 2;
  Kind kind = 3;
  google.protobuf.Timestamp created = 4;
  google.protobuf.StringValue note = 5;
  repeated Item items = 6;
  map<string, int64> stock = 7;
  uint64 big = 8;
  bytes payload = 9;
  optional double weight = 10;
  uint32 small = 11;
  sint32 delta = 12;
  bool available = 13;
  oneof source {
    string shop = 14;
    int32 warehouse = 15;
  }
  repeated string aliases = 16;
}

message Key {
  string sku = 1;
}
`;

/** The .proto with the well-known types it imports, as a schema registry would resolve them. */
function parseProto(text: string): protobuf.Root {
  const root = new protobuf.Root();
  for (const file of ["google/protobuf/timestamp.proto", "google/protobuf/wrappers.proto"]) root.addJSON(protobuf.common.get(file)!.nested!);
  protobuf.parse(text, root, { keepCase: true });
  root.resolveAll();
  return root;
}

export const protobufRoot = parseProto(PROTO);
const protoValue = protobufRoot.lookupType("shop.Value");
const protoKey = protobufRoot.lookupType("shop.Key");

/** The toObject options the broker uses: exact longs, enum names, defaults for unset scalars. */
export const TO_OBJECT = { longs: String, enums: String, defaults: true, arrays: true, objects: true } as const;

function protoSource(i: number) {
  const seconds = Math.floor(recordTime(i) / 1000);
  return {
    id: String(3000 + i),
    title: i === 1 ? "" : `title-${i}`,
    kind: i % 3,
    created: { seconds, nanos: 123_456_789 },
    note: i % 2 === 0 ? { value: `note-${i}` } : null,
    items: [{ sku: `sku-${i}`, quantity: i }],
    stock: { north: String(i * 10), south: "-5" },
    big: "18446744073709551615",
    payload: new Uint8Array([i, 1, 2]),
    weight: i % 2 === 0 ? 1.5 * i : undefined,
    small: 4294967295,
    delta: -i,
    available: i % 2 === 1,
    shop: i % 2 === 0 ? `shop-${i}` : undefined,
    warehouse: i % 2 === 1 ? i : undefined,
    aliases: i % 2 === 0 ? ["x", "y"] : [],
    seconds,
  };
}

export const protobufTopic: TopicFixture = {
  name: "items-proto",
  schema: { key: { format: "protobuf", type: protoKey }, value: { format: "protobuf", type: protoValue } },
  record(i, partition, offset) {
    const { seconds: _seconds, ...source } = protoSource(i);
    const message = protoValue.fromObject(Object.fromEntries(Object.entries(source).filter(([, v]) => v !== null && v !== undefined)));
    const decodedValue = protoValue.decode(protoValue.encode(message).finish());
    const decodedKey = protoKey.decode(protoKey.encode(protoKey.fromObject({ sku: `sku-${i}` })).finish());
    return lakeRecord(i, partition, offset, protoKey.toObject(decodedKey, TO_OBJECT), protoValue.toObject(decodedValue, TO_OBJECT));
  },
  expected(i) {
    const s = protoSource(i);
    return {
      id: s.id,
      title: s.title,
      kind: ["KIND_UNKNOWN", "KIND_BOOK", "KIND_GAME"][i % 3],
      created: `${duckTimestamp(s.seconds * 1000).slice(0, -3)}.123456+00`,
      note: s.note ? s.note.value : null,
      items: [{ sku: `sku-${i}`, quantity: i }],
      stock: [
        { key: "north", value: String(i * 10) },
        { key: "south", value: "-5" },
      ],
      big: "18446744073709551615",
      payload: duckBlob(new Uint8Array([i, 1, 2])),
      weight: s.weight ?? null,
      small: "4294967295",
      delta: 0 - i,
      available: s.available,
      shop: s.shop ?? null,
      warehouse: s.warehouse ?? null,
      aliases: s.aliases,
      key: { sku: `sku-${i}` },
    };
  },
};

export const TOPICS = [avroTopic, jsonTopic, protobufTopic];

// ---------- A schema that evolves ----------

/** Version 1 of an Avro value schema, and version 2 that adds an optional field. */
export const EVENT_V1 = {
  type: "record",
  name: "Event",
  fields: [
    { name: "id", type: "long" },
    { name: "what", type: "string" },
  ],
};
export const EVENT_V2 = { ...EVENT_V1, fields: [...EVENT_V1.fields, { name: "coupon", type: ["null", "string"], default: null }] };

/** Event i at offset i of partition 0; with a coupon it fits only EVENT_V2. */
export function event(i: number, coupon?: string): LakeRecord {
  const value = coupon === undefined ? { id: i, what: `e${i}` } : { id: i, what: `e${i}`, coupon };
  return { partition: 0, offset: BigInt(i), timestamp: recordTime(i), key: null, value, headers: [] };
}

/** `count` records of `topic` spread over `partitions` partitions, offsets counting up per partition. */
export function recordsOf(topic: TopicFixture, count: number, partitions = 1, start = 0): LakeRecord[] {
  return Array.from({ length: count }, (_, n) => {
    const i = start + n;
    return topic.record(i, i % partitions, BigInt(Math.floor(i / partitions)));
  });
}

export { DAY_MS, HOUR_MS, recordTime };
