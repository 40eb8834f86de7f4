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
