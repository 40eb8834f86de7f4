// ShareAcknowledge (KIP-932): acknowledgements outside a fetch, within the member's share session
// on this broker; epoch -1 closes the session, giving back whatever the member still holds.

import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import type { ShareAcknowledgeRequest, ShareAcknowledgeResponse } from "../../protocol/generated/share-acknowledge.ts";
import type { BrokerContext, RequestContext } from "../context.ts";
import { errorCodeOf } from "../error-mapping.ts";
import { shareGroupConfig } from "../groups/group-configs.ts";
import { acknowledgeIn, byTopic, continueSession, GROUP_REFUSED, NO_LEADER_CHANGE, requestedPartitions, sessions, topicsById } from "./share-delivery.ts";
import { FINAL_EPOCH, INITIAL_EPOCH } from "./share-sessions.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import { defineApi } from "../handler.ts";

function failed(errorCode: number, errorMessage: string): ShareAcknowledgeResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, responses: [], nodeEndpoints: [] };
}

async function handleShareAcknowledge(ctx: BrokerContext, request: ShareAcknowledgeRequest, rc: RequestContext): Promise<ShareAcknowledgeResponse> {
  const groupId = request.groupId ?? "";
  const memberId = request.memberId ?? "";
  // READ on the group first, as Kafka; READ on each topic is checked per partition.
  if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED, GROUP_REFUSED);
  if (groupId === "") return failed(ErrorCode.INVALID_REQUEST, "GroupId can't be empty.");
  if (memberId === "") return failed(ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
  // Only a ShareFetch opens a session.
  if (request.shareSessionEpoch === INITIAL_EPOCH) return failed(ErrorCode.INVALID_SHARE_SESSION_EPOCH, "The share session epoch is invalid.");
  const all = sessions(ctx);
  const checked = continueSession(all, groupId, memberId, request.shareSessionEpoch);
  if (!("session" in checked)) return failed(checked.errorCode, checked.errorMessage ?? "");

  const requested = [...requestedPartitions(request.topics).values()];
  const entries: Parameters<typeof byTopic<ShareAcknowledgeResponse["responses"][number]["partitions"][number]>>[0] = [];
  if (requested.length > 0) {
    let config;
    try {
      config = await shareGroupConfig(ctx, groupId);
    } catch (error) {
      return failed(errorCodeOf(error, `ShareAcknowledge ${groupId}`), "Reading the group's configs failed.");
    }
    const topicOf = topicsById(ctx, rc.authz);
    for (const { tp, acks } of requested) {
      const outcome = await acknowledgeIn(ctx, groupId, memberId, tp, topicOf, acks, config);
      entries.push({ tp, data: { partitionIndex: tp.partition, ...outcome, currentLeader: NO_LEADER_CHANGE } });
    }
  }
  if (request.shareSessionEpoch === FINAL_EPOCH) await all.close(checked.session);
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses: byTopic(entries), nodeEndpoints: [] };
}

export const shareAcknowledgeApi = defineApi({ apiKey: ApiKey.ShareAcknowledge, minVersion: 1, maxVersion: 1, handle: handleShareAcknowledge });
