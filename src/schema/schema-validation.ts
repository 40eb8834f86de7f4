// What the broker holds to enforce schemas at produce: for a topic with a schema, every record of a batch is
// decompressed, decoded and checked before anything is written; a topic without one costs a cache lookup and
// nothing else (no decompression, no per-record work). Accepted batches are handed to whoever listens once
// they are appended (the lake writer).
import { consola } from "../log.ts";
import { decodeRecordBatch } from "../protocol/record-batch.ts";
import { checkRecords, UnknownSchemaIdError, wireFormatOf } from "./record-validation.ts";
import type { TopicSchemas } from "./topic-schemas.ts";
import type { AppendedBatch, RecordError, TopicSchema, ValidatedBatch } from "./types.ts";

/** What validation needs of a topic: its name, and its configs (tansu.schema.wire.format). */
export interface TopicRef {
  name: string;
  configs: Record<string, string>;
}

export interface BatchValidation {
  /** Set when the batch must be rejected whole with INVALID_RECORD. */
  rejected: { message: string; records: RecordError[] } | null;
  accepted: ValidatedBatch | null;
}

export type AppendedListener = (batch: AppendedBatch) => void | Promise<void>;

/** What the broker's produce path needs (src/broker/context.ts). */
export interface SchemaValidator {
  /** The schema governing `topic`, or null (for readers such as the console). */
  schemaFor(topic: string): Promise<TopicSchema | null>;
  validate(topic: TopicRef, batch: Uint8Array): Promise<BatchValidation | null>;
  appended(batch: ValidatedBatch, topic: string, partition: number, baseOffset: bigint): void;
}

export class SchemaValidation implements SchemaValidator {
  readonly #listeners: AppendedListener[] = [];
  #keepValues = false;

  constructor(readonly topics: TopicSchemas) {}

  /** The schema governing `topic`, or null. @throws InvalidSchemaError when its file does not compile */
  schemaFor(topic: string): Promise<TopicSchema | null> {
    return this.topics.schemaFor(topic);
  }

  /** Checks one batch (CRC already verified). Null when the topic has no schema. */
  async validate(topic: TopicRef, batch: Uint8Array): Promise<BatchValidation | null> {
    let schema: TopicSchema | null;
    try {
      schema = await this.topics.schemaFor(topic.name);
    } catch (error) {
      if (!(error instanceof Error && error.name === "InvalidSchemaError")) throw error;
      return { rejected: { message: `The schema of topic ${topic.name} cannot be used: ${error.message}`, records: [] }, accepted: null };
    }
    if (!schema) return null;
    const decoded = decodeRecordBatch(batch, { verifyCrc: false });
    // Values are only built when someone uses them; otherwise records are only checked.
    const decode = this.#keepValues || this.#listeners.length > 0;
    let check;
    try {
      check = checkRecords(schema, wireFormatOf(schema, topic.configs), decoded.records, true, decode);
    } catch (error) {
      if (!(error instanceof UnknownSchemaIdError)) throw error;
      // A version registered (perhaps through another broker) since the cache was filled.
      this.topics.forget(topic.name);
      schema = await this.topics.schemaFor(topic.name);
      if (!schema) return null;
      check = checkRecords(schema, wireFormatOf(schema, topic.configs), decoded.records, false, decode);
    }
    if (check.errors.length > 0) {
      const first = check.errors[0]!;
      return {
        rejected: {
          message: `${check.errors.length} of ${decoded.records.length} records do not match the schema of topic ${topic.name}; record ${first.index}: ${first.message}`,
          records: check.errors,
        },
        accepted: null,
      };
    }
    return { rejected: null, accepted: decode ? { schema, baseTimestamp: decoded.baseTimestamp, records: check.records } : null };
  }

  /** Accepted batches carry their decoded records from now on, for a user other than the listeners (the lake writer). */
  keepValues(): void {
    this.#keepValues = true;
  }

  /** Calls `listener` with every validated batch once it is appended. */
  onAppended(listener: AppendedListener): void {
    this.#listeners.push(listener);
  }

  /** Hands an appended batch to the listeners; their failures are logged, never the producer's problem. */
  appended(batch: ValidatedBatch, topic: string, partition: number, baseOffset: bigint): void {
    for (const listener of this.#listeners) {
      Promise.resolve()
        .then(() => listener({ ...batch, topic, partition, baseOffset }))
        .catch((error: unknown) => consola.error(`schema listener for ${topic}-${partition} at ${baseOffset} failed:`, error));
    }
  }
}
