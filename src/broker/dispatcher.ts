import type { ApiHandler } from "./handler.ts";

/** The broker's API table: which handler serves which key, and so what ApiVersions advertises. */
export class Dispatcher {
  readonly #byKey = new Map<number, ApiHandler>();

  constructor(handlers: ApiHandler[]) {
    for (const h of handlers) {
      if (this.#byKey.has(h.apiKey)) throw new Error(`two handlers for API key ${h.apiKey}`);
      this.#byKey.set(h.apiKey, h);
    }
  }

  handler(apiKey: number): ApiHandler | undefined {
    return this.#byKey.get(apiKey);
  }

  handlers(): ApiHandler[] {
    return [...this.#byKey.values()].sort((a, b) => a.apiKey - b.apiKey);
  }
}
