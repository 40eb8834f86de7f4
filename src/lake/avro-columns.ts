// Avro schemas as columns. Works from the schema's JSON, because an avsc Type parsed without
// logical types registered forgets them (a timestamp-millis field is then a plain long); the
// avsc Type built from that JSON is walked alongside, only to tell union branches apart the
// way avsc's decoder does.
//
// record → struct, array → list, map → map<string, …>, enum → string, fixed → fixed, bytes → binary;
// ["null", T] → optional T; other unions → a struct with one optional field per branch, named
// for the branch's type. Logical types: date, time-millis/micros → time, timestamp-millis/micros
// (and -nanos, truncated to µs) → timestamptz, local-timestamp-* → timestamp, decimal → decimal,
// uuid → uuid. A record that contains itself cannot be columns: it is kept as JSON text.

import avro from "avsc";
import { LakeSchemaError, primitive } from "./columns.ts";
import {
  identity,
  jsonText,
  listOf,
  mapOf,
  nullable,
  structOf,
  timestampMicros,
  toBigInt,
  toBytes,
  toDays,
  toFields,
  toInt,
  toNumber,
  toUnscaled,
  type Convert,
  type Mapped,
  type MappedField,
} from "./value-conversion.ts";

/** The schema JSON (text or parsed), or an avsc Type parsed with its logical types registered. */
export type AvroSchema = string | object | avro.Type;

type Json = string | Json[] | { [key: string]: unknown };

const PRIMITIVES = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);
const NAMED = new Set(["record", "error", "enum", "fixed"]);
const MAX_DECIMAL_PRECISION = 38;

export function avroSchemaJson(schema: AvroSchema): Json {
  if (avro.Type.isType(schema)) return (schema as avro.Type).schema({ exportAttrs: true }) as Json;
  if (typeof schema !== "string") return schema as Json;
  // Schema text is JSON, but avsc also takes a bare type name ("string" rather than "\"string\"").
  return (/^[A-Za-z_][\w.]*$/.test(schema.trim()) ? schema.trim() : JSON.parse(schema)) as Json;
}

/** The columns of one Avro schema; `required` says whether the value itself can be null. */
export function avroColumns(schema: AvroSchema): Mapped & { required: boolean } {
  const json = avroSchemaJson(schema);
  const type = avro.Type.forSchema(json as avro.Schema);
  const walker = new AvroWalker();
  return walker.top(json, type);
}

interface Walked extends Mapped {
  required: boolean;
}

class AvroWalker {
  readonly #named = new Map<string, { [key: string]: unknown }>();

  top(json: Json, type: avro.Type): Walked {
    return this.#walk(json, type, "", new Set());
  }

  #walk(json: Json, type: avro.Type, namespace: string, stack: Set<string>): Walked {
    if (Array.isArray(json)) return this.#union(json, type, namespace, stack);
    if (typeof json === "string") {
      if (PRIMITIVES.has(json)) return { ...this.#primitive(json), required: json !== "null" };
      const definition = this.#named.get(qualify(json, namespace)) ?? this.#named.get(json);
      if (!definition) throw new LakeSchemaError(`Avro type ${JSON.stringify(json)} is not defined`);
      return this.#walk(definition as Json, type, namespaceOf(definition, namespace), stack);
    }
    const kind = json.type as Json;
    if (typeof kind !== "string" || !NAMED.has(kind) && !["array", "map"].includes(kind)) {
      if (typeof kind === "string" && PRIMITIVES.has(kind)) {
        return { ...this.#logical(json, kind), required: kind !== "null" };
      }
      // { "type": { ...another schema... } } wraps a schema.
      return this.#walk(kind, type, namespace, stack);
    }
    if (NAMED.has(kind)) {
      const fullName = qualify(String(json.name), String(json.namespace ?? namespace));
      if (stack.has(fullName)) return { type: primitive("string"), convert: jsonText, required: true };
      this.#named.set(fullName, { ...json, namespace: namespaceOf(json, namespace) });
    }
    switch (kind) {
      case "record":
      case "error":
        return this.#record(json, type, namespaceOf(json, namespace), stack);
      case "enum":
        return { type: primitive("string"), convert: nullable(String), required: true };
      case "fixed":
        return { ...this.#logical(json, "fixed"), required: true };
      case "array": {
        const items = this.#walk(json.items as Json, (type as avro.types.ArrayType).itemsType, namespace, stack);
        return {
          type: { type: "list", elementId: 0, elementRequired: items.required, element: items.type },
          convert: listOf(items.convert),
          required: true,
        };
      }
      default: {
        const values = this.#walk(json.values as Json, (type as avro.types.MapType).valuesType, namespace, stack);
        return {
          type: { type: "map", keyId: 0, key: primitive("string"), valueId: 0, valueRequired: values.required, value: values.type },
          convert: mapOf(String, values.convert),
          required: true,
        };
      }
    }
  }

  #record(json: { [key: string]: unknown }, type: avro.Type, namespace: string, stack: Set<string>): Walked {
    const fullName = qualify(String(json.name), namespace);
    const inner = new Set(stack).add(fullName);
    const record = type as avro.types.RecordType;
    const fields: MappedField[] = [];
    for (const field of json.fields as { name: string; type: Json; doc?: string }[]) {
      const walked = this.#walk(field.type, record.field(field.name)!.type, namespace, inner);
      if (walked.type.type === "struct" && walked.type.fields.length === 0) continue;
      fields.push({ name: field.name, required: walked.required, mapped: walked, doc: field.doc });
    }
    return { type: { type: "struct", fields: toFields(fields) }, convert: structOf(fields), required: true };
  }

  #union(branches: Json[], type: avro.Type, namespace: string, stack: Set<string>): Walked {
    const union = type as avro.Type & { types: avro.Type[] };
    const present = branches.map((json, index) => ({ json, type: union.types[index]! })).filter(({ json }) => json !== "null");
    const optional = present.length < branches.length;
    if (present.length === 0) throw new LakeSchemaError("an Avro union of only null has no column type");
    if (present.length === 1) {
      const only = this.#walk(present[0]!.json, present[0]!.type, namespace, stack);
      return { ...only, convert: unwrapSingle(only.convert, present[0]!.type), required: !optional };
    }
    const members = present.map(({ json, type: branchType }) => ({
      name: branchName(branchType),
      type: branchType,
      walked: this.#walk(json, branchType, namespace, stack),
    }));
    const fields: MappedField[] = members.map((member) => ({ name: member.name, required: false, mapped: member.walked }));
    const convert: Convert = nullable((value) => {
      const index = branchIndex(value, members);
      const row: Record<string, unknown> = {};
      members.forEach((member, i) => {
        row[member.name] = i === index ? member.walked.convert(unwrapBranch(value, member.name)) : null;
      });
      return row;
    });
    return { type: { type: "struct", fields: toFields(fields) }, convert, required: !optional };
  }

  #primitive(name: string): Mapped {
    switch (name) {
      case "boolean":
        return { type: primitive("boolean"), convert: nullable(identity) };
      case "int":
        return { type: primitive("int"), convert: nullable(toInt) };
      case "long":
        return { type: primitive("long"), convert: nullable(toBigInt) };
      case "float":
      case "double":
        return { type: primitive(name), convert: nullable(toNumber) };
      case "bytes":
        return { type: primitive("binary"), convert: nullable(toBytes) };
      case "string":
        return { type: primitive("string"), convert: nullable(String) };
      default:
        throw new LakeSchemaError(`Avro ${name} has no column type`);
    }
  }

  #logical(json: { [key: string]: unknown }, kind: string): Mapped {
    const logical = json.logicalType;
    const plain = (): Mapped =>
      kind === "fixed" ? { type: { type: "fixed", length: Number(json.size) }, convert: nullable(toBytes) } : this.#primitive(kind);
    switch (logical) {
      case "date":
        return kind === "int" ? { type: primitive("date"), convert: toDays } : plain();
      case "time-millis":
        return kind === "int" ? { type: primitive("time"), convert: timestampMicros("millis") } : plain();
      case "time-micros":
        return kind === "long" ? { type: primitive("time"), convert: timestampMicros("micros") } : plain();
      case "timestamp-millis":
      case "local-timestamp-millis":
        return kind === "long"
          ? { type: primitive(logical === "timestamp-millis" ? "timestamptz" : "timestamp"), convert: timestampMicros("millis") }
          : plain();
      case "timestamp-micros":
      case "local-timestamp-micros":
        return kind === "long"
          ? { type: primitive(logical === "timestamp-micros" ? "timestamptz" : "timestamp"), convert: timestampMicros("micros") }
          : plain();
      case "timestamp-nanos":
      case "local-timestamp-nanos":
        return kind === "long"
          ? {
              type: primitive(logical === "timestamp-nanos" ? "timestamptz" : "timestamp"),
              convert: nullable((value) => (value instanceof Date ? BigInt(value.getTime()) * 1000n : toBigInt(value) / 1000n)),
            }
          : plain();
      case "decimal": {
        const precision = Number(json.precision);
        const scale = Number(json.scale ?? 0);
        if ((kind !== "bytes" && kind !== "fixed") || !(precision >= 1 && precision <= MAX_DECIMAL_PRECISION)) return plain();
        return { type: { type: "decimal", precision, scale }, convert: nullable((value) => toUnscaled(value, scale)) };
      }
      case "uuid":
        if (kind === "string") return { type: primitive("uuid"), convert: nullable((value) => String(value).toLowerCase()) };
        if (kind === "fixed" && Number(json.size) === 16) return { type: primitive("uuid"), convert: nullable(uuidFromBytes) };
        return plain();
      default:
        return plain();
    }
  }
}

function qualify(name: string, namespace: string): string {
  return name.includes(".") || namespace === "" ? name : `${namespace}.${name}`;
}

function namespaceOf(json: { [key: string]: unknown }, enclosing: string): string {
  const name = String(json.name ?? "");
  if (name.includes(".")) return name.slice(0, name.lastIndexOf("."));
  return typeof json.namespace === "string" ? json.namespace : enclosing;
}

/** A union member's field name: a named type's short name, else the Avro type name. */
function branchName(type: avro.Type): string {
  const name = type.name ?? type.typeName.replace(/^logical:/, "");
  return name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : name;
}

/** avsc wraps a union value as { branch: value } when the union is ambiguous (and always with wrapUnions). */
function wrappedKey(value: unknown, names: string[]): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  return names.find((name) => name === keys[0] || name.endsWith(`.${keys[0]}`) || keys[0]!.endsWith(`.${name}`));
}

function branchIndex(value: unknown, members: { name: string; type: avro.Type }[]): number {
  const key = wrappedKey(value, members.map((member) => member.name));
  if (key !== undefined) return members.findIndex((member) => member.name === key);
  const index = members.findIndex((member) => member.type.isValid(value));
  if (index < 0) throw new Error(`value ${String(value)} matches no branch of the union`);
  return index;
}

function unwrapBranch(value: unknown, name: string): unknown {
  const key = wrappedKey(value, [name]);
  return key === undefined ? value : (value as Record<string, unknown>)[Object.keys(value as object)[0]!];
}

/**
 * ["null", T] decoded with wrapUnions gives { T: value }; unwrapped it is the value itself. Only a
 * one-key object named like the branch is a candidate, and only if it is not itself a valid T.
 */
function unwrapSingle(convert: Convert, type: avro.Type): Convert {
  const name = branchName(type);
  return (value) => convert(wrappedKey(value, [name]) !== undefined && !type.isValid(value) ? unwrapBranch(value, name) : value);
}

function uuidFromBytes(value: unknown): string {
  const hex = Buffer.from(toBytes(value)).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
