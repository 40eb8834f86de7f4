// The column model's rules on their own: schema mapping corners (recursion, unions, wrappers),
// field ids when a table evolves, partition transforms, and the offset bookkeeping.

import { describe, expect, test } from "bun:test";
import avro from "avsc";
import protobuf from "protobufjs";
import { reconcileFields, type Field } from "../../src/lake/columns.ts";
import { tableSchema } from "../../src/lake/lake.ts";
import { covered, decodeRuns, encodeRuns, endsOf, mergeRuns, runsOf } from "../../src/lake/offsets.ts";
import { bindPartitioning, parsePartitioning, partitionText, partitionValue } from "../../src/lake/partitioning.ts";

const record = (value: unknown, key: unknown = null) => ({ partition: 0, offset: 0n, timestamp: 0, key, value, headers: [] });
const typeOf = (fields: Field[], name: string) => fields.find((field) => field.name === name)!.type;

describe("schema mapping corners", () => {
  test("a recursive Avro record is kept as JSON text", () => {
    const schema = { type: "record", name: "Node", fields: [{ name: "label", type: "string" }, { name: "next", type: ["null", "Node"], default: null }] };
    const table = tableSchema({ value: { format: "avro", schema } });
    expect(typeOf(table.fields, "next")).toEqual({ type: "string" });
    const type = avro.Type.forSchema(schema as avro.Schema);
    const value = type.fromBuffer(type.toBuffer({ label: "a", next: { label: "b", next: null } }));
    expect(table.toRow(record(value))).toMatchObject({ label: "a", next: '{"label":"b","next":null}' });
  });

  test("Avro unions decoded wrapped or unwrapped land in the same member column", () => {
    const schema = { type: "record", name: "R", fields: [{ name: "u", type: ["null", "int", "string"] }, { name: "n", type: ["null", "long"] }] };
    const table = tableSchema({ value: { format: "avro", schema } });
    expect(typeOf(table.fields, "u")).toMatchObject({ type: "struct", fields: [{ name: "int" }, { name: "string" }] });
    for (const options of [{}, { wrapUnions: true }]) {
      const type = avro.Type.forSchema(schema as avro.Schema, options as avro.ForSchemaOptions);
      const value = type.fromBuffer(type.toBuffer(options.wrapUnions ? { u: { string: "x" }, n: { long: 5 } } : { u: "x", n: 5 }));
      expect(table.toRow(record(value))).toMatchObject({ u: { int: null, string: "x" }, n: 5n });
    }
  });

  test("JSON Schema: nullable forms, unions of several types and recursive references", () => {
    const schema = {
      type: "object",
      required: ["a", "b", "c"],
      properties: {
        a: { anyOf: [{ type: "string" }, { type: "null" }] },
        b: { type: "string", nullable: true },
        c: { type: ["integer", "number"] },
        d: { oneOf: [{ type: "string" }, { type: "integer" }] },
        tree: { $ref: "#/$defs/tree" },
      },
      $defs: { tree: { type: "object", properties: { children: { type: "array", items: { $ref: "#/$defs/tree" } } } } },
    };
    const table = tableSchema({ value: { format: "json", schema } });
    const fields = Object.fromEntries(table.fields.map((field) => [field.name, field]));
    expect(fields.a).toMatchObject({ required: false, type: { type: "string" } });
    expect(fields.b).toMatchObject({ required: false, type: { type: "string" } });
    expect(fields.c).toMatchObject({ required: true, type: { type: "double" } });
    expect(fields.d!.type).toEqual({ type: "string" });
    expect(fields.tree!.type).toMatchObject({ type: "struct", fields: [{ name: "children", type: { type: "list", element: { type: "string" } } }] });
    expect(table.toRow(record({ a: null, b: "x", c: 1.5, d: 7, tree: { children: [{ children: [] }] } }))).toMatchObject({
      a: null,
      c: 1.5,
      d: "7",
      tree: { children: ['{"children":[]}'] },
    });
  });

  test("Protobuf: wrappers, Empty, recursion and map keys of every kind", () => {
    const root = new protobuf.Root();
    for (const file of ["google/protobuf/wrappers.proto", "google/protobuf/empty.proto"]) root.addJSON(protobuf.common.get(file)!.nested!);
    protobuf.parse(
      `syntax = "proto3";
       message Tree { string name = 1; repeated Tree children = 2; google.protobuf.Int64Value size = 3; google.protobuf.Empty nothing = 4;
                      map<int32, string> byInt = 5; map<bool, int64> byBool = 6; map<uint64, string> byBig = 7; }`,
      root,
      { keepCase: true },
    );
    root.resolveAll();
    const type = root.lookupType("Tree");
    const table = tableSchema({ value: { format: "protobuf", type } });
    expect(table.fields.map((field) => field.name)).not.toContain("nothing");
    expect(typeOf(table.fields, "children")).toMatchObject({ type: "list", element: { type: "string" } });
    expect(typeOf(table.fields, "size")).toEqual({ type: "long" });
    expect(typeOf(table.fields, "byBig")).toMatchObject({ type: "map", key: { type: "decimal", precision: 20, scale: 0 } });
    const message = type.fromObject({ name: "root", children: [{ name: "leaf" }], size: { value: "9007199254740993" }, byInt: { 1: "one" }, byBool: { true: "2" }, byBig: { "18446744073709551615": "max" } });
    const value = type.toObject(type.decode(type.encode(message).finish()), { longs: String, enums: String, defaults: true });
    expect(table.toRow(record(value))).toMatchObject({
      name: "root",
      size: 9007199254740993n,
      byInt: [{ key: 1, value: "one" }],
      byBool: [{ key: true, value: 2n }],
      byBig: [{ key: 18446744073709551615n, value: "max" }],
    });
    expect(JSON.parse((table.toRow(record(value)).children as string[])[0]!)).toMatchObject({ name: "leaf" });
  });

  test("a value that is not a record is one value column; no schema means raw bytes", () => {
    const table = tableSchema({ value: { format: "avro", schema: "string" } });
    expect(table.fields.map((field) => [field.name, field.type.type])).toEqual([
      ["value", "string"],
      ["key", "binary"],
      ["partition", "int"],
      ["offset", "long"],
      ["timestamp", "timestamptz"],
      ["headers", "map"],
    ]);
    const raw = tableSchema({});
    expect(raw.toRow(record(new Uint8Array([1]), new Uint8Array([2])))).toMatchObject({ value: new Uint8Array([1]), key: new Uint8Array([2]) });
  });

  test("value fields named like metadata columns keep their names; the metadata columns move to kafka_*", () => {
    const schema = { type: "object", properties: { timestamp: { type: "string", format: "date-time" }, offset: { type: "integer" } } };
    const table = tableSchema({ value: { format: "json", schema } });
    expect(table.fields.map((field) => field.name)).toEqual(["timestamp", "offset", "key", "partition", "kafka_offset", "kafka_timestamp", "headers"]);
    expect(table.toRow({ ...record({ timestamp: "2024-01-01T00:00:00Z", offset: 7 }), offset: 3n, timestamp: 1000 })).toMatchObject({
      timestamp: 1704067200000000n,
      offset: 7n,
      kafka_offset: 3n,
      kafka_timestamp: 1000000n,
    });
  });
});

describe("field ids as a table evolves", () => {
  const v1 = tableSchema({ value: { format: "json", schema: { type: "object", required: ["a"], properties: { a: { type: "integer" }, s: { type: "object", properties: { x: { type: "string" } } } } } } });
  const v2 = tableSchema({
    value: { format: "json", schema: { type: "object", required: ["a", "b"], properties: { a: { type: "integer" }, b: { type: "string" }, s: { type: "object", properties: { x: { type: "string" }, y: { type: "boolean" } } } } } },
  });

  test("new fields, nested ones too, get fresh ids; existing ones keep theirs; added fields are optional in the table", () => {
    const first = reconcileFields(null, v1.fields, 0);
    expect(first.changed).toBe(true);
    const second = reconcileFields(first.table, v2.fields, first.lastColumnId);
    expect(second.changed).toBe(true);
    const ids = (fields: Field[]) => Object.fromEntries(fields.map((field) => [field.name, field.id]));
    expect(ids(second.table)).toMatchObject(ids(first.table));
    const b = second.table.find((field) => field.name === "b")!;
    expect(b.required).toBe(false);
    expect(b.id).toBeGreaterThan(first.lastColumnId);
    const s = second.table.find((field) => field.name === "s")!.type as { fields: Field[] };
    expect(s.fields.map((field) => field.name)).toEqual(["x", "y"]);
    expect(s.fields[1]!.id).toBeGreaterThan(first.lastColumnId);
    // Writing v1 rows into the v2 table changes nothing.
    expect(reconcileFields(second.table, v1.fields, second.lastColumnId).changed).toBe(false);
  });

  test("a type change is refused", () => {
    const changed = tableSchema({ value: { format: "json", schema: { type: "object", properties: { a: { type: "string" } } } } });
    const table = reconcileFields(null, v1.fields, 0);
    expect(() => reconcileFields(table.table, changed.fields, table.lastColumnId)).toThrow("column a changes type from long to string");
  });
});

describe("partition transforms", () => {
  const fields = tableSchema({ value: { format: "json", schema: { type: "object", properties: { d: { type: "string", format: "date" }, n: { type: "integer" } } } } }).fields.map((field, i) => ({ ...field, id: i + 1 }));

  test("year, month, day and hour of timestamps before and after 1970, and their path text", () => {
    const [year, month, day, hour] = bindPartitioning(parsePartitioning("year(timestamp), month(timestamp), day(timestamp), hour(timestamp)"), fields);
    const at = (iso: string) => ({ timestamp: BigInt(Date.parse(iso)) * 1000n });
    for (const [iso, expected] of [
      ["2024-02-29T23:59:59.999Z", ["2024", "2024-02", "2024-02-29", "2024-02-29-23"]],
      ["1969-12-31T23:00:00.000Z", ["1969", "1969-12", "1969-12-31", "1969-12-31-23"]],
      ["1970-01-01T00:00:00.000Z", ["1970", "1970-01", "1970-01-01", "1970-01-01-00"]],
    ] as const) {
      const values = [year!, month!, day!, hour!].map((field) => partitionText(field, partitionValue(field, at(iso))));
      expect(values).toEqual([...expected]);
    }
    expect(partitionValue(day!, at("1969-12-31T23:00:00.000Z"))).toBe(-1);
    expect(partitionValue(hour!, at("1969-12-31T23:00:00.000Z"))).toBe(-1);
  });

  test("bad terms and columns are refused with the reason", () => {
    expect(() => parsePartitioning("bucket[4](n)")).toThrow(/is not column/);
    expect(() => bindPartitioning(parsePartitioning("hour(d)"), fields)).toThrow("hour(d) needs a timestamp column, d is date");
    expect(() => bindPartitioning(parsePartitioning("day(n)"), fields)).toThrow("day(n) needs a date or timestamp column, n is long");
    expect(() => bindPartitioning(parsePartitioning("nope"), fields)).toThrow(/partition column nope is not a top-level column/);
    expect(() => bindPartitioning(parsePartitioning("headers"), fields)).toThrow("cannot partition by map column headers itself");
  });
});

describe("offset bookkeeping", () => {
  const at = (partition: number, ...offsets: number[]) => offsets.map((offset) => ({ partition, offset: BigInt(offset) }));

  test("runs, merged across commits, encoded exactly", () => {
    const a = runsOf([...at(0, 3, 1, 2, 7), ...at(1, 0)]);
    expect(encodeRuns(a)).toBe('{"0":"1-3,7-7","1":"0-0"}');
    const merged = mergeRuns(a, runsOf([...at(0, 4, 5, 6), ...at(2, 9)]));
    expect(encodeRuns(merged)).toBe('{"0":"1-7","1":"0-0","2":"9-9"}');
    expect(decodeRuns(encodeRuns(merged))).toEqual(merged);
    expect(endsOf(merged)).toEqual(new Map([[0, 8n], [1, 1n], [2, 10n]]));
    const big = runsOf(at(0, 0).map(() => ({ partition: 0, offset: 9007199254740993n })));
    expect(decodeRuns(encodeRuns(big)).get(0)).toEqual([[9007199254740993n, 9007199254740993n]]);
  });

  test("coverage sees gaps between interleaved writers", () => {
    const runs = runsOf(at(0, 0, 1, 2, 10, 11, 20));
    expect([0, 2, 3, 9, 10, 11, 12, 20, 21].map((offset) => covered(runs, 0, BigInt(offset)))).toEqual([true, true, false, false, true, true, false, true, false]);
    expect(covered(runs, 1, 0n)).toBe(false);
  });
});
