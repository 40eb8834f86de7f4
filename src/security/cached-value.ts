import { consola } from "../log.ts";

/**
 * A value read from the store and reused for `ttlMs` (ACLs, quotas: read on every request, changed
 * rarely, possibly through another broker). Concurrent readers share one load; when a reload
 * fails the last value read stays in use. Null until the first load succeeds.
 */
export class CachedValue<T> {
  #value: { value: T; loadedAt: number } | null = null;
  #loading: Promise<void> | null = null;

  constructor(
    private readonly what: string,
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
  ) {}

  async get(): Promise<T | null> {
    if (!this.#value || performance.now() - this.#value.loadedAt > this.ttlMs) await this.#reload();
    return this.#value?.value ?? null;
  }

  /** The next get reads the store again (after this broker changed the value). */
  invalidate(): void {
    if (this.#value) this.#value.loadedAt = -Infinity;
  }

  #reload(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        this.#value = { value: await this.load(), loadedAt: performance.now() };
      } catch (error) {
        consola.warn(`${this.what} not refreshed from the store, using the last read: ${(error as Error).message}`);
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }
}
