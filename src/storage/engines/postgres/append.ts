// One transaction for a group of appends to one partition:
//   1. lock the partition's watermark row and read the group's producers (tansu.lock_partition);
//      while the server works on that, parse the batches into rows,
//   2. decide each append in order: duplicate, refused, or the next offsets,
//   3. COPY the accepted batches' record rows,
//   4. one statement writes their framing, the producers, aborted transactions and the new
//      high watermark, and queues the NOTIFY that wakes long polls on every broker,
//   5. commit, sent together with 4.
// Offsets come from the locked row in the transaction that writes the rows, so appends from
// any number of brokers (and tansu.produce()) get contiguous, distinct offsets, and nothing is
// acknowledged before it is committed.

import { UnknownTopicError } from "../../errors.ts";
import { afterProducerBatch, checkProducerBatch, type ProducerBatch, type ProducerState } from "../../producer-sequence.ts";
import { decodeValue, encodeValue } from "../../record-codec.ts";
import type { AppendBatch, AppendResult, TopicPartition } from "../../storage.ts";
import { prepareBatch, RECORD_COLUMNS, stampRows, type PreparedBatch } from "./batch-rows.ts";
import { COPY_HEADER, COPY_TRAILER } from "./copy-binary.ts";
import { copyIn } from "./copy-streams.ts";
import { APPEND_CHANNEL, partitionKey } from "./functions.ts";
import type { Outcome } from "./group-commit.ts";
import type { Db } from "./client.ts";
import { inPipelinedTransaction } from "./transaction.ts";

interface PendingAppend {
  batch: AppendBatch;
  prepared: PreparedBatch;
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

interface Accepted {
  append: PendingAppend;
  baseOffset: bigint;
}

export const COPY_RECORDS = `COPY tansu.batch_records (${RECORD_COLUMNS}) FROM STDIN (FORMAT binary)`;

/** Appends `batches` to `tp` in one transaction; one outcome per batch, in order. */
export async function commitAppends(sql: Db, tp: TopicPartition, batches: AppendBatch[]): Promise<Outcome<AppendResult>[]> {
  const producerIds = [...new Set(batches.map((b) => b.producerId).filter((id) => id >= 0n))];
  return inPipelinedTransaction(sql, async (tx) => {
    const locking = tx<LockRow[]>`
      SELECT * FROM tansu.lock_partition(${tp.topic}, ${tp.partition}, ${`{${producerIds.join(",")}}`}::bigint[])`.execute();
    const group = batches.map((batch): PendingAppend | { batch: AppendBatch; error: unknown } => {
      try {
        return { batch, prepared: prepareBatch(batch, tp.partition) };
      } catch (error) {
        return { batch, error };
      }
    });
    const locked = await locking;
    if (locked.length === 0) {
      await tx`COMMIT`;
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
      if ("error" in append) return { error: append.error };
      const { batch } = append;
      try {
        const idempotent = batch.producerId >= 0n;
        const state = producers.get(batch.producerId) ?? null;
        const duplicateOf = idempotent ? checkProducerBatch(state, batch) : null;
        if (duplicateOf !== null) return { result: { baseOffset: duplicateOf, logStartOffset, duplicate: true } };
        const baseOffset = highWatermark;
        highWatermark += BigInt(batch.offsetCount);
        accepted.push({ append, baseOffset });
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
    if (accepted.length === 0) {
      await tx`COMMIT`;
      return outcomes;
    }

    const rows = accepted.filter((a) => a.append.prepared.rows.starts.length > 0);
    if (rows.length > 0) {
      for (const { append, baseOffset } of rows) stampRows(append.prepared.rows, topicKey, baseOffset);
      await copyIn(tx, COPY_RECORDS, [COPY_HEADER, ...rows.map((a) => a.append.prepared.rows.tuples), COPY_TRAILER]);
    }
    const framing = accepted.map(({ append: { prepared }, baseOffset }) => framingJson(prepared, baseOffset));
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
    await Promise.all([finished, tx`COMMIT`]);
    return outcomes;
  });
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
