// Transaction coordinator state in the shared store, one compare-and-set record per
// transactional id. Every broker reads and writes it the same way, so no broker owns a
// transactional id: whoever wins the compare-and-set made the transition.

import type { Storage, Versioned } from "../../storage/storage.ts";
import { isOpen, type TxnState } from "./txn-state.ts";

const NAMESPACE = "txn";

/** How often one request re-reads and retries after losing a compare-and-set race. */
const MAX_ATTEMPTS = 16;

/** Too many lost races in a row; clients see CONCURRENT_TRANSACTIONS and retry. */
export class TxnConflictError extends Error {
  constructor(transactionalId: string, what: string) {
    super(`${what} for transactional id ${transactionalId} lost ${MAX_ATTEMPTS} compare-and-set races in a row`);
    this.name = "TxnConflictError";
  }
}

export function readTxn(storage: Storage, transactionalId: string): Promise<Versioned<TxnState> | null> {
  return storage.getRecord<TxnState>(NAMESPACE, transactionalId);
}

/** Who hears of the transactions this process leaves open, by the store they were written to. */
const openedListeners = new WeakMap<Storage, Set<() => void>>();

/**
 * Calls `listener` whenever this process writes an open transaction to `storage` (the timeout sweep, so that it
 * need not list the store often while it knows of none). Returns the unsubscribe.
 */
export function onTxnOpened(storage: Storage, listener: () => void): () => void {
  let listeners = openedListeners.get(storage);
  if (!listeners) openedListeners.set(storage, (listeners = new Set()));
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Writes `next` if the record is still at `version` (null: still absent); the new version, or null on a lost race. */
export async function writeTxn(storage: Storage, transactionalId: string, next: TxnState, version: string | null): Promise<string | null> {
  const written = await storage.putRecord<TxnState>(NAMESPACE, transactionalId, next, version);
  if (written !== null && isOpen(next)) for (const listener of openedListeners.get(storage) ?? []) listener();
  return written;
}

export function listTxns(storage: Storage): Promise<Array<{ key: string } & Versioned<TxnState>>> {
  return storage.listRecords<TxnState>(NAMESPACE);
}

/** Sentinel an attempt returns when its compare-and-set lost, to be run again on fresh state. */
export const RETRY = Symbol("retry");

/** Runs `attempt` (read, decide, compare-and-set) until it does not ask to retry. */
export async function withRetries<T>(transactionalId: string, what: string, attempt: () => Promise<T | typeof RETRY>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const result = await attempt();
    if (result !== RETRY) return result;
  }
  throw new TxnConflictError(transactionalId, what);
}
