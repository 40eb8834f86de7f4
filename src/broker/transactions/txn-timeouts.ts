import { consola } from "../../log.ts";
import type { BrokerContext } from "../context.ts";
import { PeriodicTask } from "../periodic-task.ts";
import { completeTransaction } from "./txn-completion.ts";
import { fenceAndAbort, isExpired, isStalled } from "./txn-state.ts";
import { listTxns, writeTxn } from "./txn-store.ts";
import { TXN_SWEEP_INTERVAL_MS } from "./txn-settings.ts";

/**
 * Every broker sweeps the store for transactions that outlived their timeout and aborts
 * them, bumping the epoch so the producer that left them open is fenced. Brokers race
 * through compare-and-set: one fences, the others see PrepareAbort and leave it to it. The
 * sweep also finishes transactions stuck in Prepare* for longer than their timeout, which
 * only happens when the broker ending them died midway.
 */
export class TxnTimeouts {
  readonly #task: PeriodicTask;

  constructor(
    private readonly ctx: BrokerContext,
    intervalMs = TXN_SWEEP_INTERVAL_MS,
  ) {
    this.#task = new PeriodicTask("transaction timeout sweep", intervalMs, () => this.sweepOnce());
  }

  /** The first pass runs after `firstDelayMs` (default: one interval). */
  start(firstDelayMs?: number): void {
    this.#task.start(firstDelayMs);
  }

  stop(): void {
    this.#task.stop();
  }

  /** Resolves when a sweep in progress (if any) has finished. */
  idle(): Promise<void> {
    return this.#task.idle();
  }

  /** One pass over every transactional id; returns the ids this broker aborted or finished. */
  async sweepOnce(now = BigInt(Date.now())): Promise<string[]> {
    const handled: string[] = [];
    for (const { key, value, version } of await listTxns(this.ctx.storage)) {
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
    return handled;
  }
}
