// What retention, compaction, DeleteRecords and ListOffsets do to a partition's log: all of it
// on the framing rows, and record rows only where batches go or are rewritten. Writers lock
// the partition's watermark row first, as appends do, so they never interleave with one.

import { OffsetOutOfRangeError, UnknownTopicError } from "../../errors.ts";
import { logStartAfterDelete, visibleOffset } from "../../log-rules.ts";
import { readBatchHeader } from "../../../protocol/record-batch.ts";
import type { BatchSummary, TopicPartition } from "../../storage.ts";
import { COPY_RECORDS, framingJson, insertFraming, sendRows } from "./append.ts";
import { prepareBatch } from "./batch-rows.ts";
import { copyIn } from "./copy-streams.ts";
import type { Db } from "./client.ts";
import { inTransaction } from "./transaction.ts";

interface PartitionRow {
  topic_key: number;
  log_start_offset: bigint;
  high_watermark: bigint;
}

function unknown(tp: TopicPartition): UnknownTopicError {
  return new UnknownTopicError(`unknown topic or partition ${tp.topic}-${tp.partition}`);
}

async function partitionRow(sql: Db, tp: TopicPartition, lock: boolean): Promise<PartitionRow> {
  const [row] = await sql<PartitionRow[]>`
    SELECT p.topic_key, p.log_start_offset, p.high_watermark
    FROM tansu.partitions p JOIN tansu.topics t ON t.topic_key = p.topic_key
    WHERE t.name = ${tp.topic} AND p.partition = ${tp.partition}
    ${lock ? sql`FOR UPDATE OF p` : sql``}`;
  if (!row) throw unknown(tp);
  return row;
}

export async function deleteRecords(sql: Db, tp: TopicPartition, offset: bigint): Promise<bigint> {
  return inTransaction(sql, async (tx) => {
    const log = await partitionRow(tx, tp, true);
    const logStart = logStartAfterDelete(offset, { logStartOffset: log.log_start_offset, highWatermark: log.high_watermark });
    if (logStart === log.log_start_offset) return logStart;
    // A batch straddling the new log start stays whole, its records too, as in every engine;
    // tansu.records hides those below the log start.
    await tx`
      WITH gone AS (
        DELETE FROM tansu.batches
        WHERE topic_key = ${log.topic_key} AND partition = ${tp.partition} AND last_offset < ${logStart}
        RETURNING last_offset),
      records AS (
        DELETE FROM tansu.batch_records
        WHERE topic_key = ${log.topic_key} AND partition = ${tp.partition}
          AND offset_id <= (SELECT max(last_offset) FROM gone)),
      aborted AS (
        DELETE FROM tansu.aborted_transactions
        WHERE topic_key = ${log.topic_key} AND partition = ${tp.partition} AND last_offset < ${logStart})
      UPDATE tansu.partitions SET log_start_offset = ${logStart}
      WHERE topic_key = ${log.topic_key} AND partition = ${tp.partition}`;
    return logStart;
  });
}

export async function replaceBatch(sql: Db, tp: TopicPartition, baseOffset: bigint, bytes: Uint8Array | null): Promise<void> {
  await inTransaction(sql, async (tx) => {
    const log = await partitionRow(tx, tp, true);
    const [old] = await tx<{ last_offset: bigint; max_timestamp: bigint }[]>`
      DELETE FROM tansu.batches
      WHERE topic_key = ${log.topic_key} AND partition = ${tp.partition} AND base_offset = ${baseOffset}
      RETURNING last_offset, max_timestamp`;
    if (!old) throw new OffsetOutOfRangeError(`no batch at offset ${baseOffset} in ${tp.topic}-${tp.partition}`);
    await tx`
      DELETE FROM tansu.batch_records
      WHERE topic_key = ${log.topic_key} AND partition = ${tp.partition} AND offset_id BETWEEN ${baseOffset} AND ${old.last_offset}`;
    if (bytes === null) return;
    // The rewritten batch keeps the offsets and the time retention goes by; the rest is its own.
    const header = readBatchHeader(bytes);
    const prepared = prepareBatch(
      {
        bytes,
        offsetCount: Number(old.last_offset - baseOffset) + 1,
        maxTimestamp: old.max_timestamp,
        producerId: header.producerId,
        producerEpoch: header.producerEpoch,
        baseSequence: header.baseSequence,
        transactional: false,
        control: null,
      },
    );
    if (prepared.records.length > 0) {
      const copy = copyIn(tx, COPY_RECORDS);
      await sendRows(copy, log.topic_key, tp.partition, [{ prepared, baseOffset }]);
      await copy.accepted;
    }
    await insertFraming(tx, log.topic_key, tp.partition, [framingJson(prepared, baseOffset)]);
  });
}

export async function batchSummaries(sql: Db, tp: TopicPartition): Promise<BatchSummary[]> {
  const log = await partitionRow(sql, tp, false);
  const rows = await sql<{ base_offset: bigint; last_offset: bigint; max_timestamp: bigint; size_bytes: number }[]>`
    SELECT base_offset, last_offset, max_timestamp, size_bytes FROM tansu.batches
    WHERE topic_key = ${log.topic_key} AND partition = ${tp.partition}
    ORDER BY base_offset`;
  return rows.map((r) => ({ baseOffset: r.base_offset, lastOffset: r.last_offset, maxTimestamp: r.max_timestamp, sizeBytes: r.size_bytes }));
}

type TimestampLookup = { offset: bigint; timestamp: bigint } | null;

/** First batch whose max timestamp reaches `timestamp` (null: the batch with the largest). */
export async function batchByTimestamp(sql: Db, tp: TopicPartition, timestamp: bigint | null): Promise<TimestampLookup> {
  const [row] = await sql<{ log_start_offset: bigint; base_offset: bigint | null; max_timestamp: bigint | null }[]>`
    SELECT p.log_start_offset, b.base_offset, b.max_timestamp
    FROM tansu.partitions p JOIN tansu.topics t ON t.topic_key = p.topic_key
    LEFT JOIN LATERAL (
      SELECT base_offset, max_timestamp FROM tansu.batches b
      WHERE b.topic_key = p.topic_key AND b.partition = p.partition
        ${timestamp === null ? sql`ORDER BY max_timestamp DESC, base_offset` : sql`AND max_timestamp >= ${timestamp} ORDER BY base_offset`}
      LIMIT 1) b ON true
    WHERE t.name = ${tp.topic} AND p.partition = ${tp.partition}`;
  if (!row) throw unknown(tp);
  if (row.base_offset === null) return null;
  return { offset: visibleOffset(row.base_offset, { logStartOffset: row.log_start_offset }), timestamp: row.max_timestamp! };
}
