// Converting decoded record values (what avsc, JSON.parse and protobufjs hand out) into the
// canonical row values of columns.ts. Decoders differ in how they represent the same thing
// (a long as number, bigint, string or Long; bytes as Buffer or base64; a timestamp as
// number, Date or ISO text), so each converter accepts every form a decoder can produce.

import type { ColumnType, Field } from "./columns.ts";

export type Convert = (value: unknown) => unknown;

/** A column type together with the function turning one decoded value into its row value. */
export interface Mapped {
  type: ColumnType;
  convert: Convert;
}

export interface MappedField {
  name: string;
  required: boolean;
  mapped: Mapped;
  doc?: string;
  /** Reads this field's decoded value out of the decoded parent object. */
  read?: (parent: Record<string, unknown>) => unknown;
}

export const MICROS_PER_MILLI = 1000n;
export const MICROS_PER_DAY = 86_400_000_000n;
const MILLIS_PER_DAY = 86_400_000;

export class LakeValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LakeValueError";
  }
}

const isAbsent = (value: unknown): value is null | undefined => value === null || value === undefined;

/** Lets `convert` see only present values; absent ones become null. */
export function nullable(convert: Convert): Convert {
  return (value) => (isAbsent(value) ? null : convert(value));
}

export const identity: Convert = (value) => value;

/** number, bigint, decimal string, or a Long-like object with toString() (protobufjs without BigInt). */
export function toBigInt(value: unknown): bigint {
  switch (typeof value) {
    case "bigint":
      return value;
    case "number":
      if (!Number.isInteger(value)) throw new LakeValueError(`${value} is not an integer`);
      return BigInt(value);
    case "string":
      return BigInt(value);
    case "object":
      if (value !== null && typeof (value as { toString?: unknown }).toString === "function") {
        return BigInt(String(value));
      }
  }
  throw new LakeValueError(`${String(value)} is not an integer`);
}

export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint" || typeof value === "string") return Number(value);
  throw new LakeValueError(`${String(value)} is not a number`);
}

export function toInt(value: unknown): number {
  const number = toNumber(typeof value === "object" && value !== null ? String(value) : value);
  if (!Number.isInteger(number)) throw new LakeValueError(`${String(value)} is not an integer`);
  return number;
}

/** Buffer / Uint8Array as they are; a string is base64 (protobufjs's `bytes: String`, JSON mappings). */
export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return Uint8Array.from(Buffer.from(value, "base64"));
  if (Array.isArray(value)) return Uint8Array.from(value as number[]);
  throw new LakeValueError(`${String(value)} is not bytes`);
}

/** A two's-complement big-endian integer (Avro's decimal bytes) as a bigint. */
export function bigIntFromTwosComplement(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let result = 0n;
  for (const byte of bytes) result = (result << 8n) | BigInt(byte);
  return bytes[0]! & 0x80 ? result - (1n << BigInt(bytes.length * 8)) : result;
}

/** The unscaled value of a decimal given as bytes, bigint (already unscaled) or a number / decimal text. */
export function toUnscaled(value: unknown, scale: number): bigint {
  if (value instanceof Uint8Array) return bigIntFromTwosComplement(value);
  if (typeof value === "bigint") return value;
  const text = typeof value === "number" ? value.toFixed(scale) : String(value);
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match) throw new LakeValueError(`${text} is not a decimal`);
  const [, sign, whole, fraction = ""] = match;
  const digits = `${whole || "0"}${fraction.padEnd(scale, "0").slice(0, scale)}`;
  return sign === "-" ? -BigInt(digits) : BigInt(digits);
}

/** Microseconds since the epoch from ISO-8601 / RFC 3339 text, keeping sub-millisecond digits. */
export function parseTimestampMicros(text: string): bigint {
  const fraction = /\.(\d+)/.exec(text);
  const millis = Date.parse(fraction ? text.replace(fraction[0], `.${fraction[1]!.slice(0, 3).padEnd(3, "0")}`) : text);
  if (Number.isNaN(millis)) throw new LakeValueError(`${JSON.stringify(text)} is not a date-time`);
  const extraMicros = fraction ? BigInt(fraction[1]!.slice(3, 6).padEnd(3, "0")) : 0n;
  return BigInt(millis) * MICROS_PER_MILLI + extraMicros;
}

/** A timestamp given as epoch units (number, bigint, Long), Date, ISO text, or { seconds, nanos }. */
export function timestampMicros(unitsPerMicro: "millis" | "micros"): Convert {
  return nullable((value) => {
    if (value instanceof Date) return BigInt(value.getTime()) * MICROS_PER_MILLI;
    if (typeof value === "string" && !/^-?\d+$/.test(value)) return parseTimestampMicros(value);
    const units = toBigInt(value);
    return unitsPerMicro === "millis" ? units * MICROS_PER_MILLI : units;
  });
}

/** Days since 1970-01-01 from a day count, Date or yyyy-mm-dd text. */
export const toDays: Convert = nullable((value) => {
  if (value instanceof Date) return Math.floor(value.getTime() / MILLIS_PER_DAY);
  if (typeof value === "string" && value.includes("-")) {
    const millis = Date.parse(`${value.slice(0, 10)}T00:00:00Z`);
    if (Number.isNaN(millis)) throw new LakeValueError(`${JSON.stringify(value)} is not a date`);
    return millis / MILLIS_PER_DAY;
  }
  return toInt(value);
});

/** Microseconds since midnight from hh:mm:ss[.ffffff][zone] text (the zone is dropped: Iceberg's time has none). */
export function parseTimeMicros(text: string): bigint {
  const match = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/.exec(text);
  if (!match) throw new LakeValueError(`${JSON.stringify(text)} is not a time`);
  const [, hours, minutes, seconds, fraction = ""] = match;
  const wholeSeconds = BigInt(Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds));
  return wholeSeconds * 1_000_000n + BigInt(fraction.slice(0, 6).padEnd(6, "0"));
}

/** Converts each element of an array value. */
export function listOf(element: Convert): Convert {
  return nullable((value) => {
    if (!Array.isArray(value)) throw new LakeValueError(`${String(value)} is not a list`);
    return value.map(element);
  });
}

/** A decoded map (plain object, Map, or [key, value] pairs) as { key, value } entries. */
export function mapOf(key: Convert, value: Convert): Convert {
  return nullable((decoded) => {
    const entries =
      decoded instanceof Map
        ? [...decoded.entries()]
        : Array.isArray(decoded)
          ? (decoded as [unknown, unknown][])
          : Object.entries(decoded as Record<string, unknown>);
    return entries.map(([k, v]) => ({ key: key(k), value: value(v) }));
  });
}

/** Builds each named field of a struct from the decoded object. */
export function structOf(fields: MappedField[]): Convert {
  const plan = fields.map((field) => ({
    name: field.name,
    convert: field.mapped.convert,
    read: field.read ?? ((parent: Record<string, unknown>) => parent[field.name]),
  }));
  return nullable((decoded) => {
    const parent = decoded as Record<string, unknown>;
    const row: Record<string, unknown> = {};
    for (const { name, convert, read } of plan) row[name] = convert(read(parent));
    return row;
  });
}

/** Mapped fields as column-model fields with ids still to be assigned. */
export function toFields(fields: MappedField[]): Field[] {
  return fields.map((field) => ({
    id: 0,
    name: field.name,
    required: field.required,
    type: field.mapped.type,
    ...(field.doc ? { doc: field.doc } : {}),
  }));
}

/** Values no column type fits (recursive types, free-form objects) are kept as JSON text. */
export const jsonText: Convert = nullable((value) =>
  JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v,
  ),
);
