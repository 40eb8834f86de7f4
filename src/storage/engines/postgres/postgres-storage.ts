// postgres:// — one PostgreSQL database shared by any number of brokers, and by applications
// that read records with SQL (the tansu.records view) or write them (tansu.produce()).
//
// How the storage contract holds (every guarantee is the database's, none a broker's):
// - Atomic offsets: an append locks its partition's watermark row (SELECT ... FOR UPDATE),
//   takes the offsets from it and writes the records, their framing and the new high
//   watermark in that same transaction (append.ts). So does tansu.produce().
// - Durable before acknowledged: an append resolves after COMMIT returned.
// - Idempotence and transaction bookkeeping: producer states are read after the lock is
//   held and written in the same transaction as the records.
// - Compare-and-set: one conditional INSERT / UPDATE / DELETE on a version from a sequence.
// - Monotonic log start: DeleteRecords holds the watermark row lock and only moves forward.
// - Nothing mutable is cached: every call reads the database.
// A broker's own concurrent appends to one partition share one transaction (group-commit.ts).

import { StorageUnavailableError, UnknownTopicError } from "../../errors.ts";
import type * as contract from "../../storage.ts";
import { commitAppends, prepareAppend, type PendingAppend } from "./append.ts";
import { listenForAppends } from "./append-listener.ts";
import { ConnectionPool, failure, OPERATION_TIMEOUT_MS, withDeadline, type Db } from "./client.ts";
import * as coordinator from "./coordinator-state.ts";
import { fetchBatches, offsetsOf, PARTITION_OFFSETS } from "./fetch.ts";
import { parsePartitionKey, partitionKey } from "./functions.ts";
import { GroupCommit } from "./group-commit.ts";
import { batchByTimestamp, batchSummaries, deleteRecords, replaceBatch } from "./log-maintenance.ts";
import { migrate } from "./migrations.ts";
import { postgresSettings, type PostgresSettings } from "./postgres-url.ts";
import * as topics from "./topics.ts";

/** One group commit holds at most this many appends, or this many bytes of batches. */
const GROUP_LIMITS = { items: 256, bytes: 16 * 1024 * 1024 };

export class PostgresStorage implements contract.Storage {
  readonly kind = "postgres";
  /** append() queues its batch on the partition's group commit before it awaits anything. */
  readonly appendsInCallOrder = true;
  readonly #pool: ConnectionPool;
  readonly #where: string;
  readonly #appends: GroupCommit<PendingAppend, contract.AppendResult>;
  readonly #unlisteners = new Set<() => void>();
  #closed = false;

  readonly #settings: PostgresSettings;

  private constructor(pool: ConnectionPool, settings: PostgresSettings) {
    this.#pool = pool;
    this.#settings = settings;
    this.#where = settings.display;
    this.#appends = new GroupCommit(
      (key, group) => this.#pool.use((db) => commitAppends(db, parsePartitionKey(key)!, group)),
      GROUP_LIMITS,
    );
  }

  /**
   * Connects to postgres://USER:PASSWORD@HOST:PORT/DB (see postgresSettings for its
   * parameters) and brings the tansu schema up to date.
   * @throws Error for a malformed URL; StorageError for a database of a newer tansu;
   *   StorageUnavailableError when the database cannot be reached
   */
  static async open(url: string): Promise<PostgresStorage> {
    const settings = postgresSettings(url);
    const pool = new ConnectionPool(settings);
    try {
      await withDeadline(pool.use((db) => migrate(db, settings.display)), OPERATION_TIMEOUT_MS, `open ${settings.display}`);
      return new PostgresStorage(pool, settings);
    } catch (error) {
      await pool.end(0);
      const cause = failure("open", settings.display, error);
      if (cause instanceof StorageUnavailableError) {
        throw new StorageUnavailableError(`cannot open postgres store ${settings.display}: ${cause.message}`, { cause: error });
      }
      throw cause;
    }
  }

  /** Calls `onAppend` whenever records are committed to a partition, by any broker or by SQL. */
  watchAppends(onAppend: (tp: contract.TopicPartition) => void): () => void {
    const stop = listenForAppends(this.#settings, onAppend);
    this.#unlisteners.add(stop);
    return () => {
      this.#unlisteners.delete(stop);
      stop();
    };
  }

  // --- topics ---------------------------------------------------------------------

  createTopic(topic: contract.NewTopic): Promise<contract.Topic> {
    return this.#run("createTopic", (sql) => topics.createTopic(sql, topic));
  }

  deleteTopic(by: { name: string } | { id: contract.Uuid }): Promise<contract.Topic | null> {
    return this.#run("deleteTopic", (sql) => topics.deleteTopic(sql, by));
  }

  getTopic(by: { name: string } | { id: contract.Uuid }): Promise<contract.Topic | null> {
    return this.#run("getTopic", (sql) => topics.getTopic(sql, by));
  }

  listTopics(): Promise<contract.Topic[]> {
    return this.#run("listTopics", (sql) => topics.listTopics(sql));
  }

  createPartitions(name: string, count: number): Promise<contract.Topic> {
    return this.#run("createPartitions", (sql) => topics.createPartitions(sql, name, count));
  }

  setTopicConfigs(name: string, configs: Record<string, string>): Promise<contract.Topic> {
    return this.#run("setTopicConfigs", (sql) => topics.setTopicConfigs(sql, name, configs));
  }

  // --- the log --------------------------------------------------------------------

  /**
   * Decodes the batch now, while earlier appends may still be committing, and waits for the
   * partition's next group commit, which takes a connection of its own.
   */
  append(tp: contract.TopicPartition, batch: contract.AppendBatch): Promise<contract.AppendResult> {
    return this.#guard("append", () => this.#appends.submit(partitionKey(tp), prepareAppend(batch), batch.bytes.byteLength));
  }

  fetch(tp: contract.TopicPartition, options: contract.FetchOptions): Promise<contract.FetchResult> {
    return this.#run("fetch", (sql) => fetchBatches(sql, tp, options));
  }

  offsets(tp: contract.TopicPartition): Promise<contract.PartitionOffsets> {
    return this.#run("offsets", async (sql) => {
      const [row] = await sql.unsafe<{ log_start_offset: bigint; high_watermark: bigint; open_txn: bigint | null }[]>(
        PARTITION_OFFSETS,
        [tp.topic, tp.partition],
        { prepare: true },
      );
      if (!row) throw new UnknownTopicError(`unknown topic or partition ${tp.topic}-${tp.partition}`);
      return offsetsOf(row);
    });
  }

  offsetForTimestamp(tp: contract.TopicPartition, timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | null> {
    return this.#run("offsetForTimestamp", (sql) => batchByTimestamp(sql, tp, timestamp));
  }

  maxTimestamp(tp: contract.TopicPartition): Promise<{ offset: bigint; timestamp: bigint } | null> {
    return this.#run("maxTimestamp", (sql) => batchByTimestamp(sql, tp, null));
  }

  deleteRecords(tp: contract.TopicPartition, offset: bigint): Promise<bigint> {
    return this.#run("deleteRecords", (sql) => deleteRecords(sql, tp, offset));
  }

  batchSummaries(tp: contract.TopicPartition): Promise<contract.BatchSummary[]> {
    return this.#run("batchSummaries", (sql) => batchSummaries(sql, tp));
  }

  replaceBatch(tp: contract.TopicPartition, baseOffset: bigint, bytes: Uint8Array | null): Promise<void> {
    return this.#run("replaceBatch", (sql) => replaceBatch(sql, tp, baseOffset, bytes));
  }

  // --- consumer offsets -------------------------------------------------------------

  commitOffsets(group: string, offsets: contract.CommittedOffset[]): Promise<void> {
    return this.#run("commitOffsets", (sql) => coordinator.commitOffsets(sql, group, offsets));
  }

  fetchOffsets(group: string, partitions?: contract.TopicPartition[]): Promise<contract.CommittedOffset[]> {
    return this.#run("fetchOffsets", (sql) => coordinator.fetchOffsets(sql, group, partitions));
  }

  deleteOffsets(group: string, partitions: contract.TopicPartition[]): Promise<void> {
    return this.#run("deleteOffsets", (sql) => coordinator.deleteOffsets(sql, group, partitions));
  }

  // --- compare-and-set records ------------------------------------------------------

  getRecord<T>(namespace: string, key: string): Promise<contract.Versioned<T> | null> {
    return this.#run("getRecord", (sql) => coordinator.getRecord<T>(sql, namespace, key));
  }

  putRecord<T>(namespace: string, key: string, value: T, expected: string | null): Promise<string | null> {
    return this.#run("putRecord", (sql) => coordinator.putRecord(sql, namespace, key, value, expected));
  }

  deleteRecord(namespace: string, key: string, expected: string): Promise<boolean> {
    return this.#run("deleteRecord", (sql) => coordinator.deleteRecord(sql, namespace, key, expected));
  }

  listRecords<T>(namespace: string): Promise<Array<{ key: string } & contract.Versioned<T>>> {
    return this.#run("listRecords", (sql) => coordinator.listRecords<T>(sql, namespace));
  }

  // --- producers ------------------------------------------------------------------

  allocateProducerId(): Promise<bigint> {
    return this.#run("allocateProducerId", (sql) => coordinator.allocateProducerId(sql));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of this.#unlisteners) stop();
    try {
      // In-flight operations get a few seconds to finish; then their connections are cut.
      await this.#pool.end(5);
    } catch (error) {
      throw failure("close", this.#where, error);
    }
  }

  /** Runs one operation on a connection of the pool. */
  #run<T>(operation: string, body: (db: Db) => Promise<T>): Promise<T> {
    return this.#guard(operation, () => this.#pool.use(body));
  }

  /** Refused once closed, bounded in time, failures typed. */
  async #guard<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StorageUnavailableError(`${operation}: postgres store ${this.#where} is closed`);
    try {
      return await withDeadline(work(), OPERATION_TIMEOUT_MS, operation);
    } catch (error) {
      throw failure(operation, this.#where, error);
    }
  }
}
