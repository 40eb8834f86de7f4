// How rows become commits: never one file per produce. Rows are buffered per table and
// committed together when the buffer reaches `records` rows or `intervalMs` after its first row,
// whichever comes first; flush() commits at once. One commit per table is in flight at a time;
// rows arriving meanwhile wait for the next. Each add() resolves when the commit holding its
// rows is done (that is when a sink topic's produce may be acknowledged), or rejects with why.

import type { PendingRow, SchemaBatch } from "./table-writer.ts";
import type { TableSchema } from "./table-schema.ts";

export interface BatchPolicy {
  /** Commit once this many rows are buffered. */
  records: number;
  /** Commit this long after the first buffered row at the latest. */
  intervalMs: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class CommitBatcher {
  readonly #commit: (batches: SchemaBatch[]) => Promise<void>;
  #policy: BatchPolicy;
  #batches = new Map<string, SchemaBatch>();
  #waiters: Waiter[] = [];
  #count = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #inFlight: Promise<void> | null = null;
  /** A commit came due while another was in flight: start it as soon as that one ends. */
  #due = false;

  constructor(commit: (batches: SchemaBatch[]) => Promise<void>, policy: BatchPolicy) {
    this.#commit = commit;
    this.#policy = policy;
  }

  set policy(policy: BatchPolicy) {
    this.#policy = policy;
  }

  /** Buffers rows converted with `schema`; resolves once they are committed. */
  add(schema: TableSchema, rows: PendingRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    let batch = this.#batches.get(schema.fingerprint);
    if (!batch) this.#batches.set(schema.fingerprint, (batch = { schema, rows: [] }));
    for (const row of rows) batch.rows.push(row);
    this.#count += rows.length;
    const committed = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#count >= this.#policy.records) this.#start();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#start(), this.#policy.intervalMs);
      // A pending commit must not keep a process alive that has nothing else to do.
      this.#timer.unref?.();
    }
    return committed;
  }

  /** Commits everything buffered now and waits for it (and any commit in flight). */
  async flush(): Promise<void> {
    while (this.#inFlight !== null || this.#count > 0) {
      if (this.#inFlight === null) this.#start();
      await this.#inFlight?.catch(() => undefined);
    }
  }

  get buffered(): number {
    return this.#count;
  }

  #start(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#count === 0) return;
    if (this.#inFlight !== null) {
      this.#due = true;
      return;
    }
    const batches = [...this.#batches.values()];
    const waiters = this.#waiters;
    this.#batches = new Map();
    this.#waiters = [];
    this.#count = 0;
    this.#inFlight = this.#commit(batches).then(
      () => {
        for (const waiter of waiters) waiter.resolve();
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
    void this.#inFlight.finally(() => {
      this.#inFlight = null;
      if (this.#due || this.#count >= this.#policy.records) {
        this.#due = false;
        this.#start();
      }
      else if (this.#count > 0 && this.#timer === null) {
        this.#timer = setTimeout(() => this.#start(), this.#policy.intervalMs);
        this.#timer.unref?.();
      }
    });
  }
}
