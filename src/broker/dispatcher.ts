import { lazyApi, type ApiHandler, type ListedApi } from "./handler.ts";

/**
 * The broker's API table: which handler serves which key, and so what ApiVersions advertises. An API's
 * handler is made on its first request, so a starting broker makes none.
 */
export class Dispatcher {
  // Indexed by API key (0 to ~90), not Maps: ~50 Map insertions were a measurable part of a broker's start.
  readonly #listed: ListedApi[] = [];
  readonly #handlers: ApiHandler[] = [];

  constructor(readonly apis: readonly ListedApi[]) {
    for (const api of apis) {
      if (this.#listed[api[0]]) throw new Error(`two handlers for API key ${api[0]}`);
      this.#listed[api[0]] = api;
    }
  }

  handler(apiKey: number): ApiHandler | undefined {
    let handler = this.#handlers[apiKey];
    if (!handler) {
      const api = this.#listed[apiKey];
      if (!api) return undefined;
      handler = lazyApi(...api);
      this.#handlers[apiKey] = handler;
    }
    return handler;
  }
}
