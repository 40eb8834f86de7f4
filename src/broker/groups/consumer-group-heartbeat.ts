import { ApiKey } from "../../protocol/generated/apis.ts";
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from "../../protocol/generated/consumer-group-heartbeat.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { defineApi } from "../handler.ts";
import { clientIdentity } from "./client-identity.ts";
import { consumerHeartbeat, heartbeatError, newConsumerGroup, validateConsumerHeartbeat, type ConsumerHeartbeatAnswer, type ConsumerHeartbeatInput } from "./consumer-group.ts";
import { groupErrorCode } from "./group-errors.ts";
import { DEFAULT_GROUP_SETTINGS as SETTINGS } from "./group-settings.ts";
import { changeGroup } from "./group-store.ts";
import { noteGroupServed } from "./group-sweeper.ts";

function response(answer: ConsumerHeartbeatAnswer): ConsumerGroupHeartbeatResponse {
  return { throttleTimeMs: 0, ...answer };
}

/** ConsumerGroupHeartbeat (KIP-848): the whole consumer protocol in one request. */
export const consumerGroupHeartbeatApi = defineApi<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>({
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request, rc) {
    const { groupId } = request;
    if (groupId === "") return response(heartbeatError(ErrorCode.INVALID_REQUEST, "GroupId can't be empty."));
    if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return response(heartbeatError(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    // As Kafka: a member may subscribe only to topics it may describe.
    if (request.subscribedTopicNames?.some((name) => !rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, name))) {
      return response(heartbeatError(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
    }
    const hb: ConsumerHeartbeatInput = {
      memberId: request.memberId,
      memberEpoch: request.memberEpoch,
      instanceId: request.instanceId,
      rackId: request.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      subscribedTopicNames: request.subscribedTopicNames,
      subscribedTopicRegex: request.subscribedTopicRegex ?? null,
      serverAssignor: request.serverAssignor,
      topicPartitions: request.topicPartitions,
      ...clientIdentity(rc),
      // v0: the coordinator names new members; v1 (KIP-1082): members name themselves.
      newMemberId: crypto.randomUUID(),
    };
    const invalid = validateConsumerHeartbeat(hb, rc.apiVersion);
    if (invalid) return response(invalid);
    try {
      // Subscriptions are by name (or pattern); the assignment needs every topic's id and size.
      const topics = (await ctx.storage.listTopics()).map((t) => ({ name: t.name, id: t.id, partitions: t.partitions }));
      const answer = await changeGroup(ctx, groupId, (current, now) => {
        let group = current;
        if (group?.type === "share") {
          return { result: heartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`) };
        }
        if (group?.type === "classic" && group.members.length > 0) {
          return { result: heartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`) };
        }
        // A missing group is created by a joining member; an empty classic group is converted.
        if (!group || group.type === "classic") {
          if (hb.memberEpoch !== 0) return { result: heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${groupId} has no member ${hb.memberId}.`) };
          group = newConsumerGroup(groupId);
        }
        return { result: consumerHeartbeat(group, hb, topics, now, SETTINGS), save: group };
      });
      noteGroupServed(ctx, groupId);
      return response(answer);
    } catch (error) {
      return response(heartbeatError(groupErrorCode(error, `ConsumerGroupHeartbeat ${groupId}`)));
    }
  },
});
