// JSON Schema with ajv: payloads are UTF-8 JSON text. Drafts 6 and 7 (the default when $schema is absent),
// 2019-09 and 2020-12; formats are checked (ajv-formats). Compatibility is the rule set in json-compatibility.ts.
import Ajv, { type AnySchema, type ErrorObject, type ValidateFunction } from "ajv";
import Ajv2019 from "ajv/dist/2019.js";
import Ajv2020 from "ajv/dist/2020.js";
import draft06 from "ajv/dist/refs/json-schema-draft-06.json" with { type: "json" };
import addFormats from "ajv-formats";
import { InvalidSchemaError, SchemaViolation, type CompiledSchema } from "../types.ts";
import { fieldPath, type ResolvedReference, type SchemaLanguage } from "./format.ts";
import { jsonSchemaIncompatibilities, type JsonSchemaDocument } from "./json-compatibility.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

function newAjv(document: unknown): Ajv {
  const dialect = typeof document === "object" && document !== null ? String((document as { $schema?: unknown }).$schema ?? "") : "";
  // strict: false because registered schemas carry keywords of their own (javaType, connect.*), as Confluent allows.
  const options = { strict: false, allErrors: false, validateSchema: true, logger: false as const };
  const ajv = dialect.includes("2020-12") ? new Ajv2020(options) : dialect.includes("2019-09") ? new Ajv2019(options) : new Ajv(options);
  if (dialect.includes("draft-06")) ajv.addMetaSchema(draft06);
  addFormats(ajv);
  return ajv;
}

function parseDocument(text: string, what: string): JsonSchemaDocument {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new InvalidSchemaError(`${what} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof document !== "object" && typeof document !== "boolean") throw new InvalidSchemaError(`${what} is not a JSON Schema (an object or a boolean)`);
  if (document === null || Array.isArray(document)) throw new InvalidSchemaError(`${what} is not a JSON Schema (an object or a boolean)`);
  // Draft 4 and older cannot be loaded by ajv 8; their keywords mean the same in draft 7 save exclusive bounds.
  if (typeof document === "object" && /draft-0[34]/.test(String((document as { $schema?: unknown }).$schema ?? ""))) {
    const { $schema: _dropped, ...rest } = document as Record<string, unknown>;
    return rest;
  }
  return document as JsonSchemaDocument;
}

/**
 * Registers every reference (and theirs) under its name, as Confluent resolves $ref by reference name, and
 * under the name resolved against the root's $id, where a relative $ref ends up.
 */
function addReferences(ajv: Ajv, references: ResolvedReference[], baseId: string | undefined, seen = new Set<string>()): void {
  for (const reference of references) {
    if (seen.has(reference.name)) continue;
    seen.add(reference.name);
    addReferences(ajv, reference.references, baseId, seen);
    const document = parseDocument(reference.schema, `referenced schema ${reference.name}`);
    const keys = [reference.name];
    const resolved = baseId && URL.canParse(reference.name, baseId) ? new URL(reference.name, baseId).href : null;
    if (resolved && resolved !== reference.name) keys.push(resolved);
    keys.forEach((key, i) => {
      // One $id may be registered once: the second copy goes without it.
      const copy = i > 0 && typeof document === "object" ? { ...document, $id: undefined } : document;
      try {
        ajv.addSchema(copy as AnySchema, key);
      } catch (error) {
        throw new InvalidSchemaError(`referenced schema ${reference.name}: ${(error as Error).message}`, { cause: error });
      }
    });
  }
}

function violationOf(errors: ErrorObject[] | null | undefined, path: string): SchemaViolation {
  const error = errors?.[0];
  if (!error) return new SchemaViolation(path, "does not match the schema");
  let at = path;
  for (const segment of error.instancePath.split("/").slice(1)) at = fieldPath(at, segment.replaceAll("~1", "/").replaceAll("~0", "~"));
  const params = error.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] };
  if (params.missingProperty !== undefined) return new SchemaViolation(fieldPath(at, params.missingProperty), "is required but missing");
  if (params.additionalProperty !== undefined) return new SchemaViolation(fieldPath(at, params.additionalProperty), "is not allowed (additionalProperties)");
  const allowed = params.allowedValues ? ` ${JSON.stringify(params.allowedValues)}` : "";
  return new SchemaViolation(at, `${error.message ?? "does not match the schema"}${allowed}`);
}

function compiled(validate: ValidateFunction, schema: unknown, json?: unknown): CompiledSchema {
  const check = (value: unknown, path: string): unknown => {
    if (!validate(value)) throw violationOf(validate.errors, path);
    return value;
  };
  return {
    format: "json",
    schema,
    json,
    decode(payload, path) {
      let value: unknown;
      try {
        value = JSON.parse(utf8.decode(payload));
      } catch (error) {
        throw new SchemaViolation(path, `not JSON: ${(error as Error).message}`);
      }
      return check(value, path);
    },
    validate(payload, path) {
      this.decode(payload, path);
    },
    toJson: (value) => value,
    encode(json, path) {
      return encoder.encode(JSON.stringify(check(json, path)));
    },
  };
}

function compileWith(ajv: Ajv, schema: AnySchema, what: string): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new InvalidSchemaError(`${what}: ${(error as Error).message}`, { cause: error });
  }
}

export const jsonSchema: SchemaLanguage = {
  format: "json",

  compile(text, references) {
    const document = parseDocument(text, "schema");
    const ajv = newAjv(document);
    addReferences(ajv, references, typeof document === "object" && typeof document.$id === "string" ? document.$id : undefined);
    return compiled(compileWith(ajv, document as AnySchema, "invalid JSON Schema"), document);
  },

  compileFile(text) {
    const document = parseDocument(text, "schema file");
    if (typeof document !== "object" || typeof document.properties !== "object" || document.properties === null) {
      throw new InvalidSchemaError('a JSON Schema file describes "properties": {"key": ..., "value": ...}');
    }
    const ajv = newAjv(document);
    const base = typeof document.$id === "string" ? document.$id : "tansu-schema-file.json";
    try {
      if (typeof document.$id === "string") ajv.addSchema(document as AnySchema);
      else ajv.addSchema(document as AnySchema, base);
    } catch (error) {
      throw new InvalidSchemaError(`invalid JSON Schema: ${(error as Error).message}`, { cause: error });
    }
    const properties = document.properties as Record<string, unknown>;
    // The file's definitions go with each part, so that its local $refs resolve in the part alone.
    const definitions = Object.fromEntries(["$defs", "definitions"].filter((name) => name in document).map((name) => [name, document[name]]));
    const part = (name: "key" | "value") =>
      properties[name] === undefined
        ? undefined
        : compiled(compileWith(ajv, { $ref: `${base}#/properties/${name}` }, `invalid JSON Schema for the ${name}`), properties[name], {
            ...definitions,
            ...(properties[name] as object),
          });
    return { key: part("key"), value: part("value") };
  },

  incompatibilities(reader, writer) {
    return jsonSchemaIncompatibilities(reader.schema as JsonSchemaDocument, writer.schema as JsonSchemaDocument);
  },

  canonical(text) {
    try {
      return JSON.stringify(JSON.parse(text));
    } catch {
      return text.trim();
    }
  },
};
