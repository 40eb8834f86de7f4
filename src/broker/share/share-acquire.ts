// Acquiring records of one share-partition for a member: read the stored state, apply lapsed
// locks and the log start, read the log from the first offset there is to deliver, acquire, and
// write the state back, all in one compare-and-set step. A share-partition met for the first time
// starts where share.auto.offset.reset says.

import type { AbortedTransaction, PartitionOffsets, Topic } from "../../storage/storage.ts";
import { isControl, isTransactional, readBatchHeader } from "../../protocol/record-batch.ts";
import type { BrokerContext } from "../context.ts";
import type { ShareGroupConfig } from "../groups/group-configs.ts";
import {
  acquire,
  canAcquire,
  clampToLogStart,
  expireLocks,
  initialState,
  nextFetchOffset,
  nextLockDeadline,
  type AcquiredRange,
  type BatchSpan,
  type SharePartitionState,
} from "./share-partition.ts";
import { changeSharePartition } from "./share-partition-store.ts";

/** group.share.partition.max.record.locks */
export const MAX_RECORD_LOCKS = 2000;

export interface Acquisition {
  ranges: AcquiredRange[];
  /** The whole log batches holding the acquired records, by base offset. */
  batches: Map<bigint, Uint8Array>;
  /** When a lock held in the partition lapses next (a waiting fetch may find records then), or null. */
  nextLockDeadline: number | null;
}

export interface AcquireRequest {
  groupId: string;
  memberId: string;
  topic: Topic;
  topicId: string;
  partition: number;
  config: ShareGroupConfig;
  maxRecords: number;
  maxBytes: number;
}

async function startOffset(ctx: BrokerContext, r: AcquireRequest, offsets: PartitionOffsets, now: number): Promise<bigint> {
  const reset = r.config.autoOffsetReset;
  if (reset.kind === "earliest") return offsets.logStartOffset;
  if (reset.kind === "latest") return offsets.highWatermark;
  const found = await ctx.storage.offsetForTimestamp({ topic: r.topic.name, partition: r.partition }, BigInt(now - reset.durationMs));
  return found?.offset ?? offsets.highWatermark;
}

/**
 * What acquisition needs of each fetched batch. Control batches are never delivered; under
 * read_committed neither are the batches of aborted transactions (found as a consumer does: a
 * producer's transaction is aborted from its first offset up to its abort marker).
 */
export function batchSpans(batches: Uint8Array[], aborted: AbortedTransaction[], readCommitted: boolean): BatchSpan[] {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  return batches.map((bytes) => {
    const h = readBatchHeader(bytes);
    const lastOffset = h.baseOffset + BigInt(h.lastOffsetDelta);
    while (readCommitted && pending.length > 0 && pending[0]!.firstOffset <= lastOffset) abortedProducers.add(pending.shift()!.producerId);
    if (isControl(h.attributes)) {
      abortedProducers.delete(h.producerId);
      return { baseOffset: h.baseOffset, lastOffset, skip: true };
    }
    const skip = readCommitted && isTransactional(h.attributes) && abortedProducers.has(h.producerId);
    return { baseOffset: h.baseOffset, lastOffset, skip };
  });
}

export async function acquireRecords(ctx: BrokerContext, r: AcquireRequest): Promise<Acquisition> {
  const tp = { topic: r.topic.name, partition: r.partition };
  const limits = {
    deliveryCountLimit: r.config.deliveryCountLimit,
    lockDurationMs: r.config.recordLockDurationMs,
    maxRecords: r.maxRecords > 0 ? r.maxRecords : Number.MAX_SAFE_INTEGER,
    maxInFlight: MAX_RECORD_LOCKS,
  };
  const readCommitted = r.config.isolation === "read_committed";
  return changeSharePartition(ctx, { groupId: r.groupId, topicId: r.topicId, partition: r.partition }, async (current, now) => {
    const offsets = await ctx.storage.offsets(tp);
    const fetchEnd = readCommitted ? offsets.lastStableOffset : offsets.highWatermark;
    const state: SharePartitionState = current ? structuredClone(current) : initialState(await startOffset(ctx, r, offsets, now));
    let changed = current === null;
    changed = expireLocks(state, now, limits) || changed;
    changed = clampToLogStart(state, offsets.logStartOffset) || changed;
    const nothing = (): Acquisition => ({ ranges: [], batches: new Map(), nextLockDeadline: nextLockDeadline(state) });
    if (!canAcquire(state, fetchEnd, limits.maxInFlight)) return { result: nothing(), save: changed ? state : undefined };

    const fetched = await ctx.storage.fetch(tp, { fetchOffset: nextFetchOffset(state), maxBytes: r.maxBytes, isolation: r.config.isolation });
    const spans = batchSpans(fetched.batches, fetched.abortedTransactions, readCommitted);
    const acquired = acquire(state, r.memberId, spans, fetchEnd, now, limits);
    const ranges = acquired.ranges;
    const batches = new Map<bigint, Uint8Array>();
    fetched.batches.forEach((bytes, i) => {
      const span = spans[i]!;
      if (ranges.some((a) => a.firstOffset <= span.lastOffset && a.lastOffset >= span.baseOffset)) batches.set(span.baseOffset, bytes);
    });
    return { result: { ranges, batches, nextLockDeadline: nextLockDeadline(state) }, save: changed || acquired.changed ? state : undefined };
  });
}
