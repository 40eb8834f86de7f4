import { decodeRecordBatch, encodeRecordBatch, isControl, isTransactional, compressionOf, timestampTypeOf } from "../protocol/record-batch.ts";
import type { Topic, TopicPartition } from "../storage/storage.ts";
import type { BrokerContext } from "./context.ts";
import { LogNotifier } from "./log-notifier.ts";
import { PeriodicTask } from "./periodic-task.ts";
import { hasCleanupPolicy, topicConfig } from "./topic-config.ts";

/**
 * Retention (by time and size) and compaction, run in the background by every broker. All
 * steps are idempotent against the store, so brokers sharing a store may run them at the
 * same time: deleteRecords only moves the log start forward, and compaction of a batch is
 * deterministic.
 */
export class LogCleaner {
  readonly #task: PeriodicTask;
  /** High watermark of each partition when this broker last compacted it. */
  readonly #compactedAt = new Map<string, bigint>();

  constructor(private readonly ctx: BrokerContext) {
    this.#task = new PeriodicTask("log cleaner pass", ctx.config.cleanerIntervalMs, () => this.runOnce());
  }

  /** The first pass runs after `firstDelayMs` (default: one interval). */
  start(firstDelayMs?: number): void {
    this.#task.start(firstDelayMs);
  }

  stop(): void {
    this.#task.stop();
  }

  /** Resolves when a pass in progress (if any) has finished. */
  idle(): Promise<void> {
    return this.#task.idle();
  }

  async runOnce(now = BigInt(Date.now())): Promise<void> {
    for (const topic of await this.ctx.storage.listTopics()) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        if (this.#task.stopped) return;
        const tp = { topic: topic.name, partition };
        await this.#retain(topic, tp, now);
        if (hasCleanupPolicy(topic.configs, "compact")) await this.#compact(tp);
      }
    }
  }

  async #retain(topic: Topic, tp: TopicPartition, now: bigint): Promise<void> {
    if (!hasCleanupPolicy(topic.configs, "delete")) return;
    const retentionMs = BigInt(topicConfig(topic.configs, "retention.ms"));
    const retentionBytes = BigInt(topicConfig(topic.configs, "retention.bytes"));
    if (retentionMs < 0n && retentionBytes < 0n) return;
    const batches = await this.ctx.storage.batchSummaries(tp);
    let keepFrom = 0;
    if (retentionMs >= 0n) {
      while (keepFrom < batches.length && batches[keepFrom]!.maxTimestamp < now - retentionMs) keepFrom++;
    }
    if (retentionBytes >= 0n) {
      let size = batches.slice(keepFrom).reduce((n, b) => n + BigInt(b.sizeBytes), 0n);
      while (keepFrom < batches.length && size > retentionBytes) size -= BigInt(batches[keepFrom++]!.sizeBytes);
    }
    if (keepFrom === 0) return;
    const newStart = keepFrom < batches.length ? batches[keepFrom]!.baseOffset : batches[batches.length - 1]!.lastOffset + 1n;
    await this.ctx.storage.deleteRecords(tp, newStart);
  }

  /** Keeps only the newest record of each key; offsets of the survivors never change. */
  async #compact(tp: TopicPartition): Promise<void> {
    const { logStartOffset, highWatermark } = await this.ctx.storage.offsets(tp);
    const key = LogNotifier.key(tp.topic, tp.partition);
    // Compaction is deterministic: with nothing appended since this broker last compacted the
    // partition, another pass would read the whole log to change nothing.
    if (logStartOffset === highWatermark || this.#compactedAt.get(key) === highWatermark) return;
    const size = (await this.ctx.storage.batchSummaries(tp)).reduce((n, b) => n + b.sizeBytes, 0);
    const { batches } = await this.ctx.storage.fetch(tp, { fetchOffset: logStartOffset, maxBytes: size, isolation: "read_uncommitted" });
    const decoded = batches.map((b) => decodeRecordBatch(b));
    const latest = new Map<string, bigint>();
    for (const batch of decoded) {
      if (isControl(batch.attributes) || isTransactional(batch.attributes)) continue;
      for (const r of batch.records) if (r.key) latest.set(Buffer.from(r.key).toString("base64"), batch.baseOffset + BigInt(r.offsetDelta));
    }
    for (const batch of decoded) {
      if (isControl(batch.attributes) || isTransactional(batch.attributes)) continue;
      const keep = batch.records.filter((r) => !r.key || latest.get(Buffer.from(r.key).toString("base64")) === batch.baseOffset + BigInt(r.offsetDelta));
      if (keep.length === batch.records.length) continue;
      const bytes =
        keep.length === 0
          ? null
          : encodeRecordBatch({
              baseOffset: batch.baseOffset,
              partitionLeaderEpoch: batch.partitionLeaderEpoch,
              compression: compressionOf(batch.attributes),
              timestampType: timestampTypeOf(batch.attributes),
              baseTimestamp: batch.baseTimestamp,
              maxTimestamp: batch.maxTimestamp,
              producerId: batch.producerId,
              producerEpoch: batch.producerEpoch,
              baseSequence: batch.baseSequence,
              lastOffsetDelta: batch.lastOffsetDelta,
              records: keep,
            });
      await this.ctx.storage.replaceBatch(tp, batch.baseOffset, bytes);
    }
    this.#compactedAt.set(key, highWatermark);
  }
}
