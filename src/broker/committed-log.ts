// A partition's log as a read_committed consumer sees it, for brokers that follow their own log (the
// lake writer's catch-up): data batches below the last stable offset, without control batches and
// without the batches of aborted transactions, filtered as Kafka's consumer filters them.

import { decodeControlRecord, decodeRecordBatch, isControl, isTransactional, readBatchHeader, type RecordBatchHeader } from "../protocol/record-batch.ts";
import { OffsetOutOfRangeError } from "../storage/errors.ts";
import type { Storage, TopicPartition } from "../storage/storage.ts";

export interface StoredBatch {
  /** The batch as stored; its header's baseOffset is its place in the log. */
  bytes: Uint8Array;
  header: RecordBatchHeader;
  lastOffset: bigint;
}

const FETCH_BYTES = 1 << 20;

/**
 * The committed data batches holding offsets in [from, until), in offset order; the first may start
 * before `from`, and offsets below the log start (deleted meanwhile) are passed over. `skip(offset)`
 * moves a read position past offsets the caller does not need (returning it unchanged when it needs
 * it), so long stretches it holds already are not read.
 */
export async function* committedBatches(
  storage: Storage,
  tp: TopicPartition,
  from: bigint,
  until: bigint,
  skip: (offset: bigint) => bigint = (offset) => offset,
): AsyncGenerator<StoredBatch> {
  // Producers inside an aborted transaction at the current position.
  const aborting = new Set<bigint>();
  let at = from;
  for (;;) {
    at = skip(at);
    if (at >= until) return;
    let result;
    try {
      result = await storage.fetch(tp, { fetchOffset: at, maxBytes: FETCH_BYTES, isolation: "read_committed" });
    } catch (error) {
      if (!(error instanceof OffsetOutOfRangeError)) throw error;
      const { logStartOffset } = await storage.offsets(tp);
      if (at >= logStartOffset) throw error;
      at = logStartOffset;
      continue;
    }
    if (result.batches.length === 0) return;
    const aborted = [...result.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
    for (const bytes of result.batches) {
      const header = readBatchHeader(bytes);
      if (header.baseOffset >= until) return;
      const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
      at = lastOffset + 1n;
      const transactional = isTransactional(header.attributes);
      if (transactional) {
        while (aborted.length > 0 && aborted[0]!.firstOffset <= lastOffset) aborting.add(aborted.shift()!.producerId);
      }
      if (isControl(header.attributes)) {
        const marker = decodeRecordBatch(bytes).records[0];
        if (transactional && marker?.key && decodeControlRecord(marker.key, marker.value).type === "abort") aborting.delete(header.producerId);
        continue;
      }
      if (transactional && aborting.has(header.producerId)) continue;
      yield { bytes, header, lastOffset };
    }
  }
}
