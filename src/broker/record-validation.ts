// Per-record checks on a produced batch before anything is written, reported as Kafka's LogValidator
// reports them: the batch is refused with INVALID_RECORD, `record_errors` lists every offending record
// (batch_index and its message) and `error_message` summarises them. librdkafka 2.x fails exactly the
// listed records with INVALID_RECORD and the rest of the batch with its own "different record" error.

import type { KafkaRecord } from "../protocol/record-batch.ts";
import type { Topic } from "../storage/storage.ts";
import type { BrokerContext } from "./context.ts";
import { hasCleanupPolicy } from "./topic-config.ts";

/** One record a check refused: its index in the batch (from 0) and why. */
export interface RecordError {
  index: number;
  message: string;
}

/** The batch a check looks at. `records()` decodes (and decompresses) once, on first use, for every check. */
export interface BatchUnderValidation {
  ctx: BrokerContext;
  topic: Topic;
  partition: number;
  records(): readonly KafkaRecord[];
}

/** A per-record check: the records it refuses, or none. A check that does not apply returns [] without decoding. */
export type RecordValidator = (batch: BatchUnderValidation) => RecordError[] | Promise<RecordError[]>;

/** Kafka's rule for compacted topics: a record without a key can never be compacted away, so it is refused. */
export const compactedTopicKeys: RecordValidator = ({ topic, partition, records }) => {
  if (!hasCleanupPolicy(topic.configs, "compact")) return [];
  const errors: RecordError[] = [];
  records().forEach((record, index) => {
    if (record.key === null) {
      errors.push({ index, message: `Compacted topic cannot accept message without key in topic partition ${topic.name}-${partition}` });
    }
  });
  return errors;
};

/** The checks every produced batch goes through, in order; the first to refuse a record names its error. */
export const RECORD_VALIDATORS: readonly RecordValidator[] = [compactedTopicKeys];

/** Runs `validators` over the batch; every refused record once (the first check's message), in index order. */
export async function validateRecords(validators: readonly RecordValidator[], batch: BatchUnderValidation): Promise<RecordError[]> {
  const byIndex = new Map<number, RecordError>();
  for (const validate of validators) {
    for (const error of await validate(batch)) if (!byIndex.has(error.index)) byIndex.set(error.index, error);
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** Kafka's partition-level message for a refused batch (LogValidator.processRecordErrors), first three errors shown. */
export function recordErrorsSummary(errors: readonly RecordError[]): string {
  const shown = errors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.index}, message='${e.message}')`);
  return `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown.join(", ")}]`;
}

/** Memoises a batch's decoded records so several checks decode it once, and none do when no check needs them. */
export function lazyRecords(decode: () => readonly KafkaRecord[]): () => readonly KafkaRecord[] {
  let records: readonly KafkaRecord[] | null = null;
  return () => (records ??= decode());
}
