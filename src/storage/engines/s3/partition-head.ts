// A partition's head object: everything an append decides against (high watermark, log
// start, producer states, open and aborted transactions) and the index of its batches.
// Pure functions over the decoded head; the engine reads, applies one of them and writes
// the result back with If-Match, so each is one atomic step of the log.
//
// The index stays small: past INDEX_LIMIT entries the oldest move into an immutable chunk
// object and the head keeps only a reference (offset range, largest timestamp), so an
// append reads and writes a bounded head however long the log grows.

import type { AppendBatch, AppendResult, PartitionOffsets } from "../../storage.ts";
import { afterProducerBatch, checkProducerBatch, type ProducerState } from "../../producer-sequence.ts";

export interface IndexEntry {
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  size: number;
  /** Name of the batch object (ObjectKeys.batch). */
  object: string;
}

export interface ChunkRef {
  /** Name of the chunk object (ObjectKeys.indexChunk). */
  object: string;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
}

export interface AbortedRange {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
}

/** A producer's state with when it last wrote here (the appending broker's clock, ms). */
export interface StoredProducer extends ProducerState {
  lastWriteMs: number;
}

/**
 * A producer that has not written for this long, and has no open transaction here, is
 * forgotten, as Kafka's producer.id.expiration.ms (default one day) does: otherwise every
 * producer id ever seen would stay in the head that each append reads and writes.
 */
export const PRODUCER_EXPIRATION_MS = 24 * 60 * 60 * 1000;

export interface PartitionHead {
  /** Set by deleteTopic before the topic leaves the catalog: no append may succeed after it. */
  deleted: boolean;
  logStartOffset: bigint;
  highWatermark: bigint;
  producers: Map<bigint, StoredProducer>;
  /** In order of their markers. */
  aborted: AbortedRange[];
  /** Older index entries, in offset order, all before `entries`. */
  chunks: ChunkRef[];
  /** The newest index entries, in offset order. */
  entries: IndexEntry[];
}

export function emptyHead(): PartitionHead {
  return { deleted: false, logStartOffset: 0n, highWatermark: 0n, producers: new Map(), aborted: [], chunks: [], entries: [] };
}

export function offsetsOf(head: PartitionHead): PartitionOffsets {
  let lastStableOffset = head.highWatermark;
  for (const state of head.producers.values()) {
    if (state.txnFirstOffset !== null && state.txnFirstOffset < lastStableOffset) lastStableOffset = state.txnFirstOffset;
  }
  return { logStartOffset: head.logStartOffset, highWatermark: head.highWatermark, lastStableOffset };
}

export type AppendDecision =
  | { duplicate: AppendResult }
  | { head: PartitionHead; result: AppendResult };

/**
 * Decides an append against this head: a duplicate of a batch already written (write
 * nothing), or the next head with the batch indexed under `object` at the high watermark.
 * @throws OutOfOrderSequenceError, InvalidProducerEpochError
 */
export function appendToHead(
  head: PartitionHead,
  batch: AppendBatch,
  object: string,
  size: number,
  nowMs = Date.now(),
): AppendDecision {
  const idempotent = batch.producerId >= 0n;
  const state = idempotent ? (head.producers.get(batch.producerId) ?? null) : null;
  const duplicateOf = idempotent ? checkProducerBatch(state, batch) : null;
  if (duplicateOf !== null) {
    return { duplicate: { baseOffset: duplicateOf, logStartOffset: head.logStartOffset, duplicate: true } };
  }

  const baseOffset = head.highWatermark;
  const lastOffset = baseOffset + BigInt(batch.offsetCount) - 1n;
  const next: PartitionHead = {
    ...head,
    highWatermark: lastOffset + 1n,
    entries: [...head.entries, { baseOffset, lastOffset, maxTimestamp: batch.maxTimestamp, size, object }],
  };
  if (idempotent) {
    const after = afterProducerBatch(state, batch, baseOffset);
    next.producers = withoutExpired(head.producers, nowMs).set(batch.producerId, { ...after.state, lastWriteMs: nowMs });
    const completed = after.completed;
    if (completed?.aborted) {
      next.aborted = [...head.aborted, { producerId: batch.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset }];
    }
  }
  return { head: next, result: { baseOffset, logStartOffset: head.logStartOffset, duplicate: false } };
}

function withoutExpired(producers: Map<bigint, StoredProducer>, nowMs: number): Map<bigint, StoredProducer> {
  const kept = new Map<bigint, StoredProducer>();
  for (const [id, state] of producers) {
    if (state.txnFirstOffset !== null || nowMs - state.lastWriteMs < PRODUCER_EXPIRATION_MS) kept.set(id, state);
  }
  return kept;
}

/** The oldest entries to move into a chunk once the head holds more than `limit`, keeping `keep`; null when within bounds. */
export function overflowOf(head: PartitionHead, limit: number, keep: number): IndexEntry[] | null {
  return head.entries.length > limit ? head.entries.slice(0, head.entries.length - keep) : null;
}

/** The head with `moved` (its oldest entries) replaced by a reference to the chunk object holding them. */
export function withChunk(head: PartitionHead, moved: IndexEntry[], object: string): PartitionHead {
  return { ...head, chunks: [...head.chunks, chunkRefOf(moved, object)], entries: head.entries.slice(moved.length) };
}

/** The head's reference to a chunk object holding `entries` (not empty, in offset order). */
export function chunkRefOf(entries: IndexEntry[], object: string): ChunkRef {
  const maxTimestamp = entries.reduce((max, e) => (e.maxTimestamp > max ? e.maxTimestamp : max), entries[0].maxTimestamp);
  return { object, baseOffset: entries[0].baseOffset, lastOffset: entries.at(-1)!.lastOffset, maxTimestamp };
}

/**
 * The head after DeleteRecords moved the log start to `logStart`: entries and chunks wholly
 * below it dropped (a chunk straddling it stays; readers skip its entries below the log
 * start), aborted transactions ending below it forgotten.
 */
export function withLogStart(head: PartitionHead, logStart: bigint): PartitionHead {
  return {
    ...head,
    logStartOffset: logStart,
    chunks: head.chunks.filter((c) => c.lastOffset >= logStart),
    entries: head.entries.filter((e) => e.lastOffset >= logStart),
    aborted: head.aborted.filter((a) => a.lastOffset >= logStart),
  };
}

// --- encoding ---------------------------------------------------------------------------
// Compact arrays with 64-bit values as decimal strings: the head is read and written on
// every append, so its size is the append's cost.

export interface EncodedHead {
  deleted: boolean;
  logStart: string;
  hwm: string;
  /** [producerId, epoch, txnFirstOffset, [[baseSequence, lastSequence, baseOffset]], lastWriteMs] */
  producers: Array<[string, number, string | null, Array<[number, number, string]>, number]>;
  aborted: Array<[string, string, string]>;
  chunks: Array<[string, string, string, string]>;
  entries: EncodedEntry[];
}
export type EncodedEntry = [string, string, string, number, string];

export function encodeHead(head: PartitionHead): EncodedHead {
  return {
    deleted: head.deleted,
    logStart: String(head.logStartOffset),
    hwm: String(head.highWatermark),
    producers: [...head.producers].map(([id, s]) => [
      String(id),
      s.epoch,
      s.txnFirstOffset === null ? null : String(s.txnFirstOffset),
      s.batches.map((b) => [b.baseSequence, b.lastSequence, String(b.baseOffset)]),
      s.lastWriteMs,
    ]),
    aborted: head.aborted.map((a) => [String(a.producerId), String(a.firstOffset), String(a.lastOffset)]),
    chunks: head.chunks.map((c) => [c.object, String(c.baseOffset), String(c.lastOffset), String(c.maxTimestamp)]),
    entries: encodeEntries(head.entries),
  };
}

export function decodeHead(encoded: EncodedHead): PartitionHead {
  return {
    deleted: encoded.deleted,
    logStartOffset: BigInt(encoded.logStart),
    highWatermark: BigInt(encoded.hwm),
    producers: new Map(
      encoded.producers.map(([id, epoch, txnFirstOffset, batches, lastWriteMs]) => [
        BigInt(id),
        {
          epoch,
          lastWriteMs,
          txnFirstOffset: txnFirstOffset === null ? null : BigInt(txnFirstOffset),
          batches: batches.map(([baseSequence, lastSequence, baseOffset]) => ({
            baseSequence,
            lastSequence,
            baseOffset: BigInt(baseOffset),
          })),
        },
      ]),
    ),
    aborted: encoded.aborted.map(([producerId, first, last]) => ({
      producerId: BigInt(producerId),
      firstOffset: BigInt(first),
      lastOffset: BigInt(last),
    })),
    chunks: encoded.chunks.map(([object, base, last, maxTimestamp]) => ({
      object,
      baseOffset: BigInt(base),
      lastOffset: BigInt(last),
      maxTimestamp: BigInt(maxTimestamp),
    })),
    entries: decodeEntries(encoded.entries),
  };
}

/** Index entries as stored in the head and in chunk objects. */
export function encodeEntries(entries: IndexEntry[]): EncodedEntry[] {
  return entries.map((e) => [String(e.baseOffset), String(e.lastOffset), String(e.maxTimestamp), e.size, e.object]);
}

export function decodeEntries(encoded: EncodedEntry[]): IndexEntry[] {
  return encoded.map(([base, last, maxTimestamp, size, object]) => ({
    baseOffset: BigInt(base),
    lastOffset: BigInt(last),
    maxTimestamp: BigInt(maxTimestamp),
    size,
    object,
  }));
}
