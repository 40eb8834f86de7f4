// The per-record validation step of the produce path: how several checks combine, and that records are
// decoded only when a check needs them. End to end (Produce responses, librdkafka) in produce-fetch.test.ts
// and test/integration/librdkafka-compat.test.ts.
import { expect, test } from "bun:test";
import type { BrokerContext } from "../../src/broker/context.ts";
import {
  compactedTopicKeys,
  lazyRecords,
  recordErrorsSummary,
  validateRecords,
  type BatchUnderValidation,
  type RecordValidator,
} from "../../src/broker/record-validation.ts";
import type { KafkaRecord } from "../../src/protocol/record-batch.ts";
import type { Topic } from "../../src/storage/storage.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const record = (key: string | null, value: string): KafkaRecord => ({
  attributes: 0,
  timestampDelta: 0n,
  offsetDelta: 0,
  key: key === null ? null : bytes(key),
  value: bytes(value),
  headers: [],
});

function batchOf(records: KafkaRecord[], configs: Record<string, string> = {}): BatchUnderValidation & { decodes: () => number } {
  let decodes = 0;
  const topic = { name: "t", id: "00000000-0000-0000-0000-000000000001", partitions: 1, configs } as Topic;
  return {
    ctx: {} as BrokerContext,
    topic,
    partition: 0,
    records: lazyRecords(() => {
      decodes++;
      return records;
    }),
    decodes: () => decodes,
  };
}

test("compacted topics: every keyless record, by index, with Kafka's message", async () => {
  const batch = batchOf([record(null, "a"), record("k", "b"), record(null, "c")], { "cleanup.policy": "compact,delete" });
  const message = "Compacted topic cannot accept message without key in topic partition t-0";
  expect(await validateRecords([compactedTopicKeys], batch)).toEqual([
    { index: 0, message },
    { index: 2, message },
  ]);
});

test("a check that does not apply decodes nothing", async () => {
  const batch = batchOf([record(null, "a")]);
  expect(await validateRecords([compactedTopicKeys], batch)).toEqual([]);
  expect(batch.decodes()).toBe(0);
});

test("several checks share one decode; each record reported once, with the first check's message, in index order", async () => {
  const evenValues: RecordValidator = ({ records }) =>
    records().flatMap((r, index) => (new TextDecoder().decode(r.value!).length % 2 === 0 ? [{ index, message: "even" }] : []));
  const asyncCheck: RecordValidator = async ({ records }) => records().map((_, index) => ({ index, message: "async" }));
  const batch = batchOf([record(null, "aa"), record("k", "b"), record(null, "cc")], { "cleanup.policy": "compact" });
  expect(await validateRecords([evenValues, compactedTopicKeys, asyncCheck], batch)).toEqual([
    { index: 0, message: "even" },
    { index: 1, message: "async" },
    { index: 2, message: "even" },
  ]);
  expect(batch.decodes()).toBe(1);
});

test("the partition-level message shows the first three record errors, as Kafka's does", () => {
  const errors = [1, 4, 7, 9].map((index) => ({ index, message: `bad ${index}` }));
  expect(recordErrorsSummary(errors)).toBe(
    "One or more records have been rejected due to 4 record errors in total, and only showing the first three errors at most: " +
      "[RecordError(batchIndex=1, message='bad 1'), RecordError(batchIndex=4, message='bad 4'), RecordError(batchIndex=7, message='bad 7')]",
  );
});
