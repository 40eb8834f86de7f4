// s3:// — the whole store in one S3 bucket (under an optional key prefix), shared by any
// number of broker processes. Nothing here needs a lock service; safety comes from S3's
// conditional writes alone:
//
// - Every mutable object (topic catalog, partition heads, group offsets, CAS records, the
//   producer-id counter) changes only by read (body + ETag) -> compute -> PUT If-Match that
//   ETag (If-None-Match "*" to create). Of several brokers computing from one version, exactly
//   one write succeeds; the others get 412, re-read and recompute. Each body carries a random
//   revision, so an ETag names one write even when two writes have equal content.
// - A partition's head holds the high watermark, producer states, transaction bookkeeping
//   and the batch index. An append first PUTs the batch bytes under a fresh random key,
//   then CASes the head to index them at the high watermark it read, deciding sequence
//   checks and duplicates against that same head. So offsets come from one totally ordered
//   chain of head versions: contiguous, unique, and every acknowledged offset's bytes were
//   stored before the head that acknowledges them. A lost race re-reads and re-decides;
//   a batch that ends up unused (duplicate, refused) is deleted.
// - Objects a head refers to (batches, index chunks) are immutable; rewriting one means a
//   new object and a head CAS, after which the old one is deleted. A reader holding an
//   older head that finds an object gone re-reads the head.
// - deleteTopic first CASes every head to a tombstone (no append can succeed after that),
//   then removes the topic from the catalog, then deletes the log's objects best effort:
//   leftovers are unreachable because logs are keyed by a log id fresh to each creation.
// - Caches never decide anything. A broker remembers topic name -> log id (an idle fetch
//   is one GET of the head; a tombstoned or missing head sends it back to the catalog) and
//   the last head version it saw (an append's first CAS guess; a refusal or duplicate is
//   only reported after the CAS succeeds or a fresh read confirms it). A broker's own
//   concurrent appends to one partition share one head CAS (append-group.ts), and with
//   batch_max_delay they wait for company first; each is still decided against the head
//   that CAS replaces.
// - Every read of a head or of the catalog is a GET: when this process holds a version, it
//   sends that version's ETag as If-None-Match and keeps its copy only on 304 Not Modified.
//   So a read is exactly as current as a plain GET; the copy only saves the body and its
//   decoding. Nothing is ever answered from a copy that such a GET did not just confirm.

import { consola } from "../../../log.ts";
import {
  InvalidPartitionsError,
  OffsetOutOfRangeError,
  StorageUnavailableError,
  TopicExistsError,
  UnknownTopicError,
} from "../../errors.ts";
import { checkFetchOffset, logStartAfterDelete, visibleOffset } from "../../log-rules.ts";
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
  TopicLookup,
  TopicPartition,
  Uuid,
  Versioned,
} from "../../storage.ts";
import {
  decodeDocument,
  encodeDocument,
  LOST_RACE,
  readDocument,
  retryLostRaces,
  revalidateDocument,
  updateDocument,
  writeDocument,
  type Document,
} from "./cas-document.ts";
import { AppendGroup, NO_COALESCING, type Coalescing, type HeadAccess } from "./append-group.ts";
import { BatchIndex, type HeadLocation } from "./batch-index.ts";
import { CasRecords, compareText } from "./cas-records.ts";
import { GroupOffsets } from "./group-offsets.ts";
import { freshObjectName, ObjectKeys } from "./object-keys.ts";
import { ObjectStore } from "./object-store.ts";
import {
  chunkRefOf,
  decodeHead,
  emptyHead,
  encodeHead,
  offsetsOf,
  overflowOf,
  withChunk,
  withLogStart,
  type ChunkRef,
  type EncodedHead,
  type IndexEntry,
  type PartitionHead,
} from "./partition-head.ts";
import { s3Location } from "./s3-location.ts";
import { s3UrlSettings } from "./s3-url-settings.ts";
import { findTopic, topicView, withTopic, type Catalog, type CatalogTopic } from "./topic-catalog.ts";

export interface S3StorageOptions {
  /** Where to read AWS_* settings (s3Location); process.env by default. */
  env?: Record<string, string | undefined>;
  /** Index entries a head holds before the oldest move to a chunk object. */
  headIndexLimit?: number;
  /** Entries kept in the head when a chunk is cut, so readers near the end need no chunk. */
  headIndexKeep?: number;
  /** Overrides the URL's batch_max_delay / batch_min_size (s3-url-settings.ts). */
  coalescing?: Coalescing;
}

const DEFAULT_HEAD_INDEX_LIMIT = 256;
const DEFAULT_HEAD_INDEX_KEEP = 64;
/**
 * How often a fetch waiting for other brokers' appends reads the head again: each look is a
 * billed GET, and appends through this broker wake the fetch at once anyway. A consumer that
 * long-polls one idle partition costs 60 s / this in head GETs a minute (4).
 */
const POLL_INTERVAL_MS = 15_000;
/**
 * How long client quotas are reused (EngineIntervals.quotaCacheMs): each fetch of an idle long poll
 * would otherwise GET the quota object. A quota set through another broker throttles within it.
 */
const QUOTA_CACHE_MS = 60_000;
/**
 * How long a fetch's topic lookup may be answered from the last catalog read (TopicLookup.reuse):
 * deletion and re-creation are noticed by the head read that follows, added partitions by a
 * fresh lookup, so only a config changed through another broker (a sink topic) shows this late.
 */
const CATALOG_REUSE_MS = 300_000;
/**
 * How often retention and compaction run: Kafka's log.retention.check.interval.ms default. Each pass is a GET
 * of the catalog and of every head, so the broker's 30 s cost an idle broker four GETs a minute per partition.
 */
const CLEANER_INTERVAL_MS = 300_000;
/** Objects deleted at once. */
const DELETE_CONCURRENCY = 16;
/** Times a read retries with a fresh head when an object it refers to was just rewritten. */
const VANISHED_RETRIES = 5;

export class S3Storage implements Storage {
  readonly kind = "s3";
  readonly intervals = { pollIntervalMs: POLL_INTERVAL_MS, cleanerIntervalMs: CLEANER_INTERVAL_MS, quotaCacheMs: QUOTA_CACHE_MS };
  readonly #store: ObjectStore;
  readonly #keys: ObjectKeys;
  readonly #offsets: GroupOffsets;
  readonly #records: CasRecords;
  readonly #index: BatchIndex;
  readonly #indexLimit: number;
  readonly #indexKeep: number;
  readonly #coalescing: Coalescing;
  /** Topic name -> catalog entry as last read; revalidated by the head it leads to. */
  readonly #topics = new Map<string, CatalogTopic>();
  /** Head key -> the last version this process read or wrote: an append's first CAS guess. */
  readonly #heads = new Map<string, Document<PartitionHead>>();
  /** The topic catalog as last read, sent back as If-None-Match on the next read. */
  #catalog: Document<Catalog> | null = null;
  /** When #catalog was last confirmed by a read (performance.now()); -Infinity after this process changed the catalog. */
  #catalogReadAt = -Infinity;
  /** Head key -> this process's appends to that head, committed a group per head write. */
  readonly #appendGroups = new Map<string, AppendGroup<HeadLocation>>();
  readonly #headAccess: HeadAccess<HeadLocation> = {
    writableHead: async (location, fresh) => {
      const known = fresh ? undefined : this.#heads.get(location.key);
      return known ? { location, head: known, fresh: false } : { ...(await this.#headAt(location)), fresh: true };
    },
    writeHead: (location, etag, head) => this.#writeHead(location, etag, head),
    upload: (location, object, bytes) => {
      const key = this.#keys.batch(location.logId, location.partition, object);
      return { logId: location.logId, key, written: this.#upload(key, bytes) };
    },
    discard: (upload) => this.#discard([upload.key], upload.written),
  };
  /** Head key -> tail of this process's queue of head writers, to avoid racing ourselves. */
  readonly #headQueues = new Map<string, Promise<unknown>>();
  #closed = false;

  private constructor(store: ObjectStore, prefix: string, options: S3StorageOptions) {
    this.#store = store;
    this.#keys = new ObjectKeys(prefix);
    this.#offsets = new GroupOffsets(store, this.#keys);
    this.#records = new CasRecords(store, this.#keys);
    this.#index = new BatchIndex(store, this.#keys);
    this.#indexLimit = options.headIndexLimit ?? DEFAULT_HEAD_INDEX_LIMIT;
    this.#indexKeep = Math.min(options.headIndexKeep ?? DEFAULT_HEAD_INDEX_KEEP, this.#indexLimit - 1);
    this.#coalescing = options.coalescing ?? NO_COALESCING;
  }

  /**
   * Opens s3://BUCKET/ or s3://BUCKET/PREFIX/ (see s3Location for the environment it reads).
   * @throws Error for a malformed URL; StorageUnavailableError when the bucket is unreachable
   */
  static async open(url: string, options: S3StorageOptions = {}): Promise<S3Storage> {
    const location = s3Location(url, options.env);
    const { batchMaxDelayMs, batchMinBytes } = s3UrlSettings(url);
    options = { coalescing: { maxDelayMs: batchMaxDelayMs, minBytes: batchMinBytes }, ...options };
    const store = new ObjectStore(location.bucket, location.endpoint, location.client, location.headers);
    try {
      await store.checkBucket();
    } catch (error) {
      store.close();
      throw error;
    }
    return new S3Storage(store, location.prefix, options);
  }

  // --- topics ---------------------------------------------------------------------

  async createTopic(topic: NewTopic): Promise<Topic> {
    this.#checkOpen("createTopic");
    if (!Number.isInteger(topic.partitions) || topic.partitions < 1) {
      throw new InvalidPartitionsError(`topic ${topic.name}: ${topic.partitions} partitions`);
    }
    const created: CatalogTopic = {
      name: topic.name,
      id: topic.id ?? crypto.randomUUID(),
      partitions: topic.partitions,
      configs: { ...topic.configs },
      logId: freshObjectName(),
    };
    this.#checkNewTopic(await this.#readCatalog(), created);
    // Heads before the catalog entry: a listed partition always has its head.
    await this.#createHeads(created, 0);
    try {
      await updateDocument<Catalog, void>(this.#store, this.#keys.topics(), (catalog) => {
        this.#checkNewTopic(catalog, created);
        return { next: { topics: [...(catalog?.topics ?? []), created] }, result: undefined };
      });
    } catch (error) {
      await this.#removeLog(created.logId);
      throw error;
    }
    this.#topics.set(created.name, created);
    return topicView(created);
  }

  async deleteTopic(by: { name: string } | { id: Uuid }): Promise<Topic | null> {
    this.#checkOpen("deleteTopic");
    const topic = findTopic(await this.#readCatalog(), by);
    if (!topic) return null;
    let tombstoned = 0;
    const removed = await retryLostRaces(`deleteTopic ${topic.name}`, async () => {
      const current = await readDocument<Catalog>(this.#store, this.#keys.topics());
      const listed = current?.value.topics.find((t) => t.logId === topic.logId);
      // Another broker deleting the same topic finished first; it reports the deletion.
      if (!current || !listed) return false;
      // Every partition listed when the entry goes, including ones a concurrent
      // createPartitions added, must be closed to appends first.
      const more = Array.from({ length: listed.partitions - tombstoned }, (_, i) => tombstoned + i);
      await Promise.all(more.map((p) => this.#tombstoneHead(this.#keys.head(topic.logId, p))));
      tombstoned = listed.partitions;
      const written = await writeDocument(this.#store, this.#keys.topics(), withTopic(current.value, topic.logId, null), current.etag);
      return written === null ? LOST_RACE : true;
    });
    this.#topics.delete(topic.name);
    this.#catalogChanged();
    if (!removed) return null;
    await this.#offsets.deleteTopic(topic.name);
    await this.#removeLog(topic.logId);
    return topicView(topic);
  }

  async getTopic(by: { name: string } | { id: Uuid }, lookup?: TopicLookup): Promise<Topic | null> {
    this.#checkOpen("getTopic");
    const reusable = lookup?.reuse && performance.now() - this.#catalogReadAt < CATALOG_REUSE_MS;
    const known = reusable ? findTopic(this.#catalog?.value ?? null, by) : null;
    if (known && known.partitions >= (lookup?.partitions ?? 0)) return topicView(known);
    const topic = findTopic(await this.#readCatalog(), by);
    return topic ? topicView(topic) : null;
  }

  async listTopics(): Promise<Topic[]> {
    this.#checkOpen("listTopics");
    const catalog = await this.#readCatalog();
    return (catalog?.topics ?? []).map(topicView).sort((a, b) => compareText(a.name, b.name));
  }

  async createPartitions(name: string, count: number): Promise<Topic> {
    this.#checkOpen("createPartitions");
    const grown = await retryLostRaces(`createPartitions ${name}`, async () => {
      const current = await readDocument<Catalog>(this.#store, this.#keys.topics());
      const topic = findTopic(current?.value ?? null, { name });
      if (!current || !topic) throw new UnknownTopicError(`unknown topic ${name}`);
      if (!Number.isInteger(count) || count <= topic.partitions) {
        throw new InvalidPartitionsError(`topic ${name} has ${topic.partitions} partitions, cannot change to ${count}`);
      }
      const next = { ...topic, partitions: count };
      await this.#createHeads(next, topic.partitions);
      const written = await writeDocument(this.#store, this.#keys.topics(), withTopic(current.value, topic.logId, next), current.etag);
      return written === null ? LOST_RACE : next;
    });
    this.#topics.set(name, grown);
    this.#catalogChanged();
    return topicView(grown);
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<Topic> {
    this.#checkOpen("setTopicConfigs");
    const updated = await updateDocument<Catalog, CatalogTopic>(this.#store, this.#keys.topics(), (catalog) => {
      const topic = findTopic(catalog, { name });
      if (!catalog || !topic) throw new UnknownTopicError(`unknown topic ${name}`);
      const next = { ...topic, configs: { ...configs } };
      return { next: withTopic(catalog, topic.logId, next), result: next };
    });
    this.#catalogChanged();
    return topicView(updated);
  }

  // --- the log --------------------------------------------------------------------

  async append(tp: TopicPartition, batch: AppendBatch): Promise<AppendResult> {
    this.#checkOpen("append");
    const location = await this.#locate(tp);
    let group = this.#appendGroups.get(location.key);
    if (!group) {
      const created = new AppendGroup(
        this.#headAccess,
        location,
        `${tp.topic}-${tp.partition}`,
        () => {
          if (this.#appendGroups.get(location.key) === created) this.#appendGroups.delete(location.key);
        },
        this.#coalescing,
      );
      this.#appendGroups.set(location.key, (group = created));
    }
    return group.append(batch, freshObjectName());
  }

  async fetch(tp: TopicPartition, options: FetchOptions): Promise<FetchResult> {
    this.#checkOpen("fetch");
    for (let attempt = 0; ; attempt++) {
      const { location, head } = await this.#readHead(tp);
      if (options.topicId !== undefined && location.topic.id !== options.topicId) {
        throw new UnknownTopicError(`topic ${tp.topic} was deleted: its name now names topic id ${location.topic.id}, not ${options.topicId}`);
      }
      const offsets = offsetsOf(head);
      checkFetchOffset(options.fetchOffset, offsets);
      const committed = options.isolation === "read_committed";
      const below = committed ? offsets.lastStableOffset : offsets.highWatermark;
      if (options.fetchOffset >= below) return { ...offsets, batches: [], abortedTransactions: [] };

      const picked = await this.#index.pick(location, head, options.fetchOffset, below, options.maxBytes);
      const batches = picked && (await this.#index.download(location, picked));
      if (!picked || !batches) {
        if (attempt < VANISHED_RETRIES) continue;
        throw new StorageUnavailableError(`fetch ${tp.topic}-${tp.partition}: batch objects keep vanishing`);
      }
      const lastOffset = picked.at(-1)?.lastOffset;
      const abortedTransactions: AbortedTransaction[] =
        committed && lastOffset !== undefined
          ? head.aborted
              .filter((a) => a.firstOffset <= lastOffset && a.lastOffset >= options.fetchOffset)
              .map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }))
          : [];
      return { ...offsets, batches, abortedTransactions };
    }
  }

  async offsets(tp: TopicPartition): Promise<PartitionOffsets> {
    this.#checkOpen("offsets");
    return offsetsOf((await this.#readHead(tp)).head);
  }

  async offsetForTimestamp(tp: TopicPartition, timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | null> {
    this.#checkOpen("offsetForTimestamp");
    const { location, head } = await this.#readHead(tp);
    const chunks = head.chunks.filter((c) => c.maxTimestamp >= timestamp);
    for await (const entry of this.#index.entriesOf(location, head, chunks)) {
      if (entry.maxTimestamp >= timestamp) return { offset: visibleOffset(entry.baseOffset, head), timestamp: entry.maxTimestamp };
    }
    return null;
  }

  async maxTimestamp(tp: TopicPartition): Promise<{ offset: bigint; timestamp: bigint } | null> {
    this.#checkOpen("maxTimestamp");
    const { location, head } = await this.#readHead(tp);
    let best: IndexEntry | null = null;
    for await (const entry of this.#index.entriesOf(location, head, head.chunks)) {
      if (best === null || entry.maxTimestamp > best.maxTimestamp) best = entry;
    }
    return best ? { offset: visibleOffset(best.baseOffset, head), timestamp: best.maxTimestamp } : null;
  }

  async deleteRecords(tp: TopicPartition, offset: bigint): Promise<bigint> {
    this.#checkOpen("deleteRecords");
    const location = await this.#locate(tp);
    const { logStart, dropped } = await retryLostRaces(`deleteRecords ${tp.topic}-${tp.partition}`, () =>
      this.#queued(location.key, async () => {
        const current = await this.#headAt(location);
        const head = current.head.value;
        const logStart = logStartAfterDelete(offset, head);
        const next = withLogStart(head, logStart);
        if (!(await this.#writeHead(current.location, current.head.etag, next))) return LOST_RACE;
        const keptChunks = new Set(next.chunks.map((c) => c.object));
        const keptEntries = new Set(next.entries.map((e) => e.object));
        return {
          logStart,
          dropped: {
            location: current.location,
            chunks: head.chunks.filter((c) => !keptChunks.has(c.object)),
            entries: head.entries.filter((e) => !keptEntries.has(e.object)),
          },
        };
      }),
    );
    await this.#removeDropped(dropped.location, dropped.chunks, dropped.entries);
    return logStart;
  }

  async batchSummaries(tp: TopicPartition): Promise<BatchSummary[]> {
    this.#checkOpen("batchSummaries");
    const { location, head } = await this.#readHead(tp);
    const summaries: BatchSummary[] = [];
    for await (const e of this.#index.entriesOf(location, head, head.chunks)) {
      summaries.push({ baseOffset: e.baseOffset, lastOffset: e.lastOffset, maxTimestamp: e.maxTimestamp, sizeBytes: e.size });
    }
    return summaries;
  }

  async replaceBatch(tp: TopicPartition, baseOffset: bigint, bytes: Uint8Array | null): Promise<void> {
    this.#checkOpen("replaceBatch");
    const location = await this.#locate(tp);
    const object = freshObjectName();
    // The rewritten bytes, uploaded once into the log the batch is in.
    const upload: { logId: string | null; written: Promise<string> | null } = { logId: null, written: null };
    try {
      const replaced = await retryLostRaces(`replaceBatch ${tp.topic}-${tp.partition}@${baseOffset}`, () =>
        this.#queued(location.key, async () => {
          const current = await this.#headAt(location);
          const at = current.location;
          const head = current.head.value;
          const found = await this.#index.findEntry(at, head, baseOffset);
          if (!found) throw new OffsetOutOfRangeError(`${tp.topic}-${tp.partition} has no batch at offset ${baseOffset}`);
          const replacement = bytes === null ? null : { ...found.entry, size: bytes.byteLength, object };
          if (bytes !== null && upload.logId === null) {
            upload.logId = at.topic.logId;
            upload.written = this.#upload(this.#keys.batch(at.topic.logId, tp.partition, object), bytes);
          }
          if (upload.logId !== null && upload.logId !== at.topic.logId) {
            throw new UnknownTopicError(`topic ${tp.topic} was re-created during replaceBatch`);
          }
          await upload.written;
          const change = (entries: IndexEntry[]) =>
            entries.flatMap((e) => (e.baseOffset !== baseOffset ? [e] : replacement ? [replacement] : []));
          let next: PartitionHead;
          let newChunk: string | null = null;
          if (found.chunk === null) {
            next = { ...head, entries: change(head.entries) };
          } else {
            const remaining = change(found.chunkEntries);
            const others = head.chunks.filter((c) => c.object !== found.chunk!.object);
            if (remaining.length === 0) {
              next = { ...head, chunks: others };
            } else {
              newChunk = await this.#index.writeChunk(at, remaining);
              const ref = chunkRefOf(remaining, newChunk);
              next = { ...head, chunks: [...others, ref].sort((a, b) => (a.baseOffset < b.baseOffset ? -1 : 1)) };
            }
          }
          if (!(await this.#writeHead(at, current.head.etag, next))) {
            if (newChunk) await this.#discard([this.#keys.indexChunk(at.topic.logId, tp.partition, newChunk)]);
            return LOST_RACE;
          }
          return { at, old: found };
        }),
      );
      const garbage = [this.#keys.batch(replaced.at.topic.logId, tp.partition, replaced.old.entry.object)];
      if (replaced.old.chunk) garbage.push(this.#keys.indexChunk(replaced.at.topic.logId, tp.partition, replaced.old.chunk.object));
      await this.#discard(garbage);
    } catch (error) {
      if (upload.logId !== null) await this.#discard([this.#keys.batch(upload.logId, tp.partition, object)], upload.written!);
      throw error;
    }
  }

  // --- consumer offsets -------------------------------------------------------------

  async commitOffsets(group: string, offsets: CommittedOffset[]): Promise<void> {
    this.#checkOpen("commitOffsets");
    return this.#offsets.commit(group, offsets);
  }

  async fetchOffsets(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
    this.#checkOpen("fetchOffsets");
    return this.#offsets.fetch(group, partitions);
  }

  async deleteOffsets(group: string, partitions: TopicPartition[]): Promise<void> {
    this.#checkOpen("deleteOffsets");
    return this.#offsets.delete(group, partitions);
  }

  // --- compare-and-set records --------------------------------------------------------

  async getRecord<T>(namespace: string, key: string): Promise<Versioned<T> | null> {
    this.#checkOpen("getRecord");
    return this.#records.get<T>(namespace, key);
  }

  async putRecord<T>(namespace: string, key: string, value: T, expected: string | null): Promise<string | null> {
    this.#checkOpen("putRecord");
    return this.#records.put(namespace, key, value, expected);
  }

  async deleteRecord(namespace: string, key: string, expected: string): Promise<boolean> {
    this.#checkOpen("deleteRecord");
    return this.#records.delete(namespace, key, expected);
  }

  async listRecords<T>(namespace: string): Promise<Array<{ key: string } & Versioned<T>>> {
    this.#checkOpen("listRecords");
    return this.#records.list<T>(namespace);
  }

  // --- producers ------------------------------------------------------------------

  async allocateProducerId(): Promise<bigint> {
    this.#checkOpen("allocateProducerId");
    return updateDocument<bigint, bigint>(this.#store, this.#keys.producerIds(), (next) => ({
      next: (next ?? 0n) + 1n,
      result: next ?? 0n,
    }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#store.close();
  }

  // --- topics: internals ------------------------------------------------------------

  async #readCatalog(): Promise<Catalog | null> {
    const key = this.#keys.topics();
    const read = await revalidateDocument(this.#store, key, this.#catalog ?? undefined, (body) => decodeDocument<Catalog>(key, body));
    this.#catalogReadAt = performance.now();
    if (read !== this.#catalog) {
      this.#catalog = read;
      this.#topics.clear();
      for (const topic of read?.value.topics ?? []) this.#topics.set(topic.name, topic);
    }
    return read?.value ?? null;
  }

  /** After this process changed the catalog, lookups read it again rather than reuse the copy. */
  #catalogChanged(): void {
    this.#catalogReadAt = -Infinity;
  }

  #checkNewTopic(catalog: Catalog | null, topic: CatalogTopic): void {
    if (findTopic(catalog, { name: topic.name })) throw new TopicExistsError(`topic ${topic.name} already exists`);
    if (findTopic(catalog, { id: topic.id })) throw new TopicExistsError(`topic id ${topic.id} already exists`);
  }

  /** Empty heads for partitions from..topic.partitions; one left by an earlier attempt is kept. */
  async #createHeads(topic: CatalogTopic, from: number): Promise<void> {
    const body = encodeDocument(encodeHead(emptyHead()));
    await Promise.all(
      Array.from({ length: topic.partitions - from }, (_, i) => this.#store.putIfAbsent(this.#keys.head(topic.logId, from + i), body)),
    );
  }

  async #tombstoneHead(key: string): Promise<void> {
    await updateDocument<EncodedHead, void>(this.#store, key, (current) => {
      const head = current ? decodeHead(current) : emptyHead();
      return head.deleted ? { result: undefined } : { next: encodeHead({ ...head, deleted: true }), result: undefined };
    });
    this.#heads.delete(key);
  }

  /** Deletes every object of a log that no catalog entry names any more. */
  async #removeLog(logId: string): Promise<void> {
    try {
      const keys = await this.#store.list(this.#keys.log(logId));
      await this.#deleteAll(keys);
    } catch (error) {
      // Unreachable without a catalog entry, so a leftover costs space, not correctness.
      consola.warn(`s3 storage: could not remove all objects of deleted log ${logId}; they are unreachable:`, error);
    }
  }

  // --- the log: internals -----------------------------------------------------------

  /** Where tp's head is, from the cached catalog entry when it has the partition. */
  async #locate(tp: TopicPartition): Promise<HeadLocation> {
    const cached = this.#topics.get(tp.topic);
    const topic = cached && hasPartition(cached, tp.partition) ? cached : await this.#freshTopic(tp);
    return { topic, logId: topic.logId, partition: tp.partition, key: this.#keys.head(topic.logId, tp.partition) };
  }

  /** @throws UnknownTopicError when the catalog has no such topic or partition */
  async #freshTopic(tp: TopicPartition): Promise<CatalogTopic> {
    const topic = findTopic(await this.#readCatalog(), { name: tp.topic });
    if (!topic || !hasPartition(topic, tp.partition)) throw new UnknownTopicError(`unknown topic or partition ${tp.topic}-${tp.partition}`);
    return topic;
  }

  /**
   * The head at `location`, or, when that log was deleted, the head of the topic now under
   * that name (re-reading the catalog). One GET when the cached topic is current.
   * @throws UnknownTopicError
   */
  async #headAt(location: HeadLocation): Promise<{ location: HeadLocation; head: Document<PartitionHead> }> {
    for (;;) {
      const key = location.key;
      const head = await revalidateDocument(this.#store, key, this.#heads.get(key), (body) => decodeDocument(key, body, decodeHead));
      if (head && !head.value.deleted) {
        this.#heads.set(key, head);
        return { location, head };
      }
      this.#heads.delete(location.key);
      const topic = await this.#freshTopic({ topic: location.topic.name, partition: location.partition });
      if (topic.logId === location.topic.logId) {
        if (head) throw new UnknownTopicError(`topic ${topic.name} is being deleted`);
        throw new StorageUnavailableError(`s3 head ${location.key} of listed partition ${topic.name}-${location.partition} is missing`);
      }
      location = { topic, logId: topic.logId, partition: location.partition, key: this.#keys.head(topic.logId, location.partition) };
    }
  }

  async #readHead(tp: TopicPartition): Promise<{ location: HeadLocation; head: PartitionHead }> {
    const { location, head } = await this.#headAt(await this.#locate(tp));
    return { location, head: head.value };
  }

  /** CAS of the head; false when another writer got there first (our cached version is then dropped). */
  async #writeHead(location: HeadLocation, etag: string, head: PartitionHead): Promise<boolean> {
    const moved = overflowOf(head, this.#indexLimit, this.#indexKeep);
    let chunk: string | null = null;
    if (moved) {
      chunk = await this.#index.writeChunk(location, moved);
      head = withChunk(head, moved, chunk);
    }
    const written = await writeDocument(this.#store, location.key, encodeHead(head), etag);
    if (written === null) {
      this.#heads.delete(location.key);
      if (chunk) await this.#discard([this.#keys.indexChunk(location.topic.logId, location.partition, chunk)]);
      return false;
    }
    this.#heads.set(location.key, { value: head, etag: written });
    return true;
  }

  async #removeDropped(location: HeadLocation, chunks: ChunkRef[], entries: IndexEntry[]): Promise<void> {
    try {
      const keys = entries.map((e) => this.#keys.batch(location.topic.logId, location.partition, e.object));
      for (const ref of chunks) {
        for (const e of (await this.#index.chunk(location, ref)) ?? []) {
          keys.push(this.#keys.batch(location.topic.logId, location.partition, e.object));
        }
        keys.push(this.#keys.indexChunk(location.topic.logId, location.partition, ref.object));
      }
      await this.#deleteAll(keys);
    } catch (error) {
      // The head no longer refers to them: leftovers cost space, not correctness.
      consola.warn(`s3 storage: could not delete all objects below the log start of ${location.key}:`, error);
    }
  }

  /** Starts writing a batch object that will be awaited later, maybe after other awaits. */
  #upload(key: string, bytes: Uint8Array): Promise<string> {
    const written = this.#store.put(key, bytes);
    // Its failure is handled where it is awaited; this only keeps an early rejection from
    // counting as unhandled while the caller is still awaiting something else.
    written.catch(() => undefined);
    return written;
  }

  /** Deletes objects no head refers to (after `written` settles, when given); failures only cost space. */
  async #discard(keys: string[], written?: Promise<unknown>): Promise<void> {
    try {
      await written;
      await this.#deleteAll(keys);
    } catch (error) {
      consola.warn(`s3 storage: could not delete unreferenced objects ${keys.join(", ")}:`, error);
    }
  }

  async #deleteAll(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
      await Promise.all(keys.slice(i, i + DELETE_CONCURRENCY).map((key) => this.#store.delete(key)));
    }
  }

  /**
   * Runs `body` after this process's earlier writers of the same head: they would only
   * make each other lose races. Other processes are still decided by the CAS.
   */
  #queued<R>(key: string, body: () => Promise<R>): Promise<R> {
    const previous = this.#headQueues.get(key) ?? Promise.resolve();
    const run = previous.then(body, body);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#headQueues.set(key, tail);
    void tail.then(() => {
      if (this.#headQueues.get(key) === tail) this.#headQueues.delete(key);
    });
    return run;
  }

  #checkOpen(operation: string): void {
    if (this.#closed) throw new StorageUnavailableError(`${operation}: s3 store ${this.#store.bucket} is closed`);
  }
}

function hasPartition(topic: CatalogTopic, partition: number): boolean {
  return Number.isInteger(partition) && partition >= 0 && partition < topic.partitions;
}
