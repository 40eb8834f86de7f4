// Wires the schema layer for a broker: one registry over the store (the REST API's), the topic schema cache
// that validation reads, and the --schema-registry files when given. Nothing here loads a schema library.
import type { Storage } from "../storage/storage.ts";
import { SchemaRegistry } from "./registry/registry.ts";
import { openSchemaFiles } from "./schema-files.ts";
import { SchemaValidation } from "./schema-validation.ts";
import { TopicSchemas } from "./topic-schemas.ts";

export interface SchemaOptions {
  /** --schema-registry: file://DIR or s3://BUCKET/PREFIX/. */
  filesUrl?: string;
  /** --schema-refresh-ms: the longest a broker serves a cached schema (or the absence of one). */
  refreshMs: number;
}

export function openSchemas(storage: Storage, options: SchemaOptions): { registry: SchemaRegistry; validation: SchemaValidation } {
  const registry = new SchemaRegistry(storage);
  const topics = new TopicSchemas({
    files: options.filesUrl ? openSchemaFiles(options.filesUrl) : null,
    store: registry.store,
    compiler: registry.compiler,
    refreshMs: options.refreshMs,
  });
  return { registry, validation: new SchemaValidation(topics) };
}
