// One transaction for a group of appends to one partition, in two round trips:
//   1. BEGIN, lock the partition's watermark row and read the group's producers
//      (tansu.lock_partition), and start the COPY of the record rows, all sent together,
//   2. decide each append in order: duplicate, refused, or the next offsets,
//   3. stream the accepted batches' rows into the COPY, written as they go out (the server
//      starts on the first chunk while later ones are written),
//   4. right behind the data, one statement writes their framing, the producers, aborted
//      transactions and the new high watermark, and queues the NOTIFY that wakes long polls on
//      every broker; then COMMIT.
// The batches were decoded when they were handed over (prepareAppend), not here.
// Offsets come from the locked row in the transaction that writes the rows, so appends from
// any number of brokers (and tansu.produce()) get contiguous, distinct offsets, and nothing is
// acknowledged before it is committed: the outcomes wait for the COPY's verdict and COMMIT.

import { UnknownTopicError } from "../../errors.ts";
import { afterProducerBatch, checkProducerBatch, type ProducerBatch, type ProducerState } from "../../producer-sequence.ts";
import { decodeValue, encodeValue } from "../../record-codec.ts";
import type { AppendBatch, AppendResult, TopicPartition } from "../../storage.ts";
import { prepareBatch, RECORD_COLUMNS, writeRows, type PreparedBatch } from "./batch-rows.ts";
import { CopyWriter } from "./copy-binary.ts";
import { copyIn, type CopyIn } from "./copy-streams.ts";
import { APPEND_CHANNEL, partitionKey } from "./functions.ts";
import type { Outcome } from "./group-commit.ts";
import type { Db } from "./client.ts";
import { inPipelinedTransaction } from "./transaction.ts";

/** A batch handed over for a group commit, decoded. */
export interface PendingAppend {
  batch: AppendBatch;
  prepared: PreparedBatch;
}

/**
 * Decodes `batch` for commitAppends.
 * @throws MalformedMessageError, CorruptRecordError for bytes that are not a valid batch
 */
export function prepareAppend(batch: AppendBatch): PendingAppend {
  return { batch, prepared: prepareBatch(batch) };
}

interface LockRow {
  topic_key: number;
  log_start_offset: bigint;
  high_watermark: bigint;
  producer_id: bigint | null;
  epoch: number | null;
  batches: string | null;
  txn_first_offset: bigint | null;
}

/** A batch the append accepted, and where it goes: what sendRows writes and framingJson describes. */
interface Accepted {
  prepared: PreparedBatch;
  baseOffset: bigint;
}

export const COPY_RECORDS = `COPY tansu.batch_records (${RECORD_COLUMNS}) FROM STDIN (FORMAT binary)`;

/** Appends `group` to `tp` in one transaction; one outcome per batch, in order. */
export async function commitAppends(sql: Db, tp: TopicPartition, group: PendingAppend[]): Promise<Outcome<AppendResult>[]> {
  const producerIds = [...new Set(group.map((a) => a.batch.producerId).filter((id) => id >= 0n))];
  return inPipelinedTransaction(sql, async (tx, begun) => {
    const locking = tx<LockRow[]>`
      SELECT * FROM tansu.lock_partition(${tp.topic}, ${tp.partition}, ${`{${producerIds.join(",")}}`}::bigint[])`.execute();
    const copy = copyIn(tx, COPY_RECORDS);
    try {
      return await decideAndWrite(tx, tp, group, locking, copy, begun);
    } catch (error) {
      // The connection must leave COPY mode before the transaction can be rolled back.
      await copy.abort(error);
      throw error;
    }
  });
}

async function decideAndWrite(
  tx: Db,
  tp: TopicPartition,
  group: PendingAppend[],
  locking: Promise<LockRow[]>,
  copy: CopyIn,
  begun: Promise<unknown>,
): Promise<Outcome<AppendResult>[]> {
  const locked = await locking;
  // The rows are data, not statements: they go into the transaction only if BEGIN succeeded.
  await begun;
  if (locked.length === 0) {
    await sendRows(copy, 0, tp.partition, []);
    await Promise.all([copy.accepted, tx`COMMIT`]);
    const error = new UnknownTopicError(`unknown topic or partition ${tp.topic}-${tp.partition}`);
    return group.map(() => ({ error }));
  }
  const { topic_key: topicKey, log_start_offset: logStartOffset } = locked[0];
  const producers = new Map<bigint, ProducerState>();
  for (const row of locked) {
    if (row.producer_id === null) continue;
    producers.set(row.producer_id, {
      epoch: row.epoch!,
      batches: decodeValue<ProducerBatch[]>(row.batches!),
      txnFirstOffset: row.txn_first_offset,
    });
  }

  let highWatermark = locked[0].high_watermark;
  const accepted: Accepted[] = [];
  const changed = new Set<bigint>();
  const aborted: Array<{ last_offset: string; producer_id: string; first_offset: string }> = [];
  const outcomes = group.map((append): Outcome<AppendResult> => {
    const { batch } = append;
    try {
      const idempotent = batch.producerId >= 0n;
      const state = producers.get(batch.producerId) ?? null;
      const duplicateOf = idempotent ? checkProducerBatch(state, batch) : null;
      if (duplicateOf !== null) return { result: { baseOffset: duplicateOf, logStartOffset, duplicate: true } };
      const baseOffset = highWatermark;
      highWatermark += BigInt(batch.offsetCount);
      accepted.push({ prepared: append.prepared, baseOffset });
      if (idempotent) {
        const { state: next, completed } = afterProducerBatch(state, batch, baseOffset);
        producers.set(batch.producerId, next);
        changed.add(batch.producerId);
        if (completed?.aborted) {
          aborted.push({
            last_offset: String(completed.lastOffset),
            producer_id: String(batch.producerId),
            first_offset: String(completed.firstOffset),
          });
        }
      }
      return { result: { baseOffset, logStartOffset, duplicate: false } };
    } catch (error) {
      return { error };
    }
  });
  await sendRows(copy, topicKey, tp.partition, accepted);
  if (accepted.length === 0) {
    await Promise.all([copy.accepted, tx`COMMIT`]);
    return outcomes;
  }

  const framing = accepted.map(({ prepared, baseOffset }) => framingJson(prepared, baseOffset));
  const states = [...changed].map((id) => {
    const state = producers.get(id)!;
    return {
      producer_id: String(id),
      epoch: state.epoch,
      batches: encodeValue(state.batches),
      txn_first_offset: state.txnFirstOffset === null ? null : String(state.txnFirstOffset),
    };
  });
  const finished = tx`
    WITH framing AS (${insertFraming(tx, topicKey, tp.partition, framing)}
    ), producers AS (
      INSERT INTO tansu.producers (topic_key, partition, producer_id, epoch, batches, txn_first_offset)
      SELECT ${topicKey}, ${tp.partition}, p.* FROM jsonb_to_recordset(${tx.json(states)}) AS p(
        producer_id bigint, epoch smallint, batches text, txn_first_offset bigint)
      ON CONFLICT (topic_key, partition, producer_id) DO UPDATE
        SET epoch = excluded.epoch, batches = excluded.batches, txn_first_offset = excluded.txn_first_offset
    ), aborted AS (
      INSERT INTO tansu.aborted_transactions (topic_key, partition, last_offset, producer_id, first_offset)
      SELECT ${topicKey}, ${tp.partition}, a.* FROM jsonb_to_recordset(${tx.json(aborted)}) AS a(
        last_offset bigint, producer_id bigint, first_offset bigint)
    )
    UPDATE tansu.partitions SET high_watermark = ${highWatermark}
    WHERE topic_key = ${topicKey} AND partition = ${tp.partition}
    RETURNING pg_notify(${APPEND_CHANNEL}, ${partitionKey(tp)})`;
  // A refused COPY fails the transaction, so the statements behind it fail and COMMIT rolls
  // back; the COPY's verdict is awaited with them, so a refusal is never taken for success.
  await Promise.all([copy.accepted, finished, tx`COMMIT`]);
  return outcomes;
}

/**
 * Writes the rows of `batches` (each at its base offset) as the data of `copy` and ends it;
 * resolves once the data is on its way and the connection takes statements again.
 */
export async function sendRows(
  copy: CopyIn,
  topicKey: number,
  partition: number,
  batches: Accepted[],
): Promise<void> {
  await copy.ready;
  const writer = new CopyWriter((chunk) => copy.write(chunk));
  try {
    for (const { prepared, baseOffset } of batches) writeRows(writer, prepared, topicKey, partition, baseOffset);
    writer.end();
  } catch (error) {
    await copy.abort(error);
    throw error;
  }
  await copy.end();
  writer.recycle();
}

/** Inserts framing rows (framingJson) of one partition. */
export function insertFraming(sql: Db, topicKey: number, partition: number, rows: ReturnType<typeof framingJson>[]) {
  return sql`
    INSERT INTO tansu.batches (topic_key, partition, base_offset, last_offset, record_count, attributes,
        partition_leader_epoch, base_timestamp, encoded_max_timestamp, max_timestamp, producer_id, producer_epoch,
        base_sequence, size_bytes, control_records)
    SELECT ${topicKey}, ${partition}, b.* FROM jsonb_to_recordset(${sql.json(rows)}) AS b(
      base_offset bigint, last_offset bigint, record_count integer, attributes smallint, partition_leader_epoch integer,
      base_timestamp bigint, encoded_max_timestamp bigint, max_timestamp bigint, producer_id bigint,
      producer_epoch smallint, base_sequence integer, size_bytes integer, control_records text)`;
}

/** A tansu.batches row for jsonb_to_recordset; 64-bit values as strings. */
export function framingJson(prepared: PreparedBatch, baseOffset: bigint) {
  const f = prepared.framing;
  return {
    base_offset: String(baseOffset),
    last_offset: String(baseOffset + BigInt(f.lastOffsetDelta)),
    record_count: f.recordCount,
    attributes: f.attributes,
    partition_leader_epoch: f.partitionLeaderEpoch,
    base_timestamp: String(f.baseTimestamp),
    encoded_max_timestamp: String(f.encodedMaxTimestamp),
    max_timestamp: String(f.maxTimestamp),
    producer_id: String(f.producerId),
    producer_epoch: f.producerEpoch,
    base_sequence: f.baseSequence,
    size_bytes: f.sizeBytes,
    control_records: f.controlRecords,
  };
}
