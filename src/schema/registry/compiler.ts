// Compiles registered schemas, references included. A registered id never changes meaning, so its compiled
// schema is kept for the life of the process; every broker compiles from the same store.
import { loadFormat, type ResolvedReference, type SchemaLanguage } from "../formats/format.ts";
import { InvalidSchemaError, type CompiledSchema, type SchemaFormat, type SchemaType } from "../types.ts";
import type { RegistryStore, SchemaReference, StoredSchema } from "./store.ts";

export const FORMAT_OF: Readonly<Record<SchemaType, SchemaFormat>> = { AVRO: "avro", JSON: "json", PROTOBUF: "protobuf" };

/** References may nest; a cycle or a very deep chain is refused rather than followed forever. */
const MAX_REFERENCE_DEPTH = 32;

export class SchemaCompiler {
  readonly #byId = new Map<number, Promise<CompiledSchema>>();

  constructor(private readonly store: RegistryStore) {}

  language(schemaType: SchemaType): Promise<SchemaLanguage> {
    return loadFormat(FORMAT_OF[schemaType]);
  }

  /** Fetches each referenced subject version, and what it references in turn. @throws InvalidSchemaError */
  async resolveReferences(references: SchemaReference[], depth = 0): Promise<ResolvedReference[]> {
    if (depth > MAX_REFERENCE_DEPTH) throw new InvalidSchemaError(`references nest more than ${MAX_REFERENCE_DEPTH} deep (a cycle?)`);
    const resolved: ResolvedReference[] = [];
    for (const reference of references) {
      const subject = await this.store.subject(reference.subject);
      const entries = subject?.value.versions ?? [];
      const entry = reference.version === -1 ? entries.filter((v) => !v.deleted).at(-1) : entries.find((v) => v.version === reference.version);
      const stored = entry ? await this.store.schema(entry.id) : null;
      if (!stored) throw new InvalidSchemaError(`reference ${reference.name}: subject ${reference.subject} version ${reference.version} is not registered`);
      resolved.push({ name: reference.name, schema: stored.schema, references: await this.resolveReferences(stored.references, depth + 1) });
    }
    return resolved;
  }

  /** @throws InvalidSchemaError */
  async compile(stored: StoredSchema): Promise<CompiledSchema> {
    const language = await this.language(stored.schemaType);
    return language.compile(stored.schema, await this.resolveReferences(stored.references));
  }

  /** The compiled schema of a registered id, or null when no schema has that id. */
  async compileId(id: number): Promise<CompiledSchema | null> {
    let compiled = this.#byId.get(id);
    if (!compiled) {
      const stored = await this.store.schema(id);
      if (!stored) return null;
      compiled = this.compile(stored);
      this.#byId.set(id, compiled);
      // A failure (the store was unreachable) is not kept: the next record tries again.
      compiled.catch(() => this.#byId.delete(id));
    }
    return compiled;
  }
}
