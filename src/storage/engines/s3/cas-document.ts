// Mutable JSON objects changed only by compare-and-set: read body and ETag, compute, write
// If-Match that ETag (If-None-Match "*" to create), and on a lost race read again. Every
// body carries a random revision, so writing equal content twice still yields two ETags
// (RGW's ETag is the body's MD5): an ETag seen once identifies exactly one write.

import { StorageUnavailableError } from "../../errors.ts";
import { decodeValue, encodeValue } from "../../record-codec.ts";
import { NOT_MODIFIED, type ObjectStore } from "./object-store.ts";

export interface Document<T> {
  value: T;
  etag: string;
}

/** An attempt's outcome when its conditional write lost to another writer. */
export const LOST_RACE = Symbol("lost race");

/** Enough to ride out heavy contention; beyond it something is wrong with the store. */
const MAX_ATTEMPTS = 200;
/** Lost races back off a random while, growing up to this, so contenders spread out. */
const MAX_BACKOFF_MS = 50;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeDocument(value: unknown): Uint8Array {
  return encoder.encode(encodeValue({ rev: crypto.randomUUID(), value }));
}

/**
 * The value of the document stored at `key`, passed through `convert` (from its JSON form).
 * @throws StorageUnavailableError when the object is not a document of the expected shape
 */
export function decodeDocument<T, J = T>(key: string, body: Uint8Array, convert: (json: J) => T = (json) => json as unknown as T): T {
  try {
    return convert(decodeValue<{ rev: string; value: J }>(decoder.decode(body)).value);
  } catch (error) {
    throw new StorageUnavailableError(`s3 object ${key} is not a readable tansu document: ${String(error)}`, { cause: error });
  }
}

export async function readDocument<T>(store: ObjectStore, key: string): Promise<Document<T> | null> {
  const object = await store.get(key);
  return object && { value: decodeDocument<T>(key, object.body), etag: object.etag };
}

/**
 * Reads `key` as current as readDocument does, sending the ETag of `known` (a version this
 * process read or wrote) as If-None-Match: an unchanged object then costs the request but no
 * body and no decoding, and `known` itself is returned. Null when the object is gone.
 */
export async function revalidateDocument<T>(
  store: ObjectStore,
  key: string,
  known: Document<T> | undefined,
  decode: (body: Uint8Array) => T,
): Promise<Document<T> | null> {
  const object = known ? await store.getIfChanged(key, known.etag) : await store.get(key);
  if (object === NOT_MODIFIED) return known!;
  return object && { value: decode(object.body), etag: object.etag };
}

/** Writes `value` if the object is still at `etag` (null: still absent); the new ETag, or null on a lost race. */
export function writeDocument(store: ObjectStore, key: string, value: unknown, etag: string | null): Promise<string | null> {
  const body = encodeDocument(value);
  return etag === null ? store.putIfAbsent(key, body) : store.putIfMatch(key, body, etag);
}

/**
 * Runs `attempt` until it does not lose a race.
 * @throws StorageUnavailableError after MAX_ATTEMPTS lost races
 */
export async function retryLostRaces<R>(what: string, attempt: () => Promise<R | typeof LOST_RACE>): Promise<R> {
  for (let attempts = 1; ; attempts++) {
    const result = await attempt();
    if (result !== LOST_RACE) return result;
    if (attempts === MAX_ATTEMPTS) {
      throw new StorageUnavailableError(`${what}: lost ${MAX_ATTEMPTS} compare-and-set races in a row`);
    }
    await Bun.sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempts));
  }
}

/**
 * Read-modify-write of one document. `change` gets the current value (null when absent)
 * and returns the value to write with the caller's result, or only a result to write nothing.
 */
export function updateDocument<T, R>(
  store: ObjectStore,
  key: string,
  change: (current: T | null) => { next: T; result: R } | { result: R },
): Promise<R> {
  return retryLostRaces(`update ${key}`, async () => {
    const current = await readDocument<T>(store, key);
    const outcome = change(current?.value ?? null);
    if (!("next" in outcome)) return outcome.result;
    const written = await writeDocument(store, key, outcome.next, current?.etag ?? null);
    return written === null ? LOST_RACE : outcome.result;
  });
}
