// A partition's batch index as readers see it: the head's newest entries after the
// immutable chunks holding older ones, and the batch objects the entries name. Chunks never
// change once written, so this keeps the recently used ones decoded in memory.

import { StorageUnavailableError } from "../../errors.ts";
import { stampBaseOffset } from "../../log-rules.ts";
import { decodeDocument, encodeDocument } from "./cas-document.ts";
import { freshObjectName, type ObjectKeys } from "./object-keys.ts";
import type { ObjectStore } from "./object-store.ts";
import { decodeEntries, encodeEntries, type ChunkRef, type IndexEntry, type PartitionHead } from "./partition-head.ts";
import type { CatalogTopic } from "./topic-catalog.ts";

/** Immutable chunks kept decoded in memory; a reader far behind re-reads at most this many. */
const CHUNK_CACHE_SIZE = 64;
/** Batch objects downloaded at once by one fetch. */
const FETCH_CONCURRENCY = 16;
/**
 * At most this many batches (one GET each) per fetch, whatever maxBytes allows: a consumer
 * far behind catches up over several fetches instead of one fetch of thousands of GETs.
 */
const MAX_FETCH_BATCHES = 64;

export interface HeadLocation {
  topic: CatalogTopic;
  /** topic.logId, where the partition's objects live. */
  logId: string;
  partition: number;
  key: string;
}

export class BatchIndex {
  readonly #store: ObjectStore;
  readonly #keys: ObjectKeys;
  /** Chunk key -> entries; chunks never change, so a cached one is never stale. */
  readonly #chunks = new Map<string, IndexEntry[]>();

  constructor(store: ObjectStore, keys: ObjectKeys) {
    this.#store = store;
    this.#keys = keys;
  }

  async writeChunk(location: HeadLocation, entries: IndexEntry[]): Promise<string> {
    const object = freshObjectName();
    const key = this.#keys.indexChunk(location.topic.logId, location.partition, object);
    await this.#store.put(key, encodeDocument(encodeEntries(entries)));
    this.#remember(key, entries);
    return object;
  }

  /** A chunk's entries; null when it was just replaced or dropped (the caller's head is stale). */
  async chunk(location: HeadLocation, ref: ChunkRef): Promise<IndexEntry[] | null> {
    const key = this.#keys.indexChunk(location.topic.logId, location.partition, ref.object);
    const cached = this.#chunks.get(key);
    if (cached) return cached;
    const object = await this.#store.get(key);
    if (!object) return null;
    const entries = decodeDocument(key, object.body, decodeEntries);
    this.#remember(key, entries);
    return entries;
  }

  #remember(key: string, entries: IndexEntry[]): void {
    this.#chunks.set(key, entries);
    if (this.#chunks.size > CHUNK_CACHE_SIZE) this.#chunks.delete(this.#chunks.keys().next().value!);
  }

  /** Index entries of `chunks` then of the head, in offset order, skipping those wholly below the log start. */
  async *entriesOf(location: HeadLocation, head: PartitionHead, chunks: ChunkRef[]): AsyncGenerator<IndexEntry> {
    for (const ref of chunks) {
      const entries = await this.chunk(location, ref);
      if (entries === null) throw new VanishedError();
      for (const entry of entries) if (entry.lastOffset >= head.logStartOffset) yield entry;
    }
    yield* head.entries;
  }

  /** Index entries from the one holding `offset` on. */
  async *#entriesFrom(location: HeadLocation, head: PartitionHead, offset: bigint): AsyncGenerator<IndexEntry> {
    const chunks = head.chunks.filter((c) => c.lastOffset >= offset);
    for await (const entry of this.entriesOf(location, head, chunks)) if (entry.lastOffset >= offset) yield entry;
  }

  /** The index entry at exactly `baseOffset` still in the log, with the chunk holding it (null: the head). */
  async findEntry(
    location: HeadLocation,
    head: PartitionHead,
    baseOffset: bigint,
  ): Promise<{ entry: IndexEntry; chunk: ChunkRef | null; chunkEntries: IndexEntry[] } | null> {
    const inHead = head.entries.find((e) => e.baseOffset === baseOffset);
    if (inHead) return { entry: inHead, chunk: null, chunkEntries: [] };
    const ref = head.chunks.find((c) => c.baseOffset <= baseOffset && baseOffset <= c.lastOffset);
    if (!ref) return null;
    const entries = await this.chunk(location, ref);
    if (entries === null) throw new VanishedError();
    const entry = entries.find((e) => e.baseOffset === baseOffset && e.lastOffset >= head.logStartOffset);
    return entry ? { entry, chunk: ref, chunkEntries: entries } : null;
  }

  /**
   * The index entries a fetch from `offset` returns: by the rule of collectWithinBudget,
   * decided on the index's sizes before downloading. Null when a chunk vanished.
   */
  async pick(location: HeadLocation, head: PartitionHead, offset: bigint, below: bigint, maxBytes: number): Promise<IndexEntry[] | null> {
    const picked: IndexEntry[] = [];
    let size = 0;
    try {
      for await (const entry of this.#entriesFrom(location, head, offset)) {
        if (entry.baseOffset >= below || picked.length === MAX_FETCH_BATCHES) break;
        if (picked.length > 0 && size + entry.size > maxBytes) break;
        picked.push(entry);
        size += entry.size;
      }
    } catch (error) {
      if (error instanceof VanishedError) return null;
      throw error;
    }
    return picked;
  }

  /** The batches' bytes stamped with their offsets; null when one vanished (rewritten or deleted since the head was read). */
  async download(location: HeadLocation, entries: IndexEntry[]): Promise<Uint8Array[] | null> {
    const batches: Uint8Array[] = [];
    for (let i = 0; i < entries.length; i += FETCH_CONCURRENCY) {
      const slice = entries.slice(i, i + FETCH_CONCURRENCY);
      const objects = await Promise.all(
        slice.map((e) => this.#store.get(this.#keys.batch(location.topic.logId, location.partition, e.object))),
      );
      for (const [j, object] of objects.entries()) {
        if (object === null) return null;
        // The bytes were stored before their offset was known; the download is ours to stamp.
        stampBaseOffset(object.body, slice[j].baseOffset);
        batches.push(object.body);
      }
    }
    return batches;
  }
}

/** A chunk the head refers to is gone: the head was read before a rewrite; read it again. */
export class VanishedError extends StorageUnavailableError {
  override name = "VanishedError";
  constructor() {
    super("an index chunk vanished while reading: the head changed under the reader");
  }
}

