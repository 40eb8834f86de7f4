// JSON Schema as columns, for values that are JSON.parse results.
//
// object with properties → struct (a property is required when listed in `required` and not
// nullable); object with only additionalProperties: S → map<string, S>; array with items → list;
// integer → long; number → double; boolean; string → string, or by format: date-time →
// timestamptz, date → date, time → time, uuid → uuid. Nullable is `type: [T, "null"]`,
// `nullable: true`, or anyOf/oneOf of T and null. Local $refs (#/definitions/…, #/$defs/…) are
// followed. Whatever has no single column type (free-form objects, unions of several types,
// recursive references) is kept as JSON text.

import { LakeSchemaError, primitive } from "./columns.ts";
import {
  identity,
  jsonText,
  listOf,
  mapOf,
  nullable,
  parseTimeMicros,
  structOf,
  timestampMicros,
  toBigInt,
  toDays,
  toFields,
  toNumber,
  type Mapped,
  type MappedField,
} from "./value-conversion.ts";

type JsonSchema = boolean | { [key: string]: unknown };

interface Walked extends Mapped {
  nullable: boolean;
}

const JSON_TEXT: Mapped = { type: primitive("string"), convert: jsonText };

/** The columns of one JSON Schema; `required` is false when the schema admits null. */
export function jsonSchemaColumns(schema: object): Mapped & { required: boolean } {
  const walked = new JsonSchemaWalker(schema as Record<string, unknown>).walk(schema as JsonSchema, new Set());
  return { type: walked.type, convert: walked.convert, required: !walked.nullable };
}

class JsonSchemaWalker {
  readonly #root: Record<string, unknown>;

  constructor(root: Record<string, unknown>) {
    this.#root = root;
  }

  walk(schema: JsonSchema, refs: Set<string>): Walked {
    if (typeof schema === "boolean") return { ...JSON_TEXT, nullable: true };
    const ref = schema.$ref;
    if (typeof ref === "string") {
      if (refs.has(ref)) return { ...JSON_TEXT, nullable: true };
      return this.walk(this.#resolve(ref), new Set(refs).add(ref));
    }
    const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
    if (Array.isArray(alternatives)) {
      const present = alternatives.filter((alternative) => !isNullSchema(alternative));
      if (present.length !== 1) return { ...JSON_TEXT, nullable: true };
      const only = this.walk(present[0]!, refs);
      return { ...only, nullable: only.nullable || present.length < alternatives.length };
    }
    const declared = schema.type;
    const types = (Array.isArray(declared) ? declared : declared === undefined ? [] : [declared]) as string[];
    const nullableType = types.includes("null") || schema.nullable === true;
    const present = types.filter((type) => type !== "null");
    if (present.length === 1 || (present.length === 2 && present.includes("integer") && present.includes("number"))) {
      const type = present.includes("number") ? "number" : present[0]!;
      return { ...this.#typed(type, schema, refs), nullable: nullableType };
    }
    if (present.length === 0 && schema.properties !== undefined) {
      return { ...this.#typed("object", schema, refs), nullable: nullableType };
    }
    if (present.length === 0 && Array.isArray(schema.enum) && schema.enum.every((value) => typeof value === "string")) {
      return { type: primitive("string"), convert: nullable(String), nullable: nullableType };
    }
    return { ...JSON_TEXT, nullable: true };
  }

  #typed(type: string, schema: Record<string, unknown>, refs: Set<string>): Mapped {
    switch (type) {
      case "boolean":
        return { type: primitive("boolean"), convert: nullable(identity) };
      case "integer":
        return { type: primitive("long"), convert: nullable(toBigInt) };
      case "number":
        return { type: primitive("double"), convert: nullable(toNumber) };
      case "string":
        return stringFormat(schema.format);
      case "array": {
        const items = schema.items;
        if (typeof items !== "object" || items === null || Array.isArray(items)) return JSON_TEXT;
        const element = this.walk(items as JsonSchema, refs);
        return {
          type: { type: "list", elementId: 0, elementRequired: !element.nullable, element: element.type },
          convert: listOf(element.convert),
        };
      }
      case "object":
        return this.#object(schema, refs);
      default:
        return JSON_TEXT;
    }
  }

  #object(schema: Record<string, unknown>, refs: Set<string>): Mapped {
    const properties = schema.properties as Record<string, JsonSchema> | undefined;
    const additional = schema.additionalProperties;
    if (properties === undefined || Object.keys(properties).length === 0) {
      if (typeof additional !== "object" || additional === null) return JSON_TEXT;
      const value = this.walk(additional as JsonSchema, refs);
      return {
        type: { type: "map", keyId: 0, key: primitive("string"), valueId: 0, valueRequired: !value.nullable, value: value.type },
        convert: mapOf(String, value.convert),
      };
    }
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const fields: MappedField[] = Object.entries(properties).map(([name, property]) => {
      const walked = this.walk(property, refs);
      const doc = typeof property === "object" && typeof property.description === "string" ? property.description : undefined;
      return { name, required: required.has(name) && !walked.nullable, mapped: walked, doc };
    });
    return { type: { type: "struct", fields: toFields(fields) }, convert: structOf(fields) };
  }

  #resolve(ref: string): JsonSchema {
    if (!ref.startsWith("#")) throw new LakeSchemaError(`JSON Schema $ref ${ref} is not local to the schema`);
    let node: unknown = this.#root;
    for (const part of ref.slice(1).split("/").filter(Boolean)) {
      const key = decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~");
      node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
    if (node === undefined) throw new LakeSchemaError(`JSON Schema $ref ${ref} points at nothing`);
    return node as JsonSchema;
  }
}

function isNullSchema(schema: JsonSchema): boolean {
  return typeof schema === "object" && schema.type === "null";
}

function stringFormat(format: unknown): Mapped {
  switch (format) {
    case "date-time":
      return { type: primitive("timestamptz"), convert: timestampMicros("millis") };
    case "date":
      return { type: primitive("date"), convert: toDays };
    case "time":
      return { type: primitive("time"), convert: nullable((value) => parseTimeMicros(String(value))) };
    case "uuid":
      return { type: primitive("uuid"), convert: nullable((value) => String(value).toLowerCase()) };
    default:
      return { type: primitive("string"), convert: nullable(String) };
  }
}
