// memory:// — the whole store in this process's heap, for tests and ephemeral brokers.
// Every method runs in one synchronous turn, which is what makes each one atomic here.
// Stored batches are handed out by fetch without copying: callers must not mutate them.

import {
  InvalidPartitionsError,
  OffsetOutOfRangeError,
  StorageUnavailableError,
  TopicExistsError,
  UnknownTopicError,
} from "../../errors.ts";
import type {
  AbortedTransaction,
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
import { afterProducerBatch, checkProducerBatch, type ProducerState } from "../../producer-sequence.ts";

interface StoredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  bytes: Uint8Array;
}

interface AbortedRange {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
}

class PartitionLog {
  logStartOffset = 0n;
  highWatermark = 0n;
  /** In offset order, non-overlapping; compaction may leave gaps. */
  readonly batches: StoredBatch[] = [];
  readonly producers = new Map<bigint, ProducerState>();
  /** In order of their markers. */
  aborted: AbortedRange[] = [];

  lastStableOffset(): bigint {
    let lso = this.highWatermark;
    for (const state of this.producers.values()) {
      if (state.txnFirstOffset !== null && state.txnFirstOffset < lso) lso = state.txnFirstOffset;
    }
    return lso;
  }

  offsets(): PartitionOffsets {
    return {
      logStartOffset: this.logStartOffset,
      highWatermark: this.highWatermark,
      lastStableOffset: this.lastStableOffset(),
    };
  }

  /** Index of the first batch ending at or after `offset` (batches.length when none). */
  indexFrom(offset: bigint): number {
    let low = 0;
    let high = this.batches.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.batches[middle].lastOffset < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  *batchesFrom(offset: bigint, below: bigint): Generator<StoredBatch> {
    for (let i = this.indexFrom(offset); i < this.batches.length && this.batches[i].baseOffset < below; i++) {
      yield this.batches[i];
    }
  }
}

interface TopicEntry {
  name: string;
  id: Uuid;
  configs: Record<string, string>;
  partitions: PartitionLog[];
}

interface StoredRecord {
  value: unknown;
  version: string;
}

export class MemoryStorage implements Storage {
  readonly kind = "memory";
  #closed = false;
  readonly #topicsByName = new Map<string, TopicEntry>();
  readonly #topicsById = new Map<Uuid, TopicEntry>();
  /** group -> "topic\0partition" -> offset */
  readonly #offsets = new Map<string, Map<string, CommittedOffset>>();
  /** namespace -> key -> record */
  readonly #records = new Map<string, Map<string, StoredRecord>>();
  #nextProducerId = 0n;
  /** Versions are never reused, even across delete and re-create of a key. */
  #nextVersion = 0;

  // --- topics ---------------------------------------------------------------------

  async createTopic(topic: NewTopic): Promise<Topic> {
    this.#checkOpen();
    if (!Number.isInteger(topic.partitions) || topic.partitions < 1) {
      throw new InvalidPartitionsError(`topic ${topic.name}: ${topic.partitions} partitions`);
    }
    if (this.#topicsByName.has(topic.name)) throw new TopicExistsError(`topic ${topic.name} already exists`);
    const id = topic.id ?? crypto.randomUUID();
    if (this.#topicsById.has(id)) throw new TopicExistsError(`topic id ${id} already exists`);
    const entry: TopicEntry = {
      name: topic.name,
      id,
      configs: { ...topic.configs },
      partitions: Array.from({ length: topic.partitions }, () => new PartitionLog()),
    };
    this.#topicsByName.set(entry.name, entry);
    this.#topicsById.set(entry.id, entry);
    return view(entry);
  }

  async deleteTopic(by: { name: string } | { id: Uuid }): Promise<Topic | null> {
    this.#checkOpen();
    const entry = this.#find(by);
    if (!entry) return null;
    this.#topicsByName.delete(entry.name);
    this.#topicsById.delete(entry.id);
    for (const offsets of this.#offsets.values()) {
      for (const [key, committed] of offsets) {
        if (committed.topic === entry.name) offsets.delete(key);
      }
    }
    return view(entry);
  }

  async getTopic(by: { name: string } | { id: Uuid }): Promise<Topic | null> {
    this.#checkOpen();
    const entry = this.#find(by);
    return entry ? view(entry) : null;
  }

  async listTopics(): Promise<Topic[]> {
    this.#checkOpen();
    return [...this.#topicsByName.values()].map(view).sort((a, b) => compareText(a.name, b.name));
  }

  async createPartitions(name: string, count: number): Promise<Topic> {
    this.#checkOpen();
    const entry = this.#topic(name);
    if (!Number.isInteger(count) || count <= entry.partitions.length) {
      throw new InvalidPartitionsError(`topic ${name} has ${entry.partitions.length} partitions, cannot change to ${count}`);
    }
    while (entry.partitions.length < count) entry.partitions.push(new PartitionLog());
    return view(entry);
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<Topic> {
    this.#checkOpen();
    const entry = this.#topic(name);
    entry.configs = { ...configs };
    return view(entry);
  }

  // --- the log --------------------------------------------------------------------

  async append(tp: TopicPartition, batch: AppendBatch): Promise<AppendResult> {
    this.#checkOpen();
    const log = this.#partition(tp);
    const idempotent = batch.producerId >= 0n;
    const state = idempotent ? (log.producers.get(batch.producerId) ?? null) : null;
    const duplicateOf = idempotent ? checkProducerBatch(state, batch) : null;
    if (duplicateOf !== null) return { baseOffset: duplicateOf, logStartOffset: log.logStartOffset, duplicate: true };

    const baseOffset = log.highWatermark;
    const bytes = batch.bytes.slice();
    stampBaseOffset(bytes, baseOffset);
    const lastOffset = baseOffset + BigInt(batch.offsetCount) - 1n;
    log.batches.push({ baseOffset, lastOffset, maxTimestamp: batch.maxTimestamp, bytes });
    log.highWatermark = lastOffset + 1n;

    if (idempotent) {
      const after = afterProducerBatch(state, batch, baseOffset);
      log.producers.set(batch.producerId, after.state);
      if (after.completed?.aborted) log.aborted.push({ producerId: batch.producerId, ...after.completed });
    }
    return { baseOffset, logStartOffset: log.logStartOffset, duplicate: false };
  }

  async fetch(tp: TopicPartition, options: FetchOptions): Promise<FetchResult> {
    this.#checkOpen();
    const log = this.#partition(tp);
    const offsets = log.offsets();
    checkFetchOffset(options.fetchOffset, offsets);
    const committed = options.isolation === "read_committed";
    const below = committed ? offsets.lastStableOffset : offsets.highWatermark;
    const { batches, lastOffset } = collectWithinBudget(log.batchesFrom(options.fetchOffset, below), options.maxBytes);
    const abortedTransactions: AbortedTransaction[] =
      committed && lastOffset !== null
        ? log.aborted
            .filter((a) => a.firstOffset <= lastOffset && a.lastOffset >= options.fetchOffset)
            .map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }))
        : [];
    return { ...offsets, batches, abortedTransactions };
  }

  async offsets(tp: TopicPartition): Promise<PartitionOffsets> {
    this.#checkOpen();
    return this.#partition(tp).offsets();
  }

  async offsetForTimestamp(
    tp: TopicPartition,
    timestamp: bigint,
  ): Promise<{ offset: bigint; timestamp: bigint } | null> {
    this.#checkOpen();
    const log = this.#partition(tp);
    const found = log.batches.find((b) => b.maxTimestamp >= timestamp);
    return found ? { offset: visibleOffset(found.baseOffset, log), timestamp: found.maxTimestamp } : null;
  }

  async maxTimestamp(tp: TopicPartition): Promise<{ offset: bigint; timestamp: bigint } | null> {
    this.#checkOpen();
    const log = this.#partition(tp);
    let best: StoredBatch | null = null;
    for (const batch of log.batches) {
      if (best === null || batch.maxTimestamp > best.maxTimestamp) best = batch;
    }
    return best ? { offset: visibleOffset(best.baseOffset, log), timestamp: best.maxTimestamp } : null;
  }

  async deleteRecords(tp: TopicPartition, offset: bigint): Promise<bigint> {
    this.#checkOpen();
    const log = this.#partition(tp);
    const logStart = logStartAfterDelete(offset, log);
    log.batches.splice(0, log.indexFrom(logStart));
    log.aborted = log.aborted.filter((a) => a.lastOffset >= logStart);
    log.logStartOffset = logStart;
    return logStart;
  }

  async batchSummaries(tp: TopicPartition): Promise<BatchSummary[]> {
    this.#checkOpen();
    return this.#partition(tp).batches.map((b) => ({
      baseOffset: b.baseOffset,
      lastOffset: b.lastOffset,
      maxTimestamp: b.maxTimestamp,
      sizeBytes: b.bytes.byteLength,
    }));
  }

  async replaceBatch(tp: TopicPartition, baseOffset: bigint, bytes: Uint8Array | null): Promise<void> {
    this.#checkOpen();
    const log = this.#partition(tp);
    const index = log.indexFrom(baseOffset);
    const batch = log.batches[index];
    if (batch === undefined || batch.baseOffset !== baseOffset) {
      throw new OffsetOutOfRangeError(`${tp.topic}-${tp.partition} has no batch at offset ${baseOffset}`);
    }
    if (bytes === null) log.batches.splice(index, 1);
    else batch.bytes = bytes.slice();
  }

  // --- consumer offsets -------------------------------------------------------------

  async commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void> {
    this.#checkOpen();
    let committed = this.#offsets.get(group);
    if (!committed) this.#offsets.set(group, (committed = new Map()));
    for (const offset of offsets) committed.set(offsetKey(offset), { ...offset });
  }

  async fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
    this.#checkOpen();
    const committed = this.#offsets.get(group);
    if (!committed) return [];
    const found = partitions
      ? partitions.flatMap((tp) => committed.get(offsetKey(tp)) ?? [])
      : [...committed.values()].sort(byTopicPartition);
    return found.map((offset) => ({ ...offset }));
  }

  async deleteOffsets(group: string, partitions: TopicPartition[]): Promise<void> {
    this.#checkOpen();
    const committed = this.#offsets.get(group);
    if (!committed) return;
    for (const tp of partitions) committed.delete(offsetKey(tp));
    if (committed.size === 0) this.#offsets.delete(group);
  }

  // --- compare-and-set records --------------------------------------------------------

  async getRecord<T>(namespace: string, key: string): Promise<Versioned<T> | null> {
    this.#checkOpen();
    const record = this.#records.get(namespace)?.get(key);
    return record ? { value: structuredClone(record.value) as T, version: record.version } : null;
  }

  async putRecord<T>(namespace: string, key: string, value: T, expected: string | null): Promise<string | null> {
    this.#checkOpen();
    let records = this.#records.get(namespace);
    const current = records?.get(key);
    if ((current?.version ?? null) !== expected) return null;
    if (!records) this.#records.set(namespace, (records = new Map()));
    const version = String(++this.#nextVersion);
    records.set(key, { value: structuredClone(value), version });
    return version;
  }

  async deleteRecord(namespace: string, key: string, expected: string): Promise<boolean> {
    this.#checkOpen();
    const records = this.#records.get(namespace);
    if (records?.get(key)?.version !== expected) return false;
    records.delete(key);
    return true;
  }

  async listRecords<T>(namespace: string): Promise<Array<{ key: string } & Versioned<T>>> {
    this.#checkOpen();
    const records = this.#records.get(namespace);
    if (!records) return [];
    return [...records]
      .sort(([a], [b]) => compareText(a, b))
      .map(([key, record]) => ({ key, value: structuredClone(record.value) as T, version: record.version }));
  }

  // --- producers ------------------------------------------------------------------

  async allocateProducerId(): Promise<bigint> {
    this.#checkOpen();
    return this.#nextProducerId++;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#topicsByName.clear();
    this.#topicsById.clear();
    this.#offsets.clear();
    this.#records.clear();
  }

  // --- lookups --------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed) throw new StorageUnavailableError("memory storage is closed");
  }

  #find(by: { name: string } | { id: Uuid }): TopicEntry | undefined {
    return "name" in by ? this.#topicsByName.get(by.name) : this.#topicsById.get(by.id);
  }

  #topic(name: string): TopicEntry {
    const entry = this.#topicsByName.get(name);
    if (!entry) throw new UnknownTopicError(`unknown topic ${name}`);
    return entry;
  }

  #partition(tp: TopicPartition): PartitionLog {
    const log = this.#topic(tp.topic).partitions[tp.partition];
    if (!log) throw new UnknownTopicError(`unknown partition ${tp.topic}-${tp.partition}`);
    return log;
  }
}

function view(entry: TopicEntry): Topic {
  return { name: entry.name, id: entry.id, partitions: entry.partitions.length, configs: { ...entry.configs } };
}

function offsetKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

/** Plain string order (UTF-16 code units), for the listings this engine returns sorted. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return compareText(a.topic, b.topic) || a.partition - b.partition;
}
