// The one contract every storage engine implements. Brokers are stateless: everything a
// broker needs to answer a request lives behind this interface, and anything a broker
// keeps in memory must be revalidated against it. Several broker processes may share one
// store, so every mutation here is atomic in the store itself (a SQL transaction, or a
// conditional PUT on an object store), never guarded by a broker-local lock alone.

export type Uuid = string; // canonical 8-4-4-4-12 lower-case hex

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface Topic {
  name: string;
  id: Uuid;
  partitions: number;
  /** Only the configs explicitly set on the topic; defaults are the broker's concern. */
  configs: Record<string, string>;
}

export interface NewTopic {
  name: string;
  partitions: number;
  configs: Record<string, string>;
  /** Assigned by the store when absent. */
  id?: Uuid;
}

/** One v2 record batch to append. The store assigns baseOffset atomically. */
export interface AppendBatch {
  /** The whole batch, baseOffset field included; the store overwrites bytes 0..8. */
  bytes: Uint8Array;
  /** lastOffsetDelta + 1: how many offsets the batch occupies. */
  offsetCount: number;
  /** Largest timestamp in the batch, used by ListOffsets by time and retention. */
  maxTimestamp: bigint;
  /** -1n when the producer is not idempotent. */
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  transactional: boolean;
  /** Set for COMMIT/ABORT marker batches written by EndTxn. */
  control: "commit" | "abort" | null;
}

export interface AppendResult {
  baseOffset: bigint;
  logStartOffset: bigint;
  /** True when (producerId, epoch, sequence) matched an already written batch; nothing was written. */
  duplicate: boolean;
}

export interface PartitionOffsets {
  logStartOffset: bigint;
  /** Offset of the next record to be written. */
  highWatermark: bigint;
  /** First offset of the oldest open transaction, or the high watermark when none is open. */
  lastStableOffset: bigint;
}

export interface FetchOptions {
  fetchOffset: bigint;
  /** Stop adding batches once this many bytes are collected; the first batch is always returned whole. */
  maxBytes: number;
  isolation: "read_uncommitted" | "read_committed";
  /**
   * The id of the topic the caller looked up: an engine that finds the name now leading to a
   * topic with another id (deleted and created again since) throws UnknownTopicError instead
   * of reading the new topic's log. Engines whose lookups are never reused may ignore it.
   */
  topicId?: Uuid;
}

export interface TopicLookup {
  /**
   * The caller reads the topic's partitions next, passing its id (FetchOptions.topicId), which
   * notices a deleted or re-created topic. So an engine whose every read is billed may answer
   * from its last read of the topic list when that is recent enough; a name or id it does not find
   * there, or a copy with fewer than `partitions`, is read afresh. What such an answer may miss is
   * a change of the topic's configs through another broker.
   */
  reuse?: boolean;
  /** With `reuse`: the caller wants partitions below this, so a copy with fewer (partitions added through another broker) will not do. */
  partitions?: number;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export interface FetchResult extends PartitionOffsets {
  /** Complete batches, the first one containing fetchOffset (it may start before it). */
  batches: Uint8Array[];
  /** Aborted transactions overlapping the returned range (read_committed only). */
  abortedTransactions: AbortedTransaction[];
}

export interface BatchSummary {
  baseOffset: bigint;
  /** baseOffset + offsetCount - 1 */
  lastOffset: bigint;
  maxTimestamp: bigint;
  sizeBytes: number;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: bigint;
}

/** An opaque value stored under compare-and-set; `version` is the store's token (row version, ETag). */
export interface Versioned<T> {
  value: T;
  version: string;
}

/**
 * An engine's preferred intervals, each used where the environment does not say and the broker's
 * default when absent. Engines whose every read is a billed request ask for reads less often.
 */
export interface EngineIntervals {
  /** How often a broker waiting for appends made through other brokers (a fetch long poll) reads the store again (FETCH_POLL_MS). */
  readonly pollIntervalMs?: number;
  /** How often retention and compaction run (LOG_CLEANER_INTERVAL_MS). */
  readonly cleanerIntervalMs?: number;
  /**
   * How long a broker may reuse the client quotas it read (SECURITY_CACHE_MS); absent: pollIntervalMs.
   * Every request consults them.
   */
  readonly quotaCacheMs?: number;
}

export interface Storage {
  /** The engine's URL scheme, for logs. */
  readonly kind: string;
  /** How often the broker's periodic work should read this store, where the engine has a preference. */
  readonly intervals?: EngineIntervals;
  /**
   * True when appends to one partition take effect in the order append() was called, also when
   * a call comes before the previous one has resolved. A broker then hands a connection's next
   * append to a partition over without waiting for the one before, and the store may commit
   * them together; without it, the broker waits.
   */
  readonly appendsInCallOrder?: boolean;

  // --- topics ---------------------------------------------------------------------
  /** @throws TopicExistsError */
  createTopic(topic: NewTopic): Promise<Topic>;
  /** Removes the topic, its records and committed offsets. Null when it did not exist. */
  deleteTopic(by: { name: string } | { id: Uuid }): Promise<Topic | null>;
  getTopic(by: { name: string } | { id: Uuid }, lookup?: TopicLookup): Promise<Topic | null>;
  listTopics(): Promise<Topic[]>;
  /** @throws UnknownTopicError, InvalidPartitionsError when count is not larger */
  createPartitions(name: string, count: number): Promise<Topic>;
  /** Replaces the topic's explicit configs as a whole. @throws UnknownTopicError */
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<Topic>;

  // --- the log --------------------------------------------------------------------
  /**
   * Appends one batch atomically with offset assignment, idempotent-producer sequence
   * checks and transaction bookkeeping.
   * @throws UnknownTopicError, OutOfOrderSequenceError, InvalidProducerEpochError
   */
  append(tp: TopicPartition, batch: AppendBatch): Promise<AppendResult>;
  /** @throws UnknownTopicError, OffsetOutOfRangeError */
  fetch(tp: TopicPartition, options: FetchOptions): Promise<FetchResult>;
  /** @throws UnknownTopicError */
  offsets(tp: TopicPartition): Promise<PartitionOffsets>;
  /** First batch whose maxTimestamp >= timestamp: its base offset and timestamp, or null. */
  offsetForTimestamp(tp: TopicPartition, timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | null>;
  /** The batch holding the largest timestamp (ties: the earliest). Null on an empty log. */
  maxTimestamp(tp: TopicPartition): Promise<{ offset: bigint; timestamp: bigint } | null>;
  /**
   * Moves the log start offset forward to `offset` (never backward, never past the high
   * watermark), dropping batches wholly below it. Returns the new log start offset.
   * @throws UnknownTopicError, OffsetOutOfRangeError
   */
  deleteRecords(tp: TopicPartition, offset: bigint): Promise<bigint>;
  /** Batches in offset order, for retention and compaction. */
  batchSummaries(tp: TopicPartition): Promise<BatchSummary[]>;
  /** Replaces the batch at baseOffset by a rewritten one covering the same offsets, or removes it (null). */
  replaceBatch(tp: TopicPartition, baseOffset: bigint, bytes: Uint8Array | null): Promise<void>;

  // --- consumer offsets -------------------------------------------------------------
  commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void>;
  /** All committed offsets of the group, or only those of `partitions`. */
  fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]>;
  deleteOffsets(group: string, partitions: TopicPartition[]): Promise<void>;

  // --- compare-and-set records: groups, transactions --------------------------------
  /** `namespace` separates kinds of state, e.g. "group" or "txn". */
  getRecord<T>(namespace: string, key: string): Promise<Versioned<T> | null>;
  /**
   * Writes when the current version equals `expected` (null: must not exist).
   * Returns the new version, or null when someone else got there first.
   */
  putRecord<T>(namespace: string, key: string, value: T, expected: string | null): Promise<string | null>;
  /** Deletes when the current version equals `expected`; false when it did not. */
  deleteRecord(namespace: string, key: string, expected: string): Promise<boolean>;
  listRecords<T>(namespace: string): Promise<Array<{ key: string } & Versioned<T>>>;

  // --- producers -----------------------------------------------------------------
  /** A producer id never handed out before by this store. */
  allocateProducerId(): Promise<bigint>;

  // --- change notification (optional) ------------------------------------------------
  /**
   * Calls `onAppend` soon after records are committed to a partition by anyone sharing the
   * store (another broker, or something outside tansu), so that fetch long polls wake
   * without waiting for their next re-read. Best effort: a missed call only delays a poll
   * until that re-read. Returns a function that stops the calls. Engines whose store cannot
   * tell (memory, sqlite, s3) leave it out.
   */
  watchAppends?(onAppend: (tp: TopicPartition) => void): () => void;

  close(): Promise<void>;
}
