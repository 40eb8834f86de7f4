import { consola } from "../log.ts";

/**
 * Background work every broker runs on a timer (retention, transaction timeouts): one pass
 * at a time, the next scheduled only after the last finished, failures logged and retried
 * on the next interval. The timer never keeps the process alive by itself.
 */
export class PeriodicTask {
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  /** When the pending timer fires (Date.now() ms); meaningful while #timer is set and no pass runs. */
  #dueAt = 0;
  /** The delay after the pass in progress, when not one interval. */
  #nextDelayMs: number | null = null;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<unknown>,
  ) {}

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The first pass runs after `firstDelayMs` (default: one interval). */
  start(firstDelayMs = this.intervalMs): void {
    this.#schedule(firstDelayMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** Resolves when a pass in progress (if any) has finished. */
  async idle(): Promise<void> {
    await this.#running;
  }

  /**
   * Called by a pass: the next one runs `delayMs` after it instead of one interval (once), unless a wake()
   * during the pass already asked for it sooner.
   */
  delayNext(delayMs: number): void {
    this.#nextDelayMs ??= delayMs;
  }

  /** Brings the next pass forward to at most one interval from now (or from the end of the pass in progress). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#nextDelayMs = Math.min(this.#nextDelayMs ?? this.intervalMs, this.intervalMs);
    } else if (this.#timer && this.#dueAt > Date.now() + this.intervalMs) {
      clearTimeout(this.#timer);
      this.#schedule();
    }
  }

  #schedule(delayMs = this.intervalMs): void {
    if (this.#stopped) return;
    this.#dueAt = Date.now() + delayMs;
    this.#timer = setTimeout(() => {
      this.#running = this.pass()
        .then(() => undefined)
        .catch((error) => consola.warn(`${this.name} failed; retrying next interval:`, error))
        .finally(() => {
          this.#running = null;
          const delayMs = this.#nextDelayMs ?? this.intervalMs;
          this.#nextDelayMs = null;
          this.#schedule(delayMs);
        });
    }, delayMs);
    this.#timer.unref?.();
  }
}

/** What the broker starts and stops of a background task. */
export interface BackgroundTask {
  /** The first pass runs after `firstDelayMs` (default: one interval). */
  start(firstDelayMs?: number): void;
  stop(): void;
  /** Resolves when a pass in progress (if any) has finished. */
  idle(): Promise<void>;
}

/**
 * A background task whose module is imported only when its first pass is due (`delayMs`
 * after start), so it costs a broker nothing at start-up; that pass runs as soon as it is
 * loaded, and from then on it runs on its own schedule.
 */
export function deferredTask(name: string, delayMs: number, load: () => Promise<BackgroundTask>): BackgroundTask {
  let task: BackgroundTask | null = null;
  let loading: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  return {
    start() {
      timer = setTimeout(() => {
        loading = load()
          .then((loaded) => {
            if (stopped) return;
            task = loaded;
            task.start(0);
          })
          .catch((error) => consola.error(`${name} could not be loaded; it will not run:`, error));
      }, delayMs);
      timer.unref?.();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      task?.stop();
    },
    async idle() {
      await loading;
      await task?.idle();
    },
  };
}
