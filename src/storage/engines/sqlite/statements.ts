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

/**
 * Every statement as a property, prepared on its first read: the class defines one getter per statement, so
 * opening a store prepares nothing and builds nothing per statement (docs/BENCHMARKS.md, Startup). The first
 * read keeps the statement as an own property, which shadows the getter from then on.
 */
export class Statements {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  #keep<T>(name: string, statement: T): T {
    Object.defineProperty(this, name, { value: statement, enumerable: true });
    return statement;
  }

  get beginRead() {
    return this.#keep("beginRead", this.#db.prepare("BEGIN DEFERRED"));
  }

  get beginWrite() {
    return this.#keep("beginWrite", this.#db.prepare("BEGIN IMMEDIATE"));
  }

  get commit() {
    return this.#keep("commit", this.#db.prepare("COMMIT"));
  }

  get rollback() {
    return this.#keep("rollback", this.#db.prepare("ROLLBACK"));
  }

  // --- topics
  get topicByName() {
    return this.#keep("topicByName", this.#db.prepare<TopicRow, [string]>(`SELECT ${TOPIC_COLUMNS} FROM topics WHERE name = ?`));
  }

  get topicById() {
    return this.#keep("topicById", this.#db.prepare<TopicRow, [string]>(`SELECT ${TOPIC_COLUMNS} FROM topics WHERE id = ?`));
  }

  get listTopics() {
    return this.#keep("listTopics", this.#db.prepare<TopicRow, []>(`SELECT ${TOPIC_COLUMNS} FROM topics ORDER BY name`));
  }

  get insertTopic() {
    return this.#keep("insertTopic", this.#db.prepare<{ topicKey: bigint }, [id: string, name: string, partitions: number, configs: string]>(
      "INSERT INTO topics (id, name, partitions, configs) VALUES (?, ?, ?, ?) RETURNING topic_key AS topicKey",
    ));
  }

  get setPartitionCount() {
    return this.#keep("setPartitionCount", this.#db.prepare<never, [partitions: number, topicKey: bigint]>(
      "UPDATE topics SET partitions = ? WHERE topic_key = ?",
    ));
  }

  get setConfigs() {
    return this.#keep("setConfigs", this.#db.prepare<never, [configs: string, topicKey: bigint]>("UPDATE topics SET configs = ? WHERE topic_key = ?"));
  }

  get insertPartition() {
    return this.#keep("insertPartition", this.#db.prepare<never, TP>("INSERT INTO partitions (topic_key, partition_index) VALUES (?, ?)"));
  }

  get deleteTopicBatches() {
    return this.#keep("deleteTopicBatches", this.#db.prepare<never, [bigint]>("DELETE FROM batches WHERE topic_key = ?"));
  }

  get deleteTopicPartitions() {
    return this.#keep("deleteTopicPartitions", this.#db.prepare<never, [bigint]>("DELETE FROM partitions WHERE topic_key = ?"));
  }

  get deleteTopicProducers() {
    return this.#keep("deleteTopicProducers", this.#db.prepare<never, [bigint]>("DELETE FROM producers WHERE topic_key = ?"));
  }

  get deleteTopicAborted() {
    return this.#keep("deleteTopicAborted", this.#db.prepare<never, [bigint]>("DELETE FROM aborted_transactions WHERE topic_key = ?"));
  }

  get deleteTopicOffsets() {
    return this.#keep("deleteTopicOffsets", this.#db.prepare<never, [topic: string]>("DELETE FROM consumer_offsets WHERE topic = ?"));
  }

  get deleteTopic() {
    return this.#keep("deleteTopic", this.#db.prepare<never, [bigint]>("DELETE FROM topics WHERE topic_key = ?"));
  }

  // --- partitions
  get partition() {
    return this.#keep("partition", this.#db.prepare<PartitionRow, [topic: string, partition: number]>(
      `SELECT p.topic_key AS topicKey, p.log_start_offset AS logStartOffset, p.high_watermark AS highWatermark
       FROM topics t JOIN partitions p ON p.topic_key = t.topic_key
       WHERE t.name = ? AND p.partition_index = ?`,
    ));
  }

  get partitionOffsets() {
    return this.#keep("partitionOffsets", this.#db.prepare<PartitionOffsetsRow, [topic: string, partition: number]>(
      `SELECT p.topic_key AS topicKey, p.log_start_offset AS logStartOffset, p.high_watermark AS highWatermark,
         (SELECT MIN(pr.txn_first_offset) FROM producers pr
          WHERE pr.topic_key = p.topic_key AND pr.partition_index = p.partition_index
            AND pr.txn_first_offset IS NOT NULL) AS openTxnOffset
       FROM topics t JOIN partitions p ON p.topic_key = t.topic_key
       WHERE t.name = ? AND p.partition_index = ?`,
    ));
  }

  get setHighWatermark() {
    return this.#keep("setHighWatermark", this.#db.prepare<never, [highWatermark: bigint, ...TP]>(
      "UPDATE partitions SET high_watermark = ? WHERE topic_key = ? AND partition_index = ?",
    ));
  }

  get setLogStart() {
    return this.#keep("setLogStart", this.#db.prepare<never, [logStartOffset: bigint, ...TP]>(
      "UPDATE partitions SET log_start_offset = ? WHERE topic_key = ? AND partition_index = ?",
    ));
  }

  // --- batches
  get insertBatch() {
    return this.#keep("insertBatch", this.#db.prepare<
      never,
      [...TP, baseOffset: bigint, lastOffset: bigint, maxTimestamp: bigint, size: number, bytes: Uint8Array]
    >(
      `INSERT INTO batches (topic_key, partition_index, base_offset, last_offset, max_timestamp, size, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ));
  }

  /** The one range read of a fetch: from the batch holding the offset, below a limit. */
  get batchesFrom() {
    return this.#keep("batchesFrom", this.#db.prepare<BatchRow, [...TP, fromOffset: bigint, belowOffset: bigint]>(
      `SELECT last_offset AS lastOffset, bytes FROM batches
       WHERE topic_key = ? AND partition_index = ? AND last_offset >= ? AND base_offset < ?
       ORDER BY last_offset`,
    ));
  }

  get summaries() {
    return this.#keep("summaries", this.#db.prepare<SummaryRow, TP>(
      `SELECT base_offset AS baseOffset, last_offset AS lastOffset, max_timestamp AS maxTimestamp, size AS sizeBytes
       FROM batches WHERE topic_key = ? AND partition_index = ? ORDER BY last_offset`,
    ));
  }

  get firstAtTimestamp() {
    return this.#keep("firstAtTimestamp", this.#db.prepare<TimestampRow, [...TP, timestamp: bigint]>(
      `SELECT base_offset AS baseOffset, max_timestamp AS maxTimestamp FROM batches
       WHERE topic_key = ? AND partition_index = ? AND max_timestamp >= ?
       ORDER BY last_offset LIMIT 1`,
    ));
  }

  get maxTimestamp() {
    return this.#keep("maxTimestamp", this.#db.prepare<TimestampRow, TP>(
      `SELECT base_offset AS baseOffset, max_timestamp AS maxTimestamp FROM batches
       WHERE topic_key = ? AND partition_index = ?
       ORDER BY max_timestamp DESC, last_offset LIMIT 1`,
    ));
  }

  get deleteBatchesBelow() {
    return this.#keep("deleteBatchesBelow", this.#db.prepare<never, [...TP, logStart: bigint]>(
      "DELETE FROM batches WHERE topic_key = ? AND partition_index = ? AND last_offset < ?",
    ));
  }

  get replaceBatch() {
    return this.#keep("replaceBatch", this.#db.prepare<never, [bytes: Uint8Array, size: number, ...TP, baseOffset: bigint]>(
      "UPDATE batches SET bytes = ?, size = ? WHERE topic_key = ? AND partition_index = ? AND base_offset = ?",
    ));
  }

  get deleteBatch() {
    return this.#keep("deleteBatch", this.#db.prepare<never, [...TP, baseOffset: bigint]>(
      "DELETE FROM batches WHERE topic_key = ? AND partition_index = ? AND base_offset = ?",
    ));
  }

  // --- producers and transactions
  get producer() {
    return this.#keep("producer", this.#db.prepare<ProducerRow, [...TP, producerId: bigint]>(
      `SELECT epoch, batches, txn_first_offset AS txnFirstOffset FROM producers
       WHERE topic_key = ? AND partition_index = ? AND producer_id = ?`,
    ));
  }

  get putProducer() {
    return this.#keep("putProducer", this.#db.prepare<
      never,
      [...TP, producerId: bigint, epoch: number, batches: string, txnFirstOffset: bigint | null]
    >(
      `INSERT INTO producers (topic_key, partition_index, producer_id, epoch, batches, txn_first_offset)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET epoch = excluded.epoch, batches = excluded.batches,
         txn_first_offset = excluded.txn_first_offset`,
    ));
  }

  get insertAborted() {
    return this.#keep("insertAborted", this.#db.prepare<never, [...TP, lastOffset: bigint, producerId: bigint, firstOffset: bigint]>(
      `INSERT INTO aborted_transactions (topic_key, partition_index, last_offset, producer_id, first_offset)
       VALUES (?, ?, ?, ?, ?)`,
    ));
  }

  get abortedOverlapping() {
    return this.#keep("abortedOverlapping", this.#db.prepare<AbortedRow, [...TP, fromOffset: bigint, toOffset: bigint]>(
      `SELECT producer_id AS producerId, first_offset AS firstOffset FROM aborted_transactions
       WHERE topic_key = ? AND partition_index = ? AND last_offset >= ? AND first_offset <= ?
       ORDER BY last_offset`,
    ));
  }

  get deleteAbortedBelow() {
    return this.#keep("deleteAbortedBelow", this.#db.prepare<never, [...TP, logStart: bigint]>(
      "DELETE FROM aborted_transactions WHERE topic_key = ? AND partition_index = ? AND last_offset < ?",
    ));
  }

  // --- consumer offsets
  get putOffset() {
    return this.#keep("putOffset", this.#db.prepare<
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
    ));
  }

  get groupOffsets() {
    return this.#keep("groupOffsets", this.#db.prepare<CommittedOffsetRow, [group: string]>(
      `SELECT ${OFFSET_COLUMNS} FROM consumer_offsets WHERE group_id = ? ORDER BY topic, partition_index`,
    ));
  }

  get offset() {
    return this.#keep("offset", this.#db.prepare<CommittedOffsetRow, [group: string, topic: string, partition: number]>(
      `SELECT ${OFFSET_COLUMNS} FROM consumer_offsets WHERE group_id = ? AND topic = ? AND partition_index = ?`,
    ));
  }

  get deleteOffset() {
    return this.#keep("deleteOffset", this.#db.prepare<never, [group: string, topic: string, partition: number]>(
      "DELETE FROM consumer_offsets WHERE group_id = ? AND topic = ? AND partition_index = ?",
    ));
  }

  // --- compare-and-set records
  get record() {
    return this.#keep("record", this.#db.prepare<RecordRow, [namespace: string, key: string]>(
      "SELECT key, value, version FROM records WHERE namespace = ? AND key = ?",
    ));
  }

  get listRecords() {
    return this.#keep("listRecords", this.#db.prepare<RecordRow, [namespace: string]>(
      "SELECT key, value, version FROM records WHERE namespace = ? ORDER BY key",
    ));
  }

  get putRecord() {
    return this.#keep("putRecord", this.#db.prepare<never, [namespace: string, key: string, value: string, version: bigint]>(
      `INSERT INTO records (namespace, key, value, version) VALUES (?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET value = excluded.value, version = excluded.version`,
    ));
  }

  get deleteRecord() {
    return this.#keep("deleteRecord", this.#db.prepare<never, [namespace: string, key: string]>(
      "DELETE FROM records WHERE namespace = ? AND key = ?",
    ));
  }

  // --- counters: one UPDATE is atomic across connections, no explicit transaction needed
  get nextValue() {
    return this.#keep("nextValue", this.#db.prepare<{ value: bigint }, [name: string]>(
      "UPDATE counters SET next_value = next_value + 1 WHERE name = ? RETURNING next_value - 1 AS value",
    ));
  }
}

