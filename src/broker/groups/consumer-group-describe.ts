import { ApiKey } from "../../protocol/generated/apis.ts";
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from "../../protocol/generated/consumer-group-describe.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { defineApi } from "../handler.ts";
import type { Assignment } from "./assignors.ts";
import { consumerGroupState, tickConsumer, type ConsumerGroup } from "./consumer-group.ts";
import { describeModernGroups, namedAssignment, undescribed } from "./modern-group-describe.ts";

type DescribedGroup = ConsumerGroupDescribeResponse["groups"][number];

function describe(group: ConsumerGroup, topicNames: Map<string, string>, authorizedOperations: number): DescribedGroup {
  const named = (a: Assignment) => namedAssignment(a, topicNames);
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
    const groups = await describeModernGroups<DescribedGroup>(ctx, rc, request.groupIds, request.includeAuthorizedOperations, "ConsumerGroupDescribe", (groupId, group, now, topicNames, operations) => {
      if (!group) return { result: undescribed(groupId, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} not found.`) };
      if (group.type !== "consumer") return { result: undescribed(groupId, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`) };
      const changed = tickConsumer(group, now);
      return { result: describe(group, topicNames, operations), save: changed ? group : undefined };
    });
    return { throttleTimeMs: 0, groups };
  },
});
