import type { BrokerContext } from "../broker/context.ts";
import type { PrometheusBrokerMetrics } from "../metrics/broker-metrics.ts";
import { CONTENT_TYPES, expose, negotiateFormat } from "../metrics/exposition.ts";
import type { LagSettings } from "../metrics/consumer-lag.ts";
import type { HttpRoutes } from "./server.ts";

/**
 * GET /metrics: every metric family in the Prometheus text format, or OpenMetrics when the Accept
 * header prefers it. Consumer lag is read from the store, so its machinery loads on the first scrape.
 */
export function metricsRoutes(ctx: BrokerContext, metrics: PrometheusBrokerMetrics, lagSettings: LagSettings): HttpRoutes {
  let lagReady: Promise<void> | null = null;
  return async (request, url) => {
    if (url.pathname !== "/metrics" || request.method !== "GET") return undefined;
    lagReady ??= import("../metrics/consumer-lag.ts").then(({ registerConsumerLag }) => registerConsumerLag(metrics.registry, ctx, lagSettings));
    await lagReady;
    const format = negotiateFormat(request.headers.get("accept"));
    const body = expose(await metrics.registry.collect(), format);
    return new Response(body, { headers: { "content-type": CONTENT_TYPES[format] } });
  };
}
