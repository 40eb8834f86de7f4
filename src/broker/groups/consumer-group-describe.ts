import { ApiKey } from "../../protocol/generated/apis.ts";
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from "../../protocol/generated/consumer-group-describe.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { defineApi } from "../handler.ts";
import type { Assignment } from "./assignors.ts";
import { consumerGroupState, tickConsumer, toTopicPartitions, type ConsumerGroup } from "./consumer-group.ts";
import { groupErrorCode } from "./group-errors.ts";
import { changeGroup } from "./group-store.ts";
import { OPERATIONS_NOT_REQUESTED } from "../metadata.ts";

type DescribedGroup = ConsumerGroupDescribeResponse["groups"][number];


function notFound(groupId: string, errorCode: number, errorMessage: string | null): DescribedGroup {
  return { errorCode, errorMessage, groupId, groupState: "Dead", groupEpoch: -1, assignmentEpoch: -1, assignorName: "", members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
}

function describe(group: ConsumerGroup, topicNames: Map<string, string>, authorizedOperations: number): DescribedGroup {
  const named = (a: Assignment) => ({
    topicPartitions: toTopicPartitions(a).map(({ topicId, partitions }) => ({ topicId, topicName: topicNames.get(topicId) ?? "", partitions })),
  });
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupId: group.groupId,
    groupState: consumerGroupState(group),
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    assignorName: group.assignorName ?? "",
    members: group.members.map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      assignment: named(m.assigned),
      targetAssignment: named(group.targetAssignment[m.memberId] ?? {}),
    })),
    authorizedOperations,
  };
}

export const consumerGroupDescribeApi = defineApi<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>({
  apiKey: ApiKey.ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request, rc) {
    let topicNames: Map<string, string>;
    try {
      topicNames = new Map((await ctx.storage.listTopics()).map((t) => [t.id, t.name]));
    } catch (error) {
      const errorCode = groupErrorCode(error, "ConsumerGroupDescribe");
      return { throttleTimeMs: 0, groups: request.groupIds.map((groupId) => notFound(groupId, errorCode, null)) };
    }
    const groups = await Promise.all(
      request.groupIds.map(async (groupId): Promise<DescribedGroup> => {
        if (!rc.authz.allows(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) return notFound(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED, null);
        const operations = request.includeAuthorizedOperations ? rc.authz.operations(ResourceType.GROUP, groupId) : OPERATIONS_NOT_REQUESTED;
        try {
          return await changeGroup(ctx, groupId, (group, now) => {
            if (!group) return { result: notFound(groupId, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} not found.`) };
            if (group.type !== "consumer") return { result: notFound(groupId, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`) };
            const changed = tickConsumer(group, now);
            return { result: describe(group, topicNames, operations), save: changed ? group : undefined };
          });
        } catch (error) {
          return notFound(groupId, groupErrorCode(error, `ConsumerGroupDescribe ${groupId}`), null);
        }
      }),
    );
    return { throttleTimeMs: 0, groups };
  },
});
