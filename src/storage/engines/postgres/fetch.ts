// A fetch is two reads: one statement picks the batches (their framing rows, within the size
// budget, below the high watermark or the last stable offset) together with the partition's
// offsets and the aborted transactions the range overlaps; then one binary COPY of a SELECT
// reads their record rows, and the batches are rebuilt from both.
//
// The two statements see two snapshots. Offsets below the high watermark the first one read
// only change by compaction (replaceBatch) or DeleteRecords; a batch whose rows no longer
// match its framing's record count was rewritten in between, and the fetch is read again.

import { StorageUnavailableError, UnknownTopicError } from "../../errors.ts";
import { checkFetchOffset } from "../../log-rules.ts";
import type { AbortedTransaction, FetchOptions, FetchResult, PartitionOffsets, TopicPartition } from "../../storage.ts";
import { parseHeaders, rebuildBatch, type Framing, type StoredRecord } from "./batch-rows.ts";
import { CopyTupleReader } from "./copy-binary.ts";
import { copyOut } from "./copy-streams.ts";
import type { Db } from "./client.ts";

/** Batches one fetch hands out at most, however small they are. */
const MAX_BATCHES = 2000;
/** Reads of a fetch that kept meeting concurrent rewrites before it gives up. */
const ATTEMPTS = 3;

interface FramingRow {
  topic_key: number;
  log_start_offset: bigint;
  high_watermark: bigint;
  open_txn: bigint | null;
  aborted: Array<{ producerId: string; firstOffset: string }> | null;
  base_offset: bigint | null;
  last_offset: bigint;
  record_count: number;
  attributes: number;
  partition_leader_epoch: number;
  base_timestamp: bigint;
  encoded_max_timestamp: bigint;
  max_timestamp: bigint;
  producer_id: bigint;
  producer_epoch: number;
  base_sequence: number;
  size_bytes: number;
  control_records: string | null;
}

/** The offsets of a partition in one statement: its row and the oldest open transaction. */
export const PARTITION_OFFSETS = `
  SELECT p.topic_key, p.log_start_offset, p.high_watermark,
         (SELECT min(pr.txn_first_offset) FROM tansu.producers pr
          WHERE pr.topic_key = p.topic_key AND pr.partition = p.partition AND pr.txn_first_offset IS NOT NULL) AS open_txn
  FROM tansu.partitions p JOIN tansu.topics t ON t.topic_key = p.topic_key
  WHERE t.name = $1 AND p.partition = $2`;

export function offsetsOf(row: { log_start_offset: bigint; high_watermark: bigint; open_txn: bigint | null }): PartitionOffsets {
  return {
    logStartOffset: row.log_start_offset,
    highWatermark: row.high_watermark,
    lastStableOffset: row.open_txn ?? row.high_watermark,
  };
}

export async function fetchBatches(sql: Db, tp: TopicPartition, options: FetchOptions): Promise<FetchResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await fetchOnce(sql, tp, options);
    if (result !== null) return result;
    if (attempt === ATTEMPTS) {
      throw new StorageUnavailableError(`fetch ${tp.topic}-${tp.partition}: batches kept being rewritten while read`);
    }
  }
}

/** One read; null when a batch was rewritten between the two statements. */
async function fetchOnce(sql: Db, tp: TopicPartition, options: FetchOptions): Promise<FetchResult | null> {
  const committed = options.isolation === "read_committed";
  const rows = await sql.unsafe<FramingRow[]>(
    `WITH part AS (${PARTITION_OFFSETS}),
     candidates AS (
       SELECT b.* FROM part, LATERAL (
         SELECT b.base_offset, b.last_offset, b.record_count, b.attributes, b.partition_leader_epoch, b.base_timestamp,
                b.encoded_max_timestamp, b.max_timestamp, b.producer_id, b.producer_epoch, b.base_sequence, b.size_bytes,
                b.control_records
         FROM tansu.batches b
         WHERE b.topic_key = part.topic_key AND b.partition = $2
           AND b.base_offset >= coalesce((SELECT max(c.base_offset) FROM tansu.batches c
                                          WHERE c.topic_key = part.topic_key AND c.partition = $2 AND c.base_offset <= $3), $3)
           AND b.last_offset >= $3
           AND b.base_offset < CASE WHEN $5 THEN coalesce(part.open_txn, part.high_watermark) ELSE part.high_watermark END
           AND $3 BETWEEN part.log_start_offset AND part.high_watermark
         ORDER BY b.base_offset
         LIMIT ${MAX_BATCHES}) b
     ),
     chosen AS (
       SELECT * FROM (SELECT c.*, sum(c.size_bytes) OVER (ORDER BY c.base_offset) AS running FROM candidates c) w
       WHERE w.running <= $4 OR w.running = w.size_bytes
     )
     SELECT part.topic_key, part.log_start_offset, part.high_watermark, part.open_txn,
            (SELECT json_agg(json_build_object('producerId', a.producer_id::text, 'firstOffset', a.first_offset::text)
                             ORDER BY a.last_offset)
             FROM tansu.aborted_transactions a
             WHERE $5 AND a.topic_key = part.topic_key AND a.partition = $2 AND a.last_offset >= $3
               AND a.first_offset <= (SELECT max(last_offset) FROM chosen)) AS aborted,
            chosen.*
     FROM part LEFT JOIN chosen ON true
     ORDER BY chosen.base_offset`,
    [tp.topic, tp.partition, options.fetchOffset, Math.min(options.maxBytes, 2 ** 31 - 1), committed],
    { prepare: true },
  );
  if (rows.length === 0) throw new UnknownTopicError(`unknown topic or partition ${tp.topic}-${tp.partition}`);
  const offsets = offsetsOf(rows[0]);
  checkFetchOffset(options.fetchOffset, offsets);
  const chosen = rows.filter((row) => row.base_offset !== null);
  const abortedTransactions: AbortedTransaction[] = (rows[0].aborted ?? []).map((a) => ({
    producerId: BigInt(a.producerId),
    firstOffset: BigInt(a.firstOffset),
  }));
  if (chosen.length === 0) return { ...offsets, batches: [], abortedTransactions };

  const data = chosen.filter((row) => row.control_records === null && row.record_count > 0);
  const records = data.length === 0 ? [] : await readRecords(sql, rows[0].topic_key, tp.partition, data[0].base_offset!, data.at(-1)!.last_offset);
  const batches: Uint8Array[] = [];
  let next = 0;
  for (const row of chosen) {
    const start = next;
    while (next < records.length && records[next].offset <= row.last_offset) next++;
    const own = records.slice(start, next);
    if (row.control_records === null && own.length !== row.record_count) return null;
    batches.push(rebuildBatch(framingOf(row), row.base_offset!, own));
  }
  return { ...offsets, batches, abortedTransactions };
}

/** Record rows of offsets from..to, in offset order. The numbers are ours, so they are spelled into the COPY. */
async function readRecords(sql: Db, topicKey: number, partition: number, from: bigint, to: bigint): Promise<StoredRecord[]> {
  const data = await copyOut(
    sql,
    `COPY (SELECT offset_id, timestamp_ms, key, value, headers FROM tansu.batch_records
           WHERE topic_key = ${topicKey} AND partition = ${partition} AND offset_id BETWEEN ${from} AND ${to}
           ORDER BY offset_id) TO STDOUT (FORMAT binary)`,
  );
  const reader = new CopyTupleReader(data);
  const records: StoredRecord[] = [];
  while (reader.next()) {
    records.push({
      offset: reader.int64(),
      timestampMs: reader.int64(),
      key: reader.bytesOrNull(),
      value: reader.bytesOrNull(),
      headers: parseHeaders(reader.jsonbOrNull()),
    });
  }
  return records;
}

function framingOf(row: Omit<FramingRow, "topic_key" | "log_start_offset" | "high_watermark" | "open_txn" | "aborted">): Framing {
  return {
    lastOffsetDelta: Number(row.last_offset - row.base_offset!),
    recordCount: row.record_count,
    attributes: row.attributes,
    partitionLeaderEpoch: row.partition_leader_epoch,
    baseTimestamp: row.base_timestamp,
    encodedMaxTimestamp: row.encoded_max_timestamp,
    maxTimestamp: row.max_timestamp,
    producerId: row.producer_id,
    producerEpoch: row.producer_epoch,
    baseSequence: row.base_sequence,
    sizeBytes: row.size_bytes,
    controlRecords: row.control_records,
  };
}
