// Group commit of one partition's appends within this process. A head CAS is a full S3
// round trip, so appends that arrive while one is in flight wait and then go into the next
// head write together: each is still decided in order against the head that write starts
// from (sequence checks, duplicates), but one conditional PUT commits them all. Across
// processes nothing changes: the CAS still decides, and a lost race re-decides the group.
// With a coalescing delay (the store URL's batch_max_delay), appends also wait for more to
// arrive before their head write, up to that delay or until they hold batch_min_size bytes.

import type { AppendBatch, AppendResult } from "../../storage.ts";
import { LOST_RACE, retryLostRaces, type Document } from "./cas-document.ts";
import { appendToHead, type PartitionHead } from "./partition-head.ts";

/** At most this many appends per head write, so one write's head stays bounded too. */
const MAX_GROUP = 64;

/** Where a group's head is; `logId` names the log its batch objects belong under. */
export interface GroupLocation {
  logId: string;
}

/** What the group needs from the engine: its head reads, head writes and batch objects. */
export interface HeadAccess<L extends GroupLocation> {
  /**
   * The head to decide against: the version last seen (`fresh` false: only a successful
   * CAS proves it current) or, when `fresh` is asked for, one read now. May move the group
   * to a re-created topic's log.
   */
  writableHead(location: L, fresh: boolean): Promise<{ location: L; head: Document<PartitionHead>; fresh: boolean }>;
  /** CAS of the head; false on a lost race. */
  writeHead(location: L, etag: string, head: PartitionHead): Promise<boolean>;
  /** Starts storing a batch's bytes as `object` in the location's log. */
  upload(location: L, object: string, bytes: Uint8Array): Upload;
  /** Deletes a batch object no head refers to, once its upload settled; never throws. */
  discard(upload: Upload): Promise<void>;
}

export interface Upload {
  logId: string;
  key: string;
  written: Promise<string>;
}

/** How long appends wait for company before their head write; maxDelayMs 0 never waits. */
export interface Coalescing {
  maxDelayMs: number;
  /** Write at once when the waiting appends hold more than this many bytes. */
  minBytes: number;
}

export const NO_COALESCING: Coalescing = { maxDelayMs: 0, minBytes: Infinity };

interface PendingAppend {
  batch: AppendBatch;
  /** performance.now() when it was queued. */
  queuedAt: number;
  /** Name of the batch object, fixed for the append's life; its log may change. */
  object: string;
  upload: Upload;
  settled: boolean;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

type Outcome = { result: AppendResult } | { error: unknown };

export class AppendGroup<L extends GroupLocation> {
  readonly #access: HeadAccess<L>;
  readonly #what: string;
  readonly #onIdle: () => void;
  readonly #coalescing: Coalescing;
  #location: L;
  #queue: PendingAppend[] = [];
  /** Bytes of the appends in #queue. */
  #queuedBytes = 0;
  /** Ends a coalescing wait early, once enough bytes are queued. */
  #enough: (() => void) | null = null;
  #running = false;

  /** `onIdle` runs whenever the queue has drained, so the owner can forget idle groups. */
  constructor(access: HeadAccess<L>, location: L, what: string, onIdle: () => void, coalescing: Coalescing = NO_COALESCING) {
    this.#access = access;
    this.#location = location;
    this.#what = what;
    this.#onIdle = onIdle;
    this.#coalescing = coalescing;
  }

  /**
   * Appends `batch`: its bytes start uploading at once, beside whatever head write is in
   * flight; its offset comes with the next head write.
   */
  append(batch: AppendBatch, object: string): Promise<AppendResult> {
    const upload = this.#access.upload(this.#location, object, batch.bytes);
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ batch, queuedAt: performance.now(), object, upload, settled: false, resolve, reject });
      this.#queuedBytes += batch.bytes.byteLength;
      if (this.#queuedBytes > this.#coalescing.minBytes) this.#enough?.();
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#queue.length > 0) {
      if (this.#coalescing.maxDelayMs > 0) await this.#coalesce();
      const group = this.#queue.splice(0, MAX_GROUP);
      for (const item of group) this.#queuedBytes -= item.batch.bytes.byteLength;
      try {
        await this.#commit(group);
      } catch (error) {
        // The store failed for the group as a whole: each append gets the error and its
        // bytes are removed, since no head refers to them.
        for (const item of group) if (!item.settled) this.#settle(item, { error });
      }
    }
    this.#running = false;
    this.#onIdle();
  }

  /** Waits while the oldest queued append has waited less than the delay and the queue holds too few bytes. */
  async #coalesce(): Promise<void> {
    const { maxDelayMs, minBytes } = this.#coalescing;
    for (;;) {
      const waitMs = this.#queue[0]!.queuedAt + maxDelayMs - performance.now();
      if (waitMs <= 0 || this.#queuedBytes > minBytes) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.#enough = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#enough = null;
    }
  }

  /** Commits `group`, settling every append in it unless the store fails. */
  async #commit(group: PendingAppend[]): Promise<void> {
    let live = group;
    await retryLostRaces(`append to ${this.#what}`, async () => {
      let current = await this.#access.writableHead(this.#location, false);
      let decided = this.#decide(live, current.head.value);
      if (decided.accepted.length === 0 && !current.fresh) {
        // Nothing to write, so no CAS will prove the remembered head current: refusals and
        // duplicates must be decided against the head as it is now.
        current = await this.#access.writableHead(this.#location, true);
        decided = this.#decide(live, current.head.value);
      }
      this.#location = current.location;
      const { outcomes, accepted, head } = decided;
      const failed = await this.#uploads(accepted);
      if (failed.size > 0) {
        // Offsets after a failed upload shift: settle it, decide the rest again.
        for (const [item, error] of failed) this.#settle(item, { error });
        live = live.filter((item) => !failed.has(item));
        return LOST_RACE;
      }
      if (accepted.length > 0 && !(await this.#access.writeHead(this.#location, current.head.etag, head))) return LOST_RACE;
      for (const item of live) this.#settle(item, outcomes.get(item)!, accepted.includes(item));
      return undefined;
    });
  }

  /** Each append's outcome decided in order against `head`, and the head with the accepted ones. */
  #decide(live: PendingAppend[], head: PartitionHead) {
    const outcomes = new Map<PendingAppend, Outcome>();
    const accepted: PendingAppend[] = [];
    for (const item of live) {
      try {
        const decision = appendToHead(head, item.batch, item.object, item.batch.bytes.byteLength);
        if ("duplicate" in decision) {
          outcomes.set(item, { result: decision.duplicate });
        } else {
          head = decision.head;
          outcomes.set(item, { result: decision.result });
          accepted.push(item);
        }
      } catch (error) {
        outcomes.set(item, { error });
      }
    }
    return { outcomes, accepted, head };
  }

  /** Waits for the accepted appends' bytes to be stored in the current log; the ones that failed. */
  async #uploads(accepted: PendingAppend[]): Promise<Map<PendingAppend, unknown>> {
    for (const item of accepted) {
      if (item.upload.logId !== this.#location.logId) {
        // The topic was re-created under us: the bytes belong under the new log.
        void this.#access.discard(item.upload);
        item.upload = this.#access.upload(this.#location, item.object, item.batch.bytes);
      }
    }
    const settled = await Promise.allSettled(accepted.map((item) => item.upload.written));
    const failed = new Map<PendingAppend, unknown>();
    settled.forEach((outcome, i) => {
      if (outcome.status === "rejected") failed.set(accepted[i], outcome.reason);
    });
    return failed;
  }

  /** Resolves or rejects one append; the bytes of one not written are deleted. */
  #settle(item: PendingAppend, outcome: Outcome, written = false): void {
    item.settled = true;
    if (!written) void this.#access.discard(item.upload);
    if ("error" in outcome) item.reject(outcome.error);
    else item.resolve(outcome.result);
  }
}
