// Which schema governs a topic, cached per topic for at most `refreshMs`: a changed schema file, a newly
// registered version or a new subject takes effect on every broker within that time (and a record naming a
// schema id the cache does not know yet re-reads the subject at once). A topic's file in --schema-registry
// wins over registered subjects; otherwise the subjects {topic}-key and {topic}-value govern its key and value
// (TopicNameStrategy). Compiled schemas are kept by content (files) and by id (subjects).
import { createHash } from "node:crypto";
import { loadFormat } from "./formats/format.ts";
import type { SchemaCompiler } from "./registry/compiler.ts";
import type { RegistryStore } from "./registry/store.ts";
import { readTopicFile, type SchemaFiles } from "./schema-files.ts";
import type { CompiledSchema, SchemaPart, TopicSchema } from "./types.ts";

export interface TopicSchemasOptions {
  /** --schema-registry files, when given. */
  files: SchemaFiles | null;
  /** Registered subjects (the broker's store); null where there is no store, e.g. the proxy (files only). */
  registry: { store: RegistryStore; compiler: SchemaCompiler } | null;
  /** How long a topic's schema (or its having none) may be served from the cache. */
  refreshMs: number;
  now?: () => number;
}

interface CacheEntry {
  at: number;
  result: Promise<TopicSchema | null>;
}

export class TopicSchemas {
  readonly #cache = new Map<string, CacheEntry>();
  /** Compiled file parts by the file's hash: an unchanged file is not compiled again. */
  readonly #files = new Map<string, { key?: CompiledSchema; value?: CompiledSchema }>();
  readonly #now: () => number;

  constructor(private readonly options: TopicSchemasOptions) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * The schema governing `topic`, or null when it has none. A file that does not compile rejects with
   * InvalidSchemaError (cached like a schema, so it is not recompiled on every request).
   */
  schemaFor(topic: string): Promise<TopicSchema | null> {
    const now = this.#now();
    const cached = this.#cache.get(topic);
    if (cached && now - cached.at < this.options.refreshMs) return cached.result;
    const result = this.#load(topic);
    this.#cache.set(topic, { at: now, result });
    // A store outage is not cached: the next request asks again.
    result.catch((error: unknown) => {
      if (!(error instanceof Error && error.name === "InvalidSchemaError") && this.#cache.get(topic)?.result === result) this.#cache.delete(topic);
    });
    return result;
  }

  /** Forgets the cached schema of `topic` (a record named an id the cache does not know). */
  forget(topic: string): void {
    this.#cache.delete(topic);
  }

  async #load(topic: string): Promise<TopicSchema | null> {
    const file = this.options.files ? await readTopicFile(this.options.files, topic) : null;
    if (file) {
      const hash = createHash("sha256").update(file.format).update(file.text).digest("hex");
      let parts = this.#files.get(hash);
      if (!parts) {
        parts = (await loadFormat(file.format)).compileFile(file.text);
        this.#files.set(hash, parts);
      }
      const part = (compiled: CompiledSchema | undefined): SchemaPart | undefined => compiled && { format: file.format, latest: compiled };
      return { topic, source: "file", key: part(parts.key), value: part(parts.value) };
    }
    const registry = this.options.registry;
    if (!registry) return null;
    const [key, value] = await Promise.all([this.#subjectPart(registry, `${topic}-key`), this.#subjectPart(registry, `${topic}-value`)]);
    return key || value ? { topic, source: "registry", key, value } : null;
  }

  async #subjectPart(registry: NonNullable<TopicSchemasOptions["registry"]>, subject: string): Promise<SchemaPart | undefined> {
    const record = await registry.store.subject(subject);
    const live = (record?.value.versions ?? []).filter((v) => !v.deleted);
    if (live.length === 0) return undefined;
    const versions = new Map<number, CompiledSchema>();
    for (const { id } of live) {
      const compiled = await registry.compiler.compileId(id);
      if (compiled) versions.set(id, compiled);
    }
    const latestId = live.at(-1)!.id;
    const latest = versions.get(latestId);
    if (!latest) return undefined;
    return { format: latest.format, latest, subject, latestId, versions };
  }
}
