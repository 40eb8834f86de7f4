// The contract each schema language implements (json.ts, avro.ts, protobuf.ts). Each module imports its
// library statically, so it is only ever loaded through loadFormat's dynamic import: a broker whose topics
// have no schema never loads ajv, avsc or protobufjs (start-up time and RSS are measured against a bare
// listener).
import type { CompiledSchema, SchemaFormat } from "../types.ts";

/** A schema reference with its own references already fetched: Confluent's {name, subject, version}, resolved. */
export interface ResolvedReference {
  /** How the referring schema names it: an import path (Protobuf), a $ref URL (JSON Schema), informational (Avro). */
  name: string;
  schema: string;
  references: ResolvedReference[];
}

export interface SchemaLanguage {
  readonly format: SchemaFormat;
  /** A schema registered under a subject. @throws InvalidSchemaError */
  compile(schema: string, references: ResolvedReference[]): CompiledSchema;
  /**
   * A --schema-registry file holding both parts, as Tansu's schema directories do: an Avro record with fields
   * `key`/`value`, a JSON Schema with `properties.key`/`properties.value`, Protobuf messages `Key`/`Value`.
   * @throws InvalidSchemaError
   */
  compileFile(text: string): { key?: CompiledSchema; value?: CompiledSchema };
  /**
   * Why data written with `writer` cannot be read with `reader` (empty when it can): the check behind
   * BACKWARD (reader = new, writer = old) and FORWARD (the other way round).
   */
  incompatibilities(reader: CompiledSchema, writer: CompiledSchema): string[];
  /** A canonical text for deciding whether two registrations are the same schema. */
  canonical(schema: string): string;
}

const loaded = new Map<SchemaFormat, Promise<SchemaLanguage>>();

/** The schema language module for `format`, imported on first use. */
export function loadFormat(format: SchemaFormat): Promise<SchemaLanguage> {
  let module = loaded.get(format);
  if (!module) {
    module =
      format === "json"
        ? import("./json.ts").then((m) => m.jsonSchema)
        : format === "avro"
          ? import("./avro.ts").then((m) => m.avroSchema)
          : import("./protobuf.ts").then((m) => m.protobufSchema);
    loaded.set(format, module);
  }
  return module;
}

/** Joins a path and a field name the way violations name fields: value.address.zip, value.items[2]. */
export function fieldPath(path: string, field: string | number): string {
  return typeof field === "number" || /^\d+$/.test(field) ? `${path}[${field}]` : `${path}.${field}`;
}
