// sqlite:// — one SQLite file shared by any number of broker processes. WAL lets readers
// run beside the single writer; every read-modify-write is a BEGIN IMMEDIATE transaction,
// so offset assignment, sequence checks and compare-and-set are atomic across processes;
// busy_timeout makes a writer wait for the lock instead of failing. Nothing another
// process could change is cached here: each call reads the store.

import { Database, SQLiteError, constants } from "bun:sqlite";
import {
  InvalidPartitionsError,
  OffsetOutOfRangeError,
  StorageError,
  StorageUnavailableError,
  TopicExistsError,
  UnknownTopicError,
} from "../../errors.ts";
import type {
  AppendBatch,
  AppendResult,
  BatchSummary,
  CommittedOffset,
  FetchOptions,
  FetchResult,
  NewTopic,
  PartitionOffsets,
  Storage,
  Topic,
  TopicPartition,
  Uuid,
  Versioned,
} from "../../storage.ts";
import {
  checkFetchOffset,
  collectWithinBudget,
  logStartAfterDelete,
  stampBaseOffset,
  visibleOffset,
} from "../../log-rules.ts";
import {
  afterProducerBatch,
  checkProducerBatch,
  type ProducerBatch,
  type ProducerState,
} from "../../producer-sequence.ts";
import { migrate } from "./migrations.ts";
import { decodeValue, encodeValue } from "../../record-codec.ts";
import {
  type CommittedOffsetRow,
  type PartitionOffsetsRow,
  type PartitionRow,
  type ProducerRow,
  Statements,
  type TopicRow,
} from "./statements.ts";

/** How long a writer waits for another connection's transaction before giving up. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * WAL mode (kept in the file) and the connection's synchronous level. In WAL mode NORMAL survives a process
 * crash; only an OS crash or power loss may lose the last commits, like Kafka's default of leaving fsync to the OS.
 */
function configure(db: Database): void {
  enableWal(db);
  db.run("PRAGMA synchronous = NORMAL");
}

/**
 * Switches the file to WAL. SQLite answers SQLITE_BUSY at once, without its busy handler, when another
 * process is switching a new file at the same moment (two brokers starting on one fresh file), so the switch
 * is retried for as long as a busy writer would be waited for.
 */
function enableWal(db: Database): void {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.run("PRAGMA journal_mode = WAL");
      return;
    } catch (error) {
      if (!/database is locked/i.test(messageOf(error)) || performance.now() > deadline) throw error;
      Bun.sleepSync(5 + Math.random() * 20);
    }
  }
}

export class SqliteStorage implements Storage {
  readonly kind = "sqlite";
  readonly #db: Database;
  /** Made by the first operation (#ready), as nothing before it runs a statement. */
  #sql: Statements | null = null;
  #closed = false;

  private constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Opens (creating when missing) the store at `path` and migrates its schema.
   * @throws StorageUnavailableError when the file cannot be opened or migrated
   */
  static open(path: string): SqliteStorage {
    let db: Database | undefined;
    try {
      db = new Database(path, { create: true, readwrite: true, strict: true, safeIntegers: true });
      // The last connection to close checkpoints the WAL but keeps the (then empty) -wal and -shm files, so a
      // broker that is stopped and started again, as a scaled-to-zero one is, does not create them anew: that
      // took ~1 ms of a broker's start-up (docs/BENCHMARKS.md, Startup). The .db file alone stays complete.
      db.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1);
      // busy_timeout first: switching to WAL itself may wait for another process.
      db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      configure(db);
      migrate(db);
      return new SqliteStorage(db);
    } catch (error) {
      db?.close();
      if (error instanceof StorageError) throw error;
      throw new StorageUnavailableError(`cannot open sqlite store ${path}: ${messageOf(error)}`, { cause: error });
    }
  }

  // --- topics ---------------------------------------------------------------------

  async createTopic(topic: NewTopic): Promise<Topic> {
    return this.#write("createTopic", (sql) => {
      if (!Number.isInteger(topic.partitions) || topic.partitions < 1) {
        throw new InvalidPartitionsError(`topic ${topic.name}: ${topic.partitions} partitions`);
      }
      if (sql.topicByName.get(topic.name)) throw new TopicExistsError(`topic ${topic.name} already exists`);
      const id = topic.id ?? crypto.randomUUID();
      if (sql.topicById.get(id)) throw new TopicExistsError(`topic id ${id} already exists`);
      const configs = JSON.stringify(topic.configs);
      const { topicKey } = sql.insertTopic.get(id, topic.name, topic.partitions, configs)!;
      for (let partition = 0; partition < topic.partitions; partition++) sql.insertPartition.run(topicKey, partition);
      return { name: topic.name, id, partitions: topic.partitions, configs: { ...topic.configs } };
    });
  }

  async deleteTopic(by: { name: string } | { id: Uuid }): Promise<Topic | null> {
    return this.#write("deleteTopic", (sql) => {
      const row = "name" in by ? sql.topicByName.get(by.name) : sql.topicById.get(by.id);
      if (!row) return null;
      sql.deleteTopicBatches.run(row.topicKey);
      sql.deleteTopicPartitions.run(row.topicKey);
      sql.deleteTopicProducers.run(row.topicKey);
      sql.deleteTopicAborted.run(row.topicKey);
      sql.deleteTopicOffsets.run(row.name);
      sql.deleteTopic.run(row.topicKey);
      return topicOf(row);
    });
  }

  async getTopic(by: { name: string } | { id: Uuid }): Promise<Topic | null> {
    return this.#statement("getTopic", (sql) => {
      const row = "name" in by ? sql.topicByName.get(by.name) : sql.topicById.get(by.id);
      return row ? topicOf(row) : null;
    });
  }

  async listTopics(): Promise<Topic[]> {
    return this.#statement("listTopics", (sql) => sql.listTopics.all().map(topicOf));
  }

  async createPartitions(name: string, count: number): Promise<Topic> {
    return this.#write("createPartitions", (sql) => {
      const row = sql.topicByName.get(name);
      if (!row) throw new UnknownTopicError(`unknown topic ${name}`);
      const current = Number(row.partitions);
      if (!Number.isInteger(count) || count <= current) {
        throw new InvalidPartitionsError(`topic ${name} has ${current} partitions, cannot change to ${count}`);
      }
      for (let partition = current; partition < count; partition++) sql.insertPartition.run(row.topicKey, partition);
      sql.setPartitionCount.run(count, row.topicKey);
      return { ...topicOf(row), partitions: count };
    });
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<Topic> {
    return this.#write("setTopicConfigs", (sql) => {
      const row = sql.topicByName.get(name);
      if (!row) throw new UnknownTopicError(`unknown topic ${name}`);
      sql.setConfigs.run(JSON.stringify(configs), row.topicKey);
      return { ...topicOf(row), configs: { ...configs } };
    });
  }

  // --- the log --------------------------------------------------------------------

  /** Stamps the assigned base offset into `batch.bytes` in place before storing them. */
  async append(tp: TopicPartition, batch: AppendBatch): Promise<AppendResult> {
    return this.#write("append", (sql) => {
      const log = partitionOf(sql.partition.get(tp.topic, tp.partition), tp);
      const key = [log.topicKey, tp.partition] as const;
      const idempotent = batch.producerId >= 0n;
      const state = idempotent ? producerStateOf(sql.producer.get(...key, batch.producerId)) : null;
      const duplicateOf = idempotent ? checkProducerBatch(state, batch) : null;
      if (duplicateOf !== null) return { baseOffset: duplicateOf, logStartOffset: log.logStartOffset, duplicate: true };

      const baseOffset = log.highWatermark;
      const lastOffset = baseOffset + BigInt(batch.offsetCount) - 1n;
      stampBaseOffset(batch.bytes, baseOffset);
      sql.insertBatch.run(...key, baseOffset, lastOffset, batch.maxTimestamp, batch.bytes.byteLength, batch.bytes);
      sql.setHighWatermark.run(lastOffset + 1n, ...key);

      if (idempotent) {
        const { state: next, completed } = afterProducerBatch(state, batch, baseOffset);
        if (completed?.aborted) sql.insertAborted.run(...key, completed.lastOffset, batch.producerId, completed.firstOffset);
        sql.putProducer.run(...key, batch.producerId, next.epoch, encodeValue(next.batches), next.txnFirstOffset);
      }
      return { baseOffset, logStartOffset: log.logStartOffset, duplicate: false };
    });
  }

  async fetch(tp: TopicPartition, options: FetchOptions): Promise<FetchResult> {
    return this.#read("fetch", (sql) => {
      const row = partitionOf(sql.partitionOffsets.get(tp.topic, tp.partition), tp);
      const offsets = offsetsOf(row);
      checkFetchOffset(options.fetchOffset, offsets);
      const committed = options.isolation === "read_committed";
      const below = committed ? offsets.lastStableOffset : offsets.highWatermark;
      const key = [row.topicKey, tp.partition] as const;
      const { batches, lastOffset } = collectWithinBudget(
        sql.batchesFrom.iterate(...key, options.fetchOffset, below),
        options.maxBytes,
      );
      const abortedTransactions =
        committed && lastOffset !== null ? sql.abortedOverlapping.all(...key, options.fetchOffset, lastOffset) : [];
      return { ...offsets, batches, abortedTransactions };
    });
  }

  async offsets(tp: TopicPartition): Promise<PartitionOffsets> {
    return this.#statement("offsets", (sql) => offsetsOf(partitionOf(sql.partitionOffsets.get(tp.topic, tp.partition), tp)));
  }

  async offsetForTimestamp(
    tp: TopicPartition,
    timestamp: bigint,
  ): Promise<{ offset: bigint; timestamp: bigint } | null> {
    return this.#read("offsetForTimestamp", (sql) => {
      const log = partitionOf(sql.partition.get(tp.topic, tp.partition), tp);
      const found = sql.firstAtTimestamp.get(log.topicKey, tp.partition, timestamp);
      return found ? { offset: visibleOffset(found.baseOffset, log), timestamp: found.maxTimestamp } : null;
    });
  }

  async maxTimestamp(tp: TopicPartition): Promise<{ offset: bigint; timestamp: bigint } | null> {
    return this.#read("maxTimestamp", (sql) => {
      const log = partitionOf(sql.partition.get(tp.topic, tp.partition), tp);
      const found = sql.maxTimestamp.get(log.topicKey, tp.partition);
      return found ? { offset: visibleOffset(found.baseOffset, log), timestamp: found.maxTimestamp } : null;
    });
  }

  async deleteRecords(tp: TopicPartition, offset: bigint): Promise<bigint> {
    return this.#write("deleteRecords", (sql) => {
      const log = partitionOf(sql.partition.get(tp.topic, tp.partition), tp);
      const logStart = logStartAfterDelete(offset, log);
      sql.deleteBatchesBelow.run(log.topicKey, tp.partition, logStart);
      sql.deleteAbortedBelow.run(log.topicKey, tp.partition, logStart);
      sql.setLogStart.run(logStart, log.topicKey, tp.partition);
      return logStart;
    });
  }

  async batchSummaries(tp: TopicPartition): Promise<BatchSummary[]> {
    return this.#read("batchSummaries", (sql) => {
      const log = partitionOf(sql.partition.get(tp.topic, tp.partition), tp);
      return sql.summaries.all(log.topicKey, tp.partition).map((row) => ({ ...row, sizeBytes: Number(row.sizeBytes) }));
    });
  }

  async replaceBatch(tp: TopicPartition, baseOffset: bigint, bytes: Uint8Array | null): Promise<void> {
    return this.#write("replaceBatch", (sql) => {
      const log = partitionOf(sql.partition.get(tp.topic, tp.partition), tp);
      const { changes } =
        bytes === null
          ? sql.deleteBatch.run(log.topicKey, tp.partition, baseOffset)
          : sql.replaceBatch.run(bytes, bytes.byteLength, log.topicKey, tp.partition, baseOffset);
      if (changes === 0) {
        throw new OffsetOutOfRangeError(`${tp.topic}-${tp.partition} has no batch at offset ${baseOffset}`);
      }
    });
  }

  // --- consumer offsets -------------------------------------------------------------

  async commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void> {
    return this.#write("commitOffsets", (sql) => {
      for (const o of offsets) {
        sql.putOffset.run(group, o.topic, o.partition, o.offset, o.leaderEpoch, o.metadata, o.commitTimestamp);
      }
    });
  }

  async fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
    return this.#read("fetchOffsets", (sql) => {
      const rows = partitions
        ? partitions.flatMap((tp) => sql.offset.get(group, tp.topic, tp.partition) ?? [])
        : sql.groupOffsets.all(group);
      return rows.map(committedOffsetOf);
    });
  }

  async deleteOffsets(group: string, partitions: TopicPartition[]): Promise<void> {
    return this.#write("deleteOffsets", (sql) => {
      for (const tp of partitions) sql.deleteOffset.run(group, tp.topic, tp.partition);
    });
  }

  // --- compare-and-set records --------------------------------------------------------

  async getRecord<T>(namespace: string, key: string): Promise<Versioned<T> | null> {
    return this.#statement("getRecord", (sql) => {
      const row = sql.record.get(namespace, key);
      return row ? { value: decodeValue<T>(row.value), version: String(row.version) } : null;
    });
  }

  async putRecord<T>(namespace: string, key: string, value: T, expected: string | null): Promise<string | null> {
    return this.#write("putRecord", (sql) => {
      const encoded = encodeValue(value);
      const current = sql.record.get(namespace, key);
      if ((current ? String(current.version) : null) !== expected) return null;
      const version = sql.nextValue.get("record_version")!.value;
      sql.putRecord.run(namespace, key, encoded, version);
      return String(version);
    });
  }

  async deleteRecord(namespace: string, key: string, expected: string): Promise<boolean> {
    return this.#write("deleteRecord", (sql) => {
      const current = sql.record.get(namespace, key);
      if (!current || String(current.version) !== expected) return false;
      sql.deleteRecord.run(namespace, key);
      return true;
    });
  }

  async listRecords<T>(namespace: string): Promise<Array<{ key: string } & Versioned<T>>> {
    return this.#statement("listRecords", (sql) =>
      sql.listRecords.all(namespace).map((row) => ({
        key: row.key,
        value: decodeValue<T>(row.value),
        version: String(row.version),
      })),
    );
  }

  // --- producers ------------------------------------------------------------------

  async allocateProducerId(): Promise<bigint> {
    return this.#statement("allocateProducerId", (sql) => sql.nextValue.get("producer_id")!.value);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // With the WAL kept (open), a journal size limit is what has the last connection's checkpoint truncate it
      // to nothing, rather than leave frames the next start would read back.
      this.#db.run("PRAGMA journal_size_limit = 0");
      this.#db.close(true);
    } catch (error) {
      throw new StorageUnavailableError(`closing sqlite store ${this.#db.filename}: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  // --- transactions ---------------------------------------------------------------

  /** One statement: SQLite makes it atomic on its own. */
  #statement<T>(operation: string, body: (sql: Statements) => T): T {
    const sql = this.#ready(operation);
    try {
      return body(sql);
    } catch (error) {
      throw this.#failure(operation, error);
    }
  }

  /** Several reads that must see one snapshot. */
  #read<T>(operation: string, body: (sql: Statements) => T): T {
    return this.#transaction(operation, "beginRead", body);
  }

  /** A read-modify-write: IMMEDIATE takes the write lock up front, so no other writer interleaves. */
  #write<T>(operation: string, body: (sql: Statements) => T): T {
    return this.#transaction(operation, "beginWrite", body);
  }

  #transaction<T>(operation: string, begin: "beginRead" | "beginWrite", body: (sql: Statements) => T): T {
    const sql = this.#ready(operation);
    try {
      sql[begin].run();
      const result = body(sql);
      sql.commit.run();
      return result;
    } catch (error) {
      // SQLite has already rolled back on some errors (e.g. SQLITE_FULL); only undo what is open.
      if (this.#db.inTransaction) {
        try {
          sql.rollback.run();
        } catch (rollbackError) {
          throw this.#failure(`${operation} (rollback after: ${messageOf(error)})`, rollbackError);
        }
      }
      throw this.#failure(operation, error);
    }
  }

  /** Before every operation: the store is open; the first operation also makes its statements. */
  #ready(operation: string): Statements {
    if (this.#closed) throw new StorageUnavailableError(`${operation}: sqlite store ${this.#db.filename} is closed`);
    return (this.#sql ??= new Statements(this.#db));
  }

  /** Typed storage errors pass through; SQLite's own become retryable unavailability. */
  #failure(operation: string, error: unknown): unknown {
    if (error instanceof SQLiteError) {
      return new StorageUnavailableError(`sqlite ${operation} on ${this.#db.filename}: ${error.message}`, {
        cause: error,
      });
    }
    return error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function topicOf(row: TopicRow): Topic {
  return {
    name: row.name,
    id: row.id,
    partitions: Number(row.partitions),
    configs: JSON.parse(row.configs) as Record<string, string>,
  };
}

function partitionOf<R extends PartitionRow>(row: R | null, tp: TopicPartition): R {
  if (!row) throw new UnknownTopicError(`unknown topic or partition ${tp.topic}-${tp.partition}`);
  return row;
}

function offsetsOf(row: PartitionOffsetsRow): PartitionOffsets {
  return {
    logStartOffset: row.logStartOffset,
    highWatermark: row.highWatermark,
    lastStableOffset: row.openTxnOffset ?? row.highWatermark,
  };
}

function producerStateOf(row: ProducerRow | null): ProducerState | null {
  if (!row) return null;
  return { epoch: Number(row.epoch), batches: decodeValue<ProducerBatch[]>(row.batches), txnFirstOffset: row.txnFirstOffset };
}

function committedOffsetOf(row: CommittedOffsetRow): CommittedOffset {
  return {
    topic: row.topic,
    partition: Number(row.partition),
    offset: row.offset,
    leaderEpoch: Number(row.leaderEpoch),
    metadata: row.metadata,
    commitTimestamp: row.commitTimestamp,
  };
}
