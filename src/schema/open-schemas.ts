// What a broker holds of the schema layer from start-up: the --schema-registry location (checked at once, so a
// bad URL is a start-up error; its module is loaded only when one is given) and a validator that loads the rest
// (schema-layer.ts) on the first produce or registry request. Start-up time and RSS are measured against a bare
// listener; a broker whose clients never touch schemas never loads them.
import type { Storage } from "../storage/storage.ts";
import type { SchemaRegistry } from "./registry/registry.ts";
import type { SchemaValidation, SchemaValidator } from "./schema-validation.ts";

export interface SchemaOptions {
  /** --schema-registry: file://DIR or s3://BUCKET/PREFIX/. */
  filesUrl?: string;
  /** --schema-refresh-ms: the longest a broker serves a cached schema (or the absence of one). */
  refreshMs: number;
}

export interface BrokerSchemas {
  validation: SchemaValidator;
  /** The registry the REST API serves. */
  registry(): Promise<SchemaRegistry>;
  /** The full validation (for listeners of appended batches, e.g. the lake writer). */
  layer(): Promise<{ registry: SchemaRegistry; validation: SchemaValidation }>;
}

/** @throws Error for a --schema-registry URL that is neither file:// nor s3:// */
export async function openSchemas(storage: Storage, options: SchemaOptions): Promise<BrokerSchemas> {
  const files = options.filesUrl ? (await import("./schema-files.ts")).openSchemaFiles(options.filesUrl) : null;
  let loaded: Promise<{ registry: SchemaRegistry; validation: SchemaValidation }> | null = null;
  const layer = () => (loaded ??= import("./schema-layer.ts").then((m) => m.createSchemaLayer(storage, files, options.refreshMs)));
  let ready: SchemaValidation | null = null;
  return {
    layer,
    registry: async () => (await layer()).registry,
    validation: {
      async schemaFor(topic) {
        ready ??= (await layer()).validation;
        return ready.schemaFor(topic);
      },
      async validate(topic, batch) {
        ready ??= (await layer()).validation;
        return ready.validate(topic, batch);
      },
      // Only ever called with a batch validate() accepted, so the layer is loaded by then.
      appended: (batch, topic, partition, baseOffset) => ready?.appended(batch, topic, partition, baseOffset),
    },
  };
}
