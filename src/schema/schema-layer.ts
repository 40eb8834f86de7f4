// The schema layer of a broker: one registry over the store (the REST API's), the topic schema cache that
// validation reads, and the --schema-registry files when given. Loaded by open-schemas.ts on first use.
import type { Storage } from "../storage/storage.ts";
import { SchemaRegistry } from "./registry/registry.ts";
import type { SchemaFiles } from "./schema-files.ts";
import { SchemaValidation } from "./schema-validation.ts";
import { TopicSchemas } from "./topic-schemas.ts";

export function createSchemaLayer(storage: Storage, files: SchemaFiles | null, refreshMs: number): { registry: SchemaRegistry; validation: SchemaValidation } {
  const registry = new SchemaRegistry(storage);
  const topics = new TopicSchemas({
    files,
    registry: { store: registry.store, compiler: registry.compiler },
    refreshMs,
  });
  return { registry, validation: new SchemaValidation(topics) };
}

/** Validation by schema files alone, for the proxy: it has no store, so no registered subjects. */
export function createFileValidation(files: SchemaFiles, refreshMs: number): SchemaValidation {
  return new SchemaValidation(new TopicSchemas({ files, registry: null, refreshMs }));
}
