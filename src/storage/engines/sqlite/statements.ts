// Every statement the SQLite engine runs, each prepared once per connection on its first use:
// preparing all of them when the store opens costs a broker's start-up time and memory for
// statements most brokers never run. The database is opened with safeIntegers, so every
// INTEGER column reads back as a bigint.

import type { Database } from "bun:sqlite";

export interface TopicRow {
  topicKey: bigint;
  id: string;
  name: string;
  partitions: bigint;
  configs: string;
}

export interface PartitionRow {
  topicKey: bigint;
  logStartOffset: bigint;
  highWatermark: bigint;
}

export interface PartitionOffsetsRow extends PartitionRow {
  /** First offset of the oldest open transaction, null when none is open. */
  openTxnOffset: bigint | null;
}

export interface ProducerRow {
  epoch: bigint;
  batches: string;
  txnFirstOffset: bigint | null;
}

export interface BatchRow {
  lastOffset: bigint;
  bytes: Uint8Array;
}

export interface SummaryRow {
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  sizeBytes: bigint;
}

export interface TimestampRow {
  baseOffset: bigint;
  maxTimestamp: bigint;
}

export interface AbortedRow {
  producerId: bigint;
  firstOffset: bigint;
}

export interface CommittedOffsetRow {
  topic: string;
  partition: bigint;
  offset: bigint;
  leaderEpoch: bigint;
  metadata: string | null;
  commitTimestamp: bigint;
}

export interface RecordRow {
  key: string;
  value: string;
  version: bigint;
}

type TP = [topicKey: bigint, partition: number];

const TOPIC_COLUMNS = "topic_key AS topicKey, id, name, partitions, configs";
const OFFSET_COLUMNS = `topic, partition_index AS partition, committed_offset AS offset, leader_epoch AS leaderEpoch,
  metadata, commit_timestamp AS commitTimestamp`;

/** An object whose every property is its factory's value, made on the property's first read. */
function onFirstUse<T extends Record<string, () => unknown>>(factories: T): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const values = {} as { [K in keyof T]: ReturnType<T[K]> };
  for (const [name, make] of Object.entries(factories)) {
    Object.defineProperty(values, name, {
      configurable: true,
      enumerable: true,
      get() {
        const value = make();
        Object.defineProperty(values, name, { value, enumerable: true });
        return value;
      },
    });
  }
  return values;
}

export function prepareStatements(db: Database) {
  return onFirstUse({
    beginRead: () => db.prepare("BEGIN DEFERRED"),
    beginWrite: () => db.prepare("BEGIN IMMEDIATE"),
    commit: () => db.prepare("COMMIT"),
    rollback: () => db.prepare("ROLLBACK"),

    // --- topics
    topicByName: () => db.prepare<TopicRow, [string]>(`SELECT ${TOPIC_COLUMNS} FROM topics WHERE name = ?`),
    topicById: () => db.prepare<TopicRow, [string]>(`SELECT ${TOPIC_COLUMNS} FROM topics WHERE id = ?`),
    listTopics: () => db.prepare<TopicRow, []>(`SELECT ${TOPIC_COLUMNS} FROM topics ORDER BY name`),
    insertTopic: () => db.prepare<{ topicKey: bigint }, [id: string, name: string, partitions: number, configs: string]>(
      "INSERT INTO topics (id, name, partitions, configs) VALUES (?, ?, ?, ?) RETURNING topic_key AS topicKey",
    ),
    setPartitionCount: () => db.prepare<never, [partitions: number, topicKey: bigint]>(
      "UPDATE topics SET partitions = ? WHERE topic_key = ?",
    ),
    setConfigs: () => db.prepare<never, [configs: string, topicKey: bigint]>("UPDATE topics SET configs = ? WHERE topic_key = ?"),
    insertPartition: () => db.prepare<never, TP>("INSERT INTO partitions (topic_key, partition_index) VALUES (?, ?)"),
    deleteTopicBatches: () => db.prepare<never, [bigint]>("DELETE FROM batches WHERE topic_key = ?"),
    deleteTopicPartitions: () => db.prepare<never, [bigint]>("DELETE FROM partitions WHERE topic_key = ?"),
    deleteTopicProducers: () => db.prepare<never, [bigint]>("DELETE FROM producers WHERE topic_key = ?"),
    deleteTopicAborted: () => db.prepare<never, [bigint]>("DELETE FROM aborted_transactions WHERE topic_key = ?"),
    deleteTopicOffsets: () => db.prepare<never, [topic: string]>("DELETE FROM consumer_offsets WHERE topic = ?"),
    deleteTopic: () => db.prepare<never, [bigint]>("DELETE FROM topics WHERE topic_key = ?"),

    // --- partitions
    partition: () => db.prepare<PartitionRow, [topic: string, partition: number]>(
      `SELECT p.topic_key AS topicKey, p.log_start_offset AS logStartOffset, p.high_watermark AS highWatermark
       FROM topics t JOIN partitions p ON p.topic_key = t.topic_key
       WHERE t.name = ? AND p.partition_index = ?`,
    ),
    partitionOffsets: () => db.prepare<PartitionOffsetsRow, [topic: string, partition: number]>(
      `SELECT p.topic_key AS topicKey, p.log_start_offset AS logStartOffset, p.high_watermark AS highWatermark,
         (SELECT MIN(pr.txn_first_offset) FROM producers pr
          WHERE pr.topic_key = p.topic_key AND pr.partition_index = p.partition_index
            AND pr.txn_first_offset IS NOT NULL) AS openTxnOffset
       FROM topics t JOIN partitions p ON p.topic_key = t.topic_key
       WHERE t.name = ? AND p.partition_index = ?`,
    ),
    setHighWatermark: () => db.prepare<never, [highWatermark: bigint, ...TP]>(
      "UPDATE partitions SET high_watermark = ? WHERE topic_key = ? AND partition_index = ?",
    ),
    setLogStart: () => db.prepare<never, [logStartOffset: bigint, ...TP]>(
      "UPDATE partitions SET log_start_offset = ? WHERE topic_key = ? AND partition_index = ?",
    ),

    // --- batches
    insertBatch: () => db.prepare<
      never,
      [...TP, baseOffset: bigint, lastOffset: bigint, maxTimestamp: bigint, size: number, bytes: Uint8Array]
    >(
      `INSERT INTO batches (topic_key, partition_index, base_offset, last_offset, max_timestamp, size, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    /** The one range read of a fetch: from the batch holding the offset, below a limit. */
    batchesFrom: () => db.prepare<BatchRow, [...TP, fromOffset: bigint, belowOffset: bigint]>(
      `SELECT last_offset AS lastOffset, bytes FROM batches
       WHERE topic_key = ? AND partition_index = ? AND last_offset >= ? AND base_offset < ?
       ORDER BY last_offset`,
    ),
    summaries: () => db.prepare<SummaryRow, TP>(
      `SELECT base_offset AS baseOffset, last_offset AS lastOffset, max_timestamp AS maxTimestamp, size AS sizeBytes
       FROM batches WHERE topic_key = ? AND partition_index = ? ORDER BY last_offset`,
    ),
    firstAtTimestamp: () => db.prepare<TimestampRow, [...TP, timestamp: bigint]>(
      `SELECT base_offset AS baseOffset, max_timestamp AS maxTimestamp FROM batches
       WHERE topic_key = ? AND partition_index = ? AND max_timestamp >= ?
       ORDER BY last_offset LIMIT 1`,
    ),
    maxTimestamp: () => db.prepare<TimestampRow, TP>(
      `SELECT base_offset AS baseOffset, max_timestamp AS maxTimestamp FROM batches
       WHERE topic_key = ? AND partition_index = ?
       ORDER BY max_timestamp DESC, last_offset LIMIT 1`,
    ),
    deleteBatchesBelow: () => db.prepare<never, [...TP, logStart: bigint]>(
      "DELETE FROM batches WHERE topic_key = ? AND partition_index = ? AND last_offset < ?",
    ),
    replaceBatch: () => db.prepare<never, [bytes: Uint8Array, size: number, ...TP, baseOffset: bigint]>(
      "UPDATE batches SET bytes = ?, size = ? WHERE topic_key = ? AND partition_index = ? AND base_offset = ?",
    ),
    deleteBatch: () => db.prepare<never, [...TP, baseOffset: bigint]>(
      "DELETE FROM batches WHERE topic_key = ? AND partition_index = ? AND base_offset = ?",
    ),

    // --- producers and transactions
    producer: () => db.prepare<ProducerRow, [...TP, producerId: bigint]>(
      `SELECT epoch, batches, txn_first_offset AS txnFirstOffset FROM producers
       WHERE topic_key = ? AND partition_index = ? AND producer_id = ?`,
    ),
    putProducer: () => db.prepare<
      never,
      [...TP, producerId: bigint, epoch: number, batches: string, txnFirstOffset: bigint | null]
    >(
      `INSERT INTO producers (topic_key, partition_index, producer_id, epoch, batches, txn_first_offset)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET epoch = excluded.epoch, batches = excluded.batches,
         txn_first_offset = excluded.txn_first_offset`,
    ),
    insertAborted: () => db.prepare<never, [...TP, lastOffset: bigint, producerId: bigint, firstOffset: bigint]>(
      `INSERT INTO aborted_transactions (topic_key, partition_index, last_offset, producer_id, first_offset)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    abortedOverlapping: () => db.prepare<AbortedRow, [...TP, fromOffset: bigint, toOffset: bigint]>(
      `SELECT producer_id AS producerId, first_offset AS firstOffset FROM aborted_transactions
       WHERE topic_key = ? AND partition_index = ? AND last_offset >= ? AND first_offset <= ?
       ORDER BY last_offset`,
    ),
    deleteAbortedBelow: () => db.prepare<never, [...TP, logStart: bigint]>(
      "DELETE FROM aborted_transactions WHERE topic_key = ? AND partition_index = ? AND last_offset < ?",
    ),

    // --- consumer offsets
    putOffset: () => db.prepare<
      never,
      [
        group: string,
        topic: string,
        partition: number,
        offset: bigint,
        leaderEpoch: number,
        metadata: string | null,
        commitTimestamp: bigint,
      ]
    >(
      `INSERT INTO consumer_offsets
         (group_id, topic, partition_index, committed_offset, leader_epoch, metadata, commit_timestamp)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET committed_offset = excluded.committed_offset, leader_epoch = excluded.leader_epoch,
         metadata = excluded.metadata, commit_timestamp = excluded.commit_timestamp`,
    ),
    groupOffsets: () => db.prepare<CommittedOffsetRow, [group: string]>(
      `SELECT ${OFFSET_COLUMNS} FROM consumer_offsets WHERE group_id = ? ORDER BY topic, partition_index`,
    ),
    offset: () => db.prepare<CommittedOffsetRow, [group: string, topic: string, partition: number]>(
      `SELECT ${OFFSET_COLUMNS} FROM consumer_offsets WHERE group_id = ? AND topic = ? AND partition_index = ?`,
    ),
    deleteOffset: () => db.prepare<never, [group: string, topic: string, partition: number]>(
      "DELETE FROM consumer_offsets WHERE group_id = ? AND topic = ? AND partition_index = ?",
    ),

    // --- compare-and-set records
    record: () => db.prepare<RecordRow, [namespace: string, key: string]>(
      "SELECT key, value, version FROM records WHERE namespace = ? AND key = ?",
    ),
    listRecords: () => db.prepare<RecordRow, [namespace: string]>(
      "SELECT key, value, version FROM records WHERE namespace = ? ORDER BY key",
    ),
    putRecord: () => db.prepare<never, [namespace: string, key: string, value: string, version: bigint]>(
      `INSERT INTO records (namespace, key, value, version) VALUES (?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET value = excluded.value, version = excluded.version`,
    ),
    deleteRecord: () => db.prepare<never, [namespace: string, key: string]>(
      "DELETE FROM records WHERE namespace = ? AND key = ?",
    ),

    // --- counters: one UPDATE is atomic across connections, no explicit transaction needed
    nextValue: () => db.prepare<{ value: bigint }, [name: string]>(
      "UPDATE counters SET next_value = next_value + 1 WHERE name = ? RETURNING next_value - 1 AS value",
    ),
  });
}

export type Statements = ReturnType<typeof prepareStatements>;
