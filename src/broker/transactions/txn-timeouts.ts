import { consola } from "../../log.ts";
import type { BrokerContext } from "../context.ts";
import { PeriodicTask } from "../periodic-task.ts";
import { completeTransaction } from "./txn-completion.ts";
import { fenceAndAbort, isExpired, isOpen, isStalled } from "./txn-state.ts";
import { listTxns, onTxnOpened, writeTxn } from "./txn-store.ts";
import { TXN_SWEEP_INTERVAL_MS } from "./txn-settings.ts";

/**
 * While a sweep finds no open transaction and this broker opens none, the next sweep waits this many intervals
 * (60 s by default): each sweep lists the store, a billed LIST on s3://, and an idle broker would otherwise list it
 * six times a minute for nothing. A transaction opened through this broker brings the sweep back to every interval;
 * one left open by another broker that then died is found within the longer wait.
 */
const IDLE_INTERVALS = 6;

/**
 * Every broker sweeps the store for transactions that outlived their timeout and aborts
 * them, bumping the epoch so the producer that left them open is fenced. Brokers race
 * through compare-and-set: one fences, the others see PrepareAbort and leave it to it. The
 * sweep also finishes transactions stuck in Prepare* for longer than their timeout, which
 * only happens when the broker ending them died midway.
 */
export class TxnTimeouts {
  readonly #task: PeriodicTask;
  readonly #idleDelayMs: number;
  #unsubscribe: (() => void) | null = null;

  constructor(
    private readonly ctx: BrokerContext,
    intervalMs = TXN_SWEEP_INTERVAL_MS,
  ) {
    this.#task = new PeriodicTask("transaction timeout sweep", intervalMs, () => this.sweepOnce());
    this.#idleDelayMs = intervalMs * IDLE_INTERVALS;
  }

  /** The first pass runs after `firstDelayMs` (default: one interval). */
  start(firstDelayMs?: number): void {
    // A transaction this broker opens during a sweep keeps the next one at one interval (wake wins over delayNext).
    this.#unsubscribe ??= onTxnOpened(this.ctx.storage, () => this.#task.wake());
    this.#task.start(firstDelayMs);
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#task.stop();
  }

  /** Resolves when a sweep in progress (if any) has finished. */
  idle(): Promise<void> {
    return this.#task.idle();
  }

  /** One pass over every transactional id; returns the ids this broker aborted or finished. */
  async sweepOnce(now = BigInt(Date.now())): Promise<string[]> {
    const handled: string[] = [];
    const txns = await listTxns(this.ctx.storage);
    let anyOpen = false;
    for (const { key, value, version } of txns) {
      anyOpen ||= isOpen(value);
      if (this.#task.stopped) break;
      try {
        if (isExpired(value, now)) {
          const fenced = fenceAndAbort(value, now);
          const fencedVersion = await writeTxn(this.ctx.storage, key, fenced, version);
          // Lost the race: the producer or another broker moved the transaction on.
          if (fencedVersion === null) continue;
          consola.info(`aborting transaction ${key} (producer ${value.producerId}): open longer than ${value.timeoutMs} ms`);
          await completeTransaction(this.ctx, key, { value: fenced, version: fencedVersion }, now);
          handled.push(key);
        } else if (isStalled(value, now)) {
          consola.info(`finishing transaction ${key} (producer ${value.producerId}), left in ${value.state}`);
          await completeTransaction(this.ctx, key, { value, version }, now);
          handled.push(key);
        }
      } catch (error) {
        // One transaction's trouble must not stop the sweep; the next one retries it.
        consola.warn(`transaction timeout sweep: ${key}:`, error);
      }
    }
    if (!anyOpen) this.#task.delayNext(this.#idleDelayMs);
    return handled;
  }
}
