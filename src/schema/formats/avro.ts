// Avro with avsc: payloads are the binary encoding of the schema (no container file, no header).
// Compatibility is avsc's schema resolution: data written with the writer's schema is readable with the
// reader's exactly when avsc can build a resolver between them.
import avro from "avsc";
import { InvalidSchemaError, SchemaViolation, type CompiledSchema } from "../types.ts";
import { fieldPath, type ResolvedReference, type SchemaLanguage } from "./format.ts";

type AvroType = avro.Type;
type Registry = Record<string, AvroType>;
type ParseOptions = Partial<avro.ForSchemaOptions>;

const NOT_LOGICAL_ATTRIBUTES = new Set(["type", "logicalType", "name", "namespace", "aliases", "doc", "fields", "symbols", "items", "values", "size", "default"]);

/**
 * Any logical type, kept as its underlying value and exported with its attributes (precision, scale): types
 * parsed with it describe themselves completely, where a type parsed without logical types forgets them.
 */
class KeptLogicalType extends (avro.types.LogicalType as unknown as new (schema: object, options: object) => object) {
  readonly #attributes: Record<string, unknown>;
  constructor(schema: object, options: object) {
    super(schema, options);
    this.#attributes = Object.fromEntries(Object.entries(schema).filter(([name]) => !NOT_LOGICAL_ATTRIBUTES.has(name)));
  }
  _fromValue(value: unknown) {
    return value;
  }
  _toValue(value: unknown) {
    return value;
  }
  _resolve() {
    return (value: unknown) => value;
  }
  _export(attributes: Record<string, unknown>) {
    Object.assign(attributes, this.#attributes);
  }
}

const KEEP_LOGICAL_TYPES: ParseOptions = { logicalTypes: new Proxy({}, { get: () => KeptLogicalType, has: () => true }) as ParseOptions["logicalTypes"] };

/** The schema's JSON as `type` describes itself after a parse that kept logical types: named references inlined. */
const describe = (type: AvroType) => type.schema({ exportAttrs: true });

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidSchemaError(`${what} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

function typeFor(schema: unknown, registry: Registry, what: string, options: ParseOptions = {}): AvroType {
  try {
    return avro.Type.forSchema(schema as avro.Schema, { ...options, registry });
  } catch (error) {
    throw new InvalidSchemaError(`invalid Avro ${what}: ${(error as Error).message}`, { cause: error });
  }
}

/** Parses references first (theirs before them) so their named types are known to the referring schema. */
function addReferences(references: ResolvedReference[], registry: Registry, options: ParseOptions = {}, seen = new Set<string>()): void {
  for (const reference of references) {
    if (seen.has(reference.name)) continue;
    seen.add(reference.name);
    addReferences(reference.references, registry, options, seen);
    typeFor(parse(reference.schema, `referenced schema ${reference.name}`), registry, `referenced schema ${reference.name}`, options);
  }
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Where decoding fails: avsc reports "truncated buffer" or an invalid index for the whole value, so the record
 * is decoded again field by field to name the field.
 */
function locateFailure(type: AvroType, buffer: Buffer, start: number, path: string): SchemaViolation | null {
  if (!(type instanceof avro.types.RecordType)) return null;
  let position = start;
  for (const field of type.fields) {
    const at = fieldPath(path, field.name);
    let decoded: { value: unknown; offset: number };
    try {
      decoded = field.type.decode(buffer, position);
    } catch (error) {
      return locateFailure(field.type, buffer, position, at) ?? new SchemaViolation(at, (error as Error).message);
    }
    if (decoded.offset < 0) {
      return locateFailure(field.type, buffer, position, at) ?? new SchemaViolation(at, `the payload ends inside this ${field.type.typeName ?? "field"}`);
    }
    position = decoded.offset;
  }
  return null;
}

/** The first invalid field of a value given in JSON, as avsc's isValid sees it. */
function invalidField(type: AvroType, value: unknown, path: string): SchemaViolation {
  let found: SchemaViolation | null = null;
  type.isValid(value, {
    errorHook(fields: string[], any: unknown, fieldType: AvroType) {
      if (found) return;
      const at = fields.reduce((p, f) => fieldPath(p, f), path);
      found = new SchemaViolation(at, `${JSON.stringify(any) ?? "undefined"} is not a valid ${fieldType.typeName ?? String(fieldType)}`);
    },
  });
  return found ?? new SchemaViolation(path, "does not match the schema");
}

function compiled(type: AvroType, json: () => unknown): CompiledSchema {
  let described: unknown;
  return {
    format: "avro",
    schema: type,
    get json() {
      return (described ??= json());
    },
    decode(payload, path) {
      const buffer = asBuffer(payload);
      try {
        return type.fromBuffer(buffer);
      } catch (error) {
        const message = (error as Error).message;
        if (message === "trailing data") {
          const end = type.decode(buffer, 0).offset;
          throw new SchemaViolation(path, `${buffer.length - end} bytes left after the ${type.name ?? type.typeName} value`);
        }
        throw locateFailure(type, buffer, 0, path) ?? new SchemaViolation(path, message === "truncated buffer" ? "the payload ends before the value does" : message);
      }
    },
    validate(payload, path) {
      this.decode(payload, path);
    },
    toJson: (value) => JSON.parse(type.toString(value)),
    encode(json, path) {
      // Plain JSON where it is unambiguous ({"u": "x"}), else Avro's JSON encoding ({"u": {"string": "x"}}).
      if (type.isValid(json)) return type.toBuffer(json);
      try {
        return type.toBuffer(type.fromString(JSON.stringify(json)));
      } catch {
        throw invalidField(type, json, path);
      }
    },
  };
}

export const avroSchema: SchemaLanguage = {
  format: "avro",

  compile(text, references) {
    const registry: Registry = {};
    addReferences(references, registry);
    return compiled(typeFor(parse(text, "schema"), registry, "schema"), () => {
      const kept: Registry = {};
      addReferences(references, kept, KEEP_LOGICAL_TYPES);
      return describe(typeFor(parse(text, "schema"), kept, "schema", KEEP_LOGICAL_TYPES));
    });
  },

  compileFile(text) {
    const type = typeFor(parse(text, "schema file"), {}, "schema file");
    if (!(type instanceof avro.types.RecordType)) throw new InvalidSchemaError("an Avro schema file is a record with fields key and/or value");
    const part = (name: string) => {
      const field = type.field(name);
      const json = () => describe((typeFor(parse(text, "schema file"), {}, "schema file", KEEP_LOGICAL_TYPES) as avro.types.RecordType).field(name)!.type);
      return field ? compiled(field.type, json) : undefined;
    };
    return { key: part("key"), value: part("value") };
  },

  incompatibilities(reader, writer) {
    try {
      (reader.schema as AvroType).createResolver(writer.schema as AvroType);
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  },

  canonical(text) {
    try {
      return JSON.stringify(JSON.parse(text));
    } catch {
      return text.trim();
    }
  },
};
