import type { RequestContext } from "../context.ts";

/**
 * How Kafka describes a group member's client: its client id and its host ("/1.2.3.4").
 * The request context does not carry the peer address, so the host is reported empty.
 */
export function clientIdentity(rc: RequestContext): { clientId: string; clientHost: string } {
  return { clientId: rc.clientId ?? "", clientHost: "" };
}
