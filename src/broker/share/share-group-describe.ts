// ShareGroupDescribe (KIP-932): a share group's state, epochs and members with their assignments.

import type { ShareGroupDescribeRequest, ShareGroupDescribeResponse } from "../../protocol/generated/share-group-describe.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import type { BrokerContext } from "../context.ts";
import type { Assignment } from "../groups/assignors.ts";
import { toTopicPartitions } from "../groups/consumer-group.ts";
import { groupErrorCode } from "../groups/group-errors.ts";
import { changeGroup } from "../groups/group-store.ts";
import { shareGroupState, tickShare, type ShareGroup } from "../groups/share-group.ts";
import { OPERATIONS_NOT_REQUESTED } from "../metadata.ts";
import { SIMPLE_ASSIGNOR } from "./simple-assignor.ts";

type DescribedGroup = ShareGroupDescribeResponse["groups"][number];

function notDescribed(groupId: string, errorCode: number, errorMessage: string | null): DescribedGroup {
  return { errorCode, errorMessage, groupId, groupState: "Dead", groupEpoch: -1, assignmentEpoch: -1, assignorName: "", members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
}

function describe(group: ShareGroup, topicNames: Map<string, string>): DescribedGroup {
  const named = (a: Assignment) => ({
    topicPartitions: toTopicPartitions(a).map(({ topicId, partitions }) => ({ topicId, topicName: topicNames.get(topicId) ?? "", partitions })),
  });
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    groupId: group.groupId,
    groupState: shareGroupState(group),
    groupEpoch: group.groupEpoch,
    assignmentEpoch: group.assignmentEpoch,
    assignorName: SIMPLE_ASSIGNOR,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      assignment: named(m.assigned),
    })),
    authorizedOperations: OPERATIONS_NOT_REQUESTED,
  };
}

export async function handleShareGroupDescribe(ctx: BrokerContext, request: ShareGroupDescribeRequest): Promise<ShareGroupDescribeResponse> {
  let topicNames: Map<string, string>;
  try {
    topicNames = new Map((await ctx.storage.listTopics()).map((t) => [t.id, t.name]));
  } catch (error) {
    const errorCode = groupErrorCode(error, "ShareGroupDescribe");
    return { throttleTimeMs: 0, groups: request.groupIds.map((groupId) => notDescribed(groupId, errorCode, null)) };
  }
  const groups = await Promise.all(
    request.groupIds.map(async (groupId): Promise<DescribedGroup> => {
      if (groupId === "") return notDescribed(groupId, ErrorCode.INVALID_GROUP_ID, null);
      try {
        return await changeGroup(ctx, groupId, (group, now) => {
          if (!group) return { result: notDescribed(groupId, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} not found.`) };
          if (group.type !== "share") return { result: notDescribed(groupId, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a share group.`) };
          const changed = tickShare(group, now);
          return { result: describe(group, topicNames), save: changed ? group : undefined };
        });
      } catch (error) {
        return notDescribed(groupId, groupErrorCode(error, `ShareGroupDescribe ${groupId}`), null);
      }
    }),
  );
  return { throttleTimeMs: 0, groups };
}
