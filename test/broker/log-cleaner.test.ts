import { afterEach, beforeEach, expect, test } from "bun:test";
import { LogCleaner } from "../../src/broker/log-cleaner.ts";
import { LogNotifier } from "../../src/broker/log-notifier.ts";
import type { BrokerContext } from "../../src/broker/context.ts";
import { decodeRecordBatches, readBatchHeader } from "../../src/protocol/record-batch.ts";
import { openStorage } from "../../src/storage/open.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { batchOf, decodeText } from "./records.ts";

let storage: Storage;
let ctx: BrokerContext;

beforeEach(async () => {
  storage = await openStorage("memory://");
  ctx = {
    storage,
    notifier: new LogNotifier(),
    config: {
      nodeId: 1, clusterId: "c", advertisedHost: "h", advertisedPort: 1, defaultPartitions: 1, autoCreateTopics: true,
      maxRequestBytes: 1 << 20, fetchPollMs: 50, cleanerIntervalMs: 3_600_000, transactionMaxTimeoutMs: 900_000, transactionSweepIntervalMs: 3_600_000,
    },
  };
});
afterEach(() => storage.close());

async function append(topic: string, values: Array<{ key?: string; value: string | null; timestamp?: bigint }>) {
  const bytes = batchOf(values);
  const header = readBatchHeader(bytes);
  return storage.append({ topic, partition: 0 }, {
    bytes, offsetCount: header.lastOffsetDelta + 1, maxTimestamp: header.maxTimestamp,
    producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: false, control: null,
  });
}

async function readAll(topic: string) {
  const { logStartOffset, highWatermark } = await storage.offsets({ topic, partition: 0 });
  if (logStartOffset === highWatermark) return { logStartOffset, records: [] };
  const { batches } = await storage.fetch({ topic, partition: 0 }, { fetchOffset: logStartOffset, maxBytes: 1 << 30, isolation: "read_uncommitted" });
  const records = batches.flatMap((b) => decodeRecordBatches(b)).flatMap((b) => b.records.map((r) => [b.baseOffset + BigInt(r.offsetDelta), decodeText(r.key), decodeText(r.value)]));
  return { logStartOffset, records };
}

test("retention.ms drops batches older than the retention", async () => {
  await storage.createTopic({ name: "r-time", partitions: 1, configs: { "retention.ms": "1000" } });
  await append("r-time", [{ value: "old", timestamp: 1_000n }]);
  await append("r-time", [{ value: "new", timestamp: 9_500n }]);
  await new LogCleaner(ctx).runOnce(10_000n);
  expect(await readAll("r-time")).toEqual({ logStartOffset: 1n, records: [[1n, null, "new"]] });
});

test("retention.bytes keeps the newest batches within the limit", async () => {
  await storage.createTopic({ name: "r-size", partitions: 1, configs: {} });
  for (const v of ["a", "b", "c"]) await append("r-size", [{ value: v.repeat(100) }]);
  const [, , last] = await storage.batchSummaries({ topic: "r-size", partition: 0 });
  await storage.setTopicConfigs("r-size", { "retention.bytes": String(last!.sizeBytes) });
  await new LogCleaner(ctx).runOnce();
  expect((await readAll("r-size")).records.map((r) => r[0])).toEqual([2n]);
});

test("default retention keeps everything recent", async () => {
  await storage.createTopic({ name: "r-default", partitions: 1, configs: {} });
  await append("r-default", [{ value: "x" }]);
  await new LogCleaner(ctx).runOnce();
  expect((await readAll("r-default")).records.length).toBe(1);
});

test("compaction keeps the newest record per key at its original offset", async () => {
  await storage.createTopic({ name: "compacted", partitions: 1, configs: { "cleanup.policy": "compact" } });
  await append("compacted", [{ key: "a", value: "a1" }, { key: "b", value: "b1" }]);
  await append("compacted", [{ key: "a", value: "a2" }, { key: "c", value: "c1" }]);
  await append("compacted", [{ key: "b", value: "b2" }]);
  await new LogCleaner(ctx).runOnce();
  const { records } = await readAll("compacted");
  expect(records).toEqual([[2n, "a", "a2"], [3n, "c", "c1"], [4n, "b", "b2"]]);
  // The high watermark and offsets of survivors never move.
  expect((await storage.offsets({ topic: "compacted", partition: 0 })).highWatermark).toBe(5n);
});
