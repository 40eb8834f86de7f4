// The second phase of ending a transaction: markers on every partition, the pending offsets
// on commit, then Complete*. Any broker may run it for a transaction it finds in Prepare*
// (the one that wrote Prepare* may have died midway), so every step is safe to repeat: a
// marker where the producer has no open transaction only takes an offset, committing the
// same offsets twice writes the same values, and Complete* is a compare-and-set.

import { consola } from "../../log.ts";
import { encodeControlBatch } from "../../protocol/record-batch.ts";
import { InvalidProducerEpochError, StorageUnavailableError, UnknownTopicError } from "../../storage/errors.ts";
import type { TopicPartition, Versioned } from "../../storage/storage.ts";
import type { BrokerContext } from "../context.ts";
import { complete, isPrepare, type PendingOffset, type TxnState } from "./txn-state.ts";
import { readTxn, writeTxn } from "./txn-store.ts";

export type CompletionOutcome =
  /** This broker wrote Complete*. */
  | "completed"
  /** The record changed under us: another broker completed it first. */
  | "superseded";

/**
 * Finishes `prepared` (a record in PrepareCommit or PrepareAbort, as read at its version).
 * Before each marker (and the offsets) the record is re-read, and the work stops once someone
 * else has moved it on: a marker written after the producer started its next transaction
 * would end that one.
 */
export async function completeTransaction(
  ctx: BrokerContext,
  transactionalId: string,
  prepared: Versioned<TxnState>,
  now = BigInt(Date.now()),
): Promise<CompletionOutcome> {
  const txn = prepared.value;
  if (!isPrepare(txn.state)) throw new Error(`transaction ${transactionalId} is ${txn.state}, not preparing to end`);
  const commit = txn.state === "PrepareCommit";
  const stillPrepared = async () => (await readTxn(ctx.storage, transactionalId))?.version === prepared.version;
  for (const tp of txn.partitions) {
    if (!(await stillPrepared())) return "superseded";
    await writeMarker(ctx, txn, tp, commit, now);
  }
  // Late offsets would move the group back behind a later transaction's.
  if (commit && txn.offsets.length > 0) {
    if (!(await stillPrepared())) return "superseded";
    await commitOffsets(ctx, txn.offsets, now);
  }
  const written = await writeTxn(ctx.storage, transactionalId, complete(txn, now), prepared.version);
  if (written === null) return "superseded";
  ctx.metrics?.transactionEnded(commit ? "committed" : "aborted");
  return "completed";
}

async function writeMarker(ctx: BrokerContext, txn: TxnState, tp: TopicPartition, commit: boolean, now: bigint): Promise<void> {
  const bytes = encodeControlBatch({ producerId: txn.producerId, producerEpoch: txn.producerEpoch, commit, timestamp: now });
  try {
    await ctx.storage.append(tp, {
      bytes,
      offsetCount: 1,
      maxTimestamp: now,
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      baseSequence: -1,
      transactional: true,
      control: commit ? "commit" : "abort",
    });
    ctx.notifier.notify(tp.topic, tp.partition);
  } catch (error) {
    // A deleted topic has no transaction left to close.
    if (error instanceof UnknownTopicError) return;
    // The partition already saw a newer epoch of this producer, whose own marker closes
    // whatever is open there; refusing to complete would leave the transaction stuck.
    if (error instanceof InvalidProducerEpochError) {
      consola.warn(`transaction marker for ${tp.topic}-${tp.partition} skipped: ${error.message}`);
      return;
    }
    const context = `writing the ${commit ? "commit" : "abort"} marker to ${tp.topic}-${tp.partition}`;
    // Keep an outage recognisable: clients retry EndTxn, and it finishes the job.
    if (error instanceof StorageUnavailableError) throw new StorageUnavailableError(`${context}: ${error.message}`, { cause: error });
    throw new Error(context, { cause: error });
  }
}

async function commitOffsets(ctx: BrokerContext, offsets: PendingOffset[], now: bigint): Promise<void> {
  const byGroup = Map.groupBy(offsets, (o) => o.group);
  for (const [group, pending] of byGroup) {
    await ctx.storage.commitOffsets(
      group,
      pending.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
        leaderEpoch: o.leaderEpoch,
        metadata: o.metadata,
        commitTimestamp: now,
      })),
    );
  }
}
