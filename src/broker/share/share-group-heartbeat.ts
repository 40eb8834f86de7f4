// ShareGroupHeartbeat (KIP-932): the whole share-group membership protocol in one request, run
// by whichever broker the member asks, against the group record in the store.

import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import type { ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse } from "../../protocol/generated/share-group-heartbeat.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import type { BrokerContext, RequestContext } from "../context.ts";
import { clientIdentity } from "../groups/client-identity.ts";
import { shareGroupConfig } from "../groups/group-configs.ts";
import { groupErrorCode } from "../groups/group-errors.ts";
import { changeGroup } from "../groups/group-store.ts";
import { noteGroupServed } from "../groups/group-sweeper.ts";
import { newShareGroup } from "../groups/share-group.ts";
import { shareHeartbeat, shareHeartbeatError, validateShareHeartbeat, type ShareHeartbeatAnswer, type ShareHeartbeatInput } from "./share-membership.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import { defineApi } from "../handler.ts";

function response(answer: ShareHeartbeatAnswer): ShareGroupHeartbeatResponse {
  return { throttleTimeMs: 0, ...answer };
}

async function handleShareGroupHeartbeat(ctx: BrokerContext, request: ShareGroupHeartbeatRequest, rc: RequestContext): Promise<ShareGroupHeartbeatResponse> {
  const { groupId } = request;
  // As Kafka: READ on the group, and DESCRIBE on every subscribed topic, before anything else.
  if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return response(shareHeartbeatError(ErrorCode.GROUP_AUTHORIZATION_FAILED));
  if (request.subscribedTopicNames?.some((name) => !rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, name))) {
    return response(shareHeartbeatError(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
  }
  const hb: ShareHeartbeatInput = {
    memberId: request.memberId,
    memberEpoch: request.memberEpoch,
    rackId: request.rackId,
    subscribedTopicNames: request.subscribedTopicNames,
    ...clientIdentity(rc),
  };
  const invalid = validateShareHeartbeat(groupId, hb);
  if (invalid) return response(invalid);
  try {
    const [config, stored] = await Promise.all([shareGroupConfig(ctx, groupId), ctx.storage.listTopics()]);
    const topics = stored.map((t) => ({ name: t.name, id: t.id, partitions: t.partitions }));
    const answer = await changeGroup(ctx, groupId, (current, now) => {
      if (current && current.type !== "share") return { result: shareHeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a share group.`) };
      if (!current && hb.memberEpoch !== 0) return { result: shareHeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Share group ${groupId} not found.`) };
      const group = current ?? newShareGroup(groupId);
      const result = shareHeartbeat(group, hb, topics, now, config);
      // A refused join leaves no group behind.
      return { result, save: current || result.errorCode === ErrorCode.NONE ? group : undefined };
    });
    noteGroupServed(ctx, groupId);
    return response(answer);
  } catch (error) {
    return response(shareHeartbeatError(groupErrorCode(error, `ShareGroupHeartbeat ${groupId}`), null));
  }
}

export const shareGroupHeartbeatApi = defineApi({ apiKey: ApiKey.ShareGroupHeartbeat, minVersion: 1, maxVersion: 1, handle: handleShareGroupHeartbeat });
