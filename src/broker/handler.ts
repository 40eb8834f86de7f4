import type { BrokerContext, RequestContext } from "./context.ts";

/**
 * One Kafka API as the broker serves it: the versions it advertises (exactly those it
 * handles correctly) and the handler. A handler returns null when the protocol wants no
 * response (Produce with acks=0).
 */
export interface ApiHandler<Req = any, Res = any> {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(ctx: BrokerContext, request: Req, rc: RequestContext): Promise<Res | null>;
}

export function defineApi<Req, Res>(api: ApiHandler<Req, Res>): ApiHandler<Req, Res> {
  return api;
}

/** An API as the table lists it (apis.ts): its key, the versions ApiVersions advertises, and how to import its handler. */
export type ListedApi = readonly [apiKey: number, minVersion: number, maxVersion: number, load: (apiKey: number) => Promise<ApiHandler>];

/**
 * An API whose module is imported on its first request, so start-up evaluates none of it
 * (apis.ts). Its versions are stated where it is listed, so that ApiVersions can advertise it
 * unloaded; the loaded handler must state the same ones, or its first request fails loudly.
 */
export function lazyApi(
  apiKey: number,
  minVersion: number,
  maxVersion: number,
  load: (apiKey: number) => Promise<ApiHandler>,
): ApiHandler & { load(): Promise<ApiHandler> } {
  let loaded: Promise<ApiHandler> | undefined;
  const loadChecked = () =>
    (loaded ??= load(apiKey).then((handler) => {
      if (handler.apiKey !== apiKey || handler.minVersion !== minVersion || handler.maxVersion !== maxVersion) {
        throw new Error(
          `API ${apiKey} is listed with versions ${minVersion}-${maxVersion} but its handler serves API ${handler.apiKey} versions ${handler.minVersion}-${handler.maxVersion}`,
        );
      }
      return handler;
    }));
  return {
    apiKey,
    minVersion,
    maxVersion,
    load: loadChecked,
    async handle(ctx, request, rc) {
      return (await loadChecked()).handle(ctx, request, rc);
    },
  };
}
