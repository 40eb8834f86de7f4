// A sqlite:// store whose file is opened by its first operation. A broker's first request, ApiVersions,
// reads nothing from the store; loading bun:sqlite and this engine and opening the file took about a
// tenth of a sqlite:// broker's start (docs/BENCHMARKS.md, Startup), and is now paid by the first request
// that needs the store. Only a database file this tansu can migrate is deferred (sqlite-open.ts).

import { StorageUnavailableError } from "../../errors.ts";
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
import type { SqliteStorage } from "./sqlite-storage.ts";

/**
 * Its operations are written out, not made in a loop over the contract's operations as instrumentStorage
 * (src/metrics/instrumented-storage.ts) makes its own: this class is defined at every sqlite:// start, and the
 * loop cost that start about 0.2 million instructions more (callgrind, to the first answer, one count).
 */
export class DeferredSqliteStorage implements Storage {
  readonly kind = "sqlite";
  readonly #path: string;
  #opening: Promise<SqliteStorage> | null = null;
  #closed = false;

  constructor(path: string) {
    this.#path = path;
  }

  /**
   * The open store. Operations called before it is open run in the order they were called, as they would on
   * an open store. A failed open is not kept: the next operation tries again, as a store that was unavailable
   * for a moment is used again once it is back.
   */
  #store(operation: string): Promise<SqliteStorage> {
    if (this.#closed) return Promise.reject(new StorageUnavailableError(`${operation}: sqlite store ${this.#path} is closed`));
    return (this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = null;
      throw error;
    }));
  }

  async #open(): Promise<SqliteStorage> {
    return (await import("./sqlite-storage.ts")).SqliteStorage.open(this.#path);
  }

  createTopic(topic: NewTopic): Promise<Topic> {
    return this.#store("createTopic").then((store) => store.createTopic(topic));
  }

  deleteTopic(by: { name: string } | { id: Uuid }): Promise<Topic | null> {
    return this.#store("deleteTopic").then((store) => store.deleteTopic(by));
  }

  getTopic(by: { name: string } | { id: Uuid }): Promise<Topic | null> {
    return this.#store("getTopic").then((store) => store.getTopic(by));
  }

  listTopics(): Promise<Topic[]> {
    return this.#store("listTopics").then((store) => store.listTopics());
  }

  createPartitions(name: string, count: number): Promise<Topic> {
    return this.#store("createPartitions").then((store) => store.createPartitions(name, count));
  }

  setTopicConfigs(name: string, configs: Record<string, string>): Promise<Topic> {
    return this.#store("setTopicConfigs").then((store) => store.setTopicConfigs(name, configs));
  }

  append(tp: TopicPartition, batch: AppendBatch): Promise<AppendResult> {
    return this.#store("append").then((store) => store.append(tp, batch));
  }

  fetch(tp: TopicPartition, options: FetchOptions): Promise<FetchResult> {
    return this.#store("fetch").then((store) => store.fetch(tp, options));
  }

  offsets(tp: TopicPartition): Promise<PartitionOffsets> {
    return this.#store("offsets").then((store) => store.offsets(tp));
  }

  offsetForTimestamp(tp: TopicPartition, timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | null> {
    return this.#store("offsetForTimestamp").then((store) => store.offsetForTimestamp(tp, timestamp));
  }

  maxTimestamp(tp: TopicPartition): Promise<{ offset: bigint; timestamp: bigint } | null> {
    return this.#store("maxTimestamp").then((store) => store.maxTimestamp(tp));
  }

  deleteRecords(tp: TopicPartition, offset: bigint): Promise<bigint> {
    return this.#store("deleteRecords").then((store) => store.deleteRecords(tp, offset));
  }

  batchSummaries(tp: TopicPartition): Promise<BatchSummary[]> {
    return this.#store("batchSummaries").then((store) => store.batchSummaries(tp));
  }

  replaceBatch(tp: TopicPartition, baseOffset: bigint, bytes: Uint8Array | null): Promise<void> {
    return this.#store("replaceBatch").then((store) => store.replaceBatch(tp, baseOffset, bytes));
  }

  commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void> {
    return this.#store("commitOffsets").then((store) => store.commitOffsets(group, offsets));
  }

  fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
    return this.#store("fetchOffsets").then((store) => store.fetchOffsets(group, partitions));
  }

  deleteOffsets(group: string, partitions: TopicPartition[]): Promise<void> {
    return this.#store("deleteOffsets").then((store) => store.deleteOffsets(group, partitions));
  }

  getRecord<T>(namespace: string, key: string): Promise<Versioned<T> | null> {
    return this.#store("getRecord").then((store) => store.getRecord<T>(namespace, key));
  }

  putRecord<T>(namespace: string, key: string, value: T, expected: string | null): Promise<string | null> {
    return this.#store("putRecord").then((store) => store.putRecord(namespace, key, value, expected));
  }

  deleteRecord(namespace: string, key: string, expected: string): Promise<boolean> {
    return this.#store("deleteRecord").then((store) => store.deleteRecord(namespace, key, expected));
  }

  listRecords<T>(namespace: string): Promise<Array<{ key: string } & Versioned<T>>> {
    return this.#store("listRecords").then((store) => store.listRecords<T>(namespace));
  }

  allocateProducerId(): Promise<bigint> {
    return this.#store("allocateProducerId").then((store) => store.allocateProducerId());
  }

  /** Closes the file when an operation opened it; a store never used has nothing to close. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opening = this.#opening;
    if (!opening) return;
    let store: SqliteStorage;
    try {
      store = await opening;
    } catch {
      // The open failed, and that failure went to the operation that asked: there is no file to close.
      return;
    }
    await store.close();
  }
}
