// Fetch long polls wait here for appends made through this broker. Appends made through
// another broker sharing the store are found by re-reading the store (see fetch.ts), since
// brokers do not talk to each other.

type Waiter = () => void;

export class LogNotifier {
  readonly #waiters = new Map<string, Set<Waiter>>();

  static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  notify(topic: string, partition: number): void {
    const key = LogNotifier.key(topic, partition);
    const waiters = this.#waiters.get(key);
    if (!waiters) return;
    this.#waiters.delete(key);
    for (const wake of waiters) wake();
  }

  /**
   * Resolves when any of `keys` is appended to (true), after `timeoutMs` or when `signal`
   * aborts (false), whichever comes first. Never rejects.
   */
  wait(keys: string[], timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal.aborted || timeoutMs <= 0) return resolve(false);
      let done = false;
      const finish = (byAppend = false) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", aborted);
        for (const key of keys) {
          const set = this.#waiters.get(key);
          set?.delete(onAppend);
          if (set?.size === 0) this.#waiters.delete(key);
        }
        resolve(byAppend);
      };
      const timer = setTimeout(() => finish(), timeoutMs);
      const aborted = () => finish();
      const onAppend = () => finish(true);
      signal.addEventListener("abort", aborted, { once: true });
      for (const key of keys) {
        let set = this.#waiters.get(key);
        if (!set) this.#waiters.set(key, (set = new Set()));
        set.add(onAppend);
      }
    });
  }
}
