import { lazyApi, type ApiHandler, type ListedApi } from "./handler.ts";

/**
 * The broker's API table: which handler serves which key, and so what ApiVersions advertises. An API's
 * handler is made on its first request, so a starting broker makes none.
 */
export class Dispatcher {
  readonly #listed = new Map<number, ListedApi>();
  readonly #handlers = new Map<number, ApiHandler>();

  constructor(readonly apis: readonly ListedApi[]) {
    for (const api of apis) {
      if (this.#listed.has(api[0])) throw new Error(`two handlers for API key ${api[0]}`);
      this.#listed.set(api[0], api);
    }
  }

  handler(apiKey: number): ApiHandler | undefined {
    let handler = this.#handlers.get(apiKey);
    if (!handler) {
      const api = this.#listed.get(apiKey);
      if (!api) return undefined;
      handler = lazyApi(...api);
      this.#handlers.set(apiKey, handler);
    }
    return handler;
  }
}
