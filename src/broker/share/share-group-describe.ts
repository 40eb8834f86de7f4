// ShareGroupDescribe (KIP-932): a share group's state, epochs and members with their assignments.

import type { ShareGroupDescribeRequest, ShareGroupDescribeResponse } from "../../protocol/generated/share-group-describe.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import type { BrokerContext, RequestContext } from "../context.ts";
import { describeModernGroups, namedAssignment, undescribed } from "../groups/modern-group-describe.ts";
import { shareGroupState, tickShare, type ShareGroup } from "../groups/share-group.ts";
import { SIMPLE_ASSIGNOR } from "./simple-assignor.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import { defineApi } from "../handler.ts";

type DescribedGroup = ShareGroupDescribeResponse["groups"][number];

function describe(group: ShareGroup, topicNames: Map<string, string>, authorizedOperations: number): DescribedGroup {
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
      assignment: namedAssignment(m.assigned, topicNames),
    })),
    authorizedOperations,
  };
}

async function handleShareGroupDescribe(ctx: BrokerContext, request: ShareGroupDescribeRequest, rc: RequestContext): Promise<ShareGroupDescribeResponse> {
  const groups = await describeModernGroups<DescribedGroup>(ctx, rc, request.groupIds, request.includeAuthorizedOperations, "ShareGroupDescribe", (groupId, group, now, topicNames, operations) => {
    if (groupId === "") return { result: undescribed(groupId, ErrorCode.INVALID_GROUP_ID, null) };
    if (!group) return { result: undescribed(groupId, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} not found.`) };
    if (group.type !== "share") return { result: undescribed(groupId, ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a share group.`) };
    const changed = tickShare(group, now);
    return { result: describe(group, topicNames, operations), save: changed ? group : undefined };
  });
  return { throttleTimeMs: 0, groups };
}

export const shareGroupDescribeApi = defineApi({ apiKey: ApiKey.ShareGroupDescribe, minVersion: 1, maxVersion: 1, handle: handleShareGroupDescribe });
