// The share-group APIs of KIP-932. Their code loads on the first share request: a broker whose
// clients never use share groups starts (and stays) without it.

import { ApiKey } from "../../protocol/generated/apis.ts";
import type { BrokerContext, RequestContext } from "../context.ts";
import type { ApiHandler } from "../handler.ts";

function lazy(apiKey: number, minVersion: number, maxVersion: number, load: () => Promise<(ctx: BrokerContext, request: any, rc: RequestContext) => Promise<unknown>>): ApiHandler {
  let handler: Promise<(ctx: BrokerContext, request: any, rc: RequestContext) => Promise<unknown>> | null = null;
  return {
    apiKey,
    minVersion,
    maxVersion,
    async handle(ctx, request, rc) {
      return (await (handler ??= load()))(ctx, request, rc);
    },
  };
}

export function shareApis(): ApiHandler[] {
  return [
    lazy(ApiKey.ShareGroupHeartbeat, 1, 1, async () => (await import("./share-group-heartbeat.ts")).handleShareGroupHeartbeat),
    lazy(ApiKey.ShareGroupDescribe, 1, 1, async () => (await import("./share-group-describe.ts")).handleShareGroupDescribe),
    lazy(ApiKey.ShareFetch, 1, 1, async () => (await import("./share-fetch.ts")).handleShareFetch),
    lazy(ApiKey.ShareAcknowledge, 1, 1, async () => (await import("./share-acknowledge.ts")).handleShareAcknowledge),
    lazy(ApiKey.DescribeShareGroupOffsets, 0, 1, async () => (await import("./share-offsets.ts")).handleDescribeShareGroupOffsets),
    lazy(ApiKey.AlterShareGroupOffsets, 0, 0, async () => (await import("./share-offsets.ts")).handleAlterShareGroupOffsets),
    lazy(ApiKey.DeleteShareGroupOffsets, 0, 0, async () => (await import("./share-offsets.ts")).handleDeleteShareGroupOffsets),
  ];
}
