// Protobuf messages as columns, for values produced by protobufjs's Type.toObject (any of its
// long, enum and bytes options; { longs: String, enums: String, defaults: true } keeps every value
// exact and readable).
//
// message → struct; repeated → list; map<K, V> → map; enum → string (its name); int32, sint32,
// sfixed32 → int; uint32, fixed32, int64, sint64, sfixed64 → long; uint64, fixed64 →
// decimal(20,0) (no signed 64-bit type holds them); float, double, bool, string; bytes → binary.
// Well-known types: google.protobuf.Timestamp → timestamptz; the wrappers (Int64Value, …) → their
// optional primitive; Struct, Value, ListValue and Any → JSON text; Empty is dropped. A field is
// optional when it has presence (proto2 optional, proto3 `optional`, oneof members, messages);
// proto3 scalars without presence are required and take their default when absent. A message
// that contains itself is kept as JSON text.

import type protobuf from "protobufjs";
import { primitive, type ColumnType } from "./columns.ts";
import {
  jsonText,
  listOf,
  mapOf,
  nullable,
  structOf,
  timestampMicros,
  toBigInt,
  toBytes,
  toFields,
  toInt,
  toNumber,
  MICROS_PER_MILLI,
  type Convert,
  type Mapped,
  type MappedField,
} from "./value-conversion.ts";

interface Scalar extends Mapped {
  /** The value proto3 gives a field that was not set. */
  absent: unknown;
}

const WRAPPERS = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map((name) => `.google.protobuf.${name}Value`),
);
const AS_JSON = new Set([".google.protobuf.Struct", ".google.protobuf.Value", ".google.protobuf.ListValue", ".google.protobuf.Any"]);
const TIMESTAMP = ".google.protobuf.Timestamp";
const EMPTY = ".google.protobuf.Empty";
const UNSIGNED_64_PRECISION = 20;

const scalars: Record<string, () => Scalar> = {
  double: () => ({ type: primitive("double"), convert: nullable(toNumber), absent: 0 }),
  float: () => ({ type: primitive("float"), convert: nullable(toNumber), absent: 0 }),
  int32: () => ({ type: primitive("int"), convert: nullable(toInt), absent: 0 }),
  sint32: () => scalars.int32!(),
  sfixed32: () => scalars.int32!(),
  uint32: () => ({ type: primitive("long"), convert: nullable(toBigInt), absent: 0n }),
  fixed32: () => scalars.uint32!(),
  int64: () => ({ type: primitive("long"), convert: nullable(toBigInt), absent: 0n }),
  sint64: () => scalars.int64!(),
  sfixed64: () => scalars.int64!(),
  uint64: () => ({ type: { type: "decimal", precision: UNSIGNED_64_PRECISION, scale: 0 }, convert: nullable(toBigInt), absent: 0n }),
  fixed64: () => scalars.uint64!(),
  bool: () => ({ type: primitive("boolean"), convert: nullable((value) => value === true || value === "true"), absent: false }),
  string: () => ({ type: primitive("string"), convert: nullable(String), absent: "" }),
  bytes: () => ({ type: primitive("binary"), convert: nullable(toBytes), absent: new Uint8Array() }),
};

/** The columns of one message type (always a struct, never null itself). */
export function protobufColumns(type: protobuf.Type): Mapped & { required: boolean } {
  return { ...messageColumns(type, new Set()), required: true };
}

function messageColumns(type: protobuf.Type, stack: Set<string>): Mapped {
  const inner = new Set(stack).add(type.fullName);
  const fields: MappedField[] = [];
  for (const field of type.fieldsArray) {
    const mapped = fieldColumns(field.resolve(), inner);
    if (mapped) fields.push(mapped);
  }
  return { type: { type: "struct", fields: toFields(fields) }, convert: structOf(fields) };
}

function fieldColumns(field: protobuf.Field, stack: Set<string>): MappedField | null {
  const doc = field.comment ?? undefined;
  if (field.map) {
    const mapField = field as unknown as protobuf.MapField;
    const key = keyColumns(mapField.keyType);
    const value = valueColumns(field, stack);
    if (!value) return null;
    const type: ColumnType = { type: "map", keyId: 0, key: key.type, valueId: 0, valueRequired: value.required, value: value.type };
    const convert = mapOf(key.convert, value.convert);
    return { name: field.name, required: true, doc, mapped: { type, convert: (decoded) => convert(decoded ?? {}) } };
  }
  const element = valueColumns(field, stack);
  if (!element) return null;
  if (field.repeated) {
    const convert = listOf(element.convert);
    return {
      name: field.name,
      required: true,
      doc,
      mapped: { type: { type: "list", elementId: 0, elementRequired: true, element: element.type }, convert: (decoded) => convert(decoded ?? []) },
    };
  }
  if (element.required && !field.hasPresence) {
    const { absent } = element;
    return { name: field.name, required: true, doc, mapped: { type: element.type, convert: (decoded) => element.convert(decoded ?? absent) } };
  }
  return { name: field.name, required: false, doc, mapped: element };
}

interface Value extends Mapped {
  /** Whether proto3 always has a value for it (scalars and enums, not messages). */
  required: boolean;
  absent?: unknown;
}

function valueColumns(field: protobuf.Field, stack: Set<string>): Value | null {
  const resolved = field.resolvedType;
  if (resolved === null) {
    const scalar = scalars[field.type];
    if (!scalar) throw new Error(`protobuf field ${field.fullName} has unknown type ${field.type}`);
    return { ...scalar(), required: true };
  }
  if (!("fieldsArray" in resolved)) {
    const values = (resolved as protobuf.Enum).valuesById;
    const first = values[Math.min(...Object.keys(values).map(Number))] ?? "";
    return {
      type: primitive("string"),
      convert: nullable((value) => (typeof value === "number" ? (values[value] ?? String(value)) : String(value))),
      required: true,
      absent: first,
    };
  }
  const message = resolved as protobuf.Type;
  const name = message.fullName;
  if (name === EMPTY) return null;
  if (name === TIMESTAMP) return { type: primitive("timestamptz"), convert: timestampValue, required: false };
  if (AS_JSON.has(name) || stack.has(name)) return { type: primitive("string"), convert: jsonText, required: false };
  if (WRAPPERS.has(name)) {
    const inner = scalars[message.fields.value!.type]!();
    const unwrap: Convert = nullable((value) =>
      inner.convert(typeof value === "object" && !(value instanceof Uint8Array) && value !== null && "value" in value ? (value as { value: unknown }).value ?? inner.absent : value),
    );
    return { type: inner.type, convert: unwrap, required: false };
  }
  return { ...messageColumns(message, stack), required: false };
}

/** Map keys arrive as object keys, so always as strings. */
function keyColumns(keyType: string): Mapped {
  const scalar = scalars[keyType]!();
  switch (keyType) {
    case "bool":
      return { type: scalar.type, convert: (key) => key === true || key === "true" };
    case "string":
      return { type: scalar.type, convert: String };
    default:
      return scalar.type.type === "int" ? { type: scalar.type, convert: (key) => Number(key) } : { type: scalar.type, convert: (key) => BigInt(String(key)) };
  }
}

/** { seconds, nanos } from toObject (seconds in whichever long form), or a Date / ISO text. */
const timestampValue: Convert = nullable((value) => {
  if (value instanceof Date || typeof value === "string") return timestampMicros("millis")(value);
  const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
  return (seconds === undefined ? 0n : toBigInt(seconds)) * 1000n * MICROS_PER_MILLI + BigInt(Math.trunc(toNumber(nanos ?? 0) / 1000));
});
