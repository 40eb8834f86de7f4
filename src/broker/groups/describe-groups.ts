import { ApiKey } from "../../protocol/generated/apis.ts";
import type { DescribeGroupsRequest, DescribeGroupsResponse } from "../../protocol/generated/describe-groups.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { EMPTY_BYTES } from "../../protocol/reader.ts";
import { defineApi } from "../handler.ts";
import { metadataFor, type ClassicGroup } from "./classic-group.ts";
import { groupErrorCode } from "./group-errors.ts";
import { changeGroup } from "./group-store.ts";
import { applyDeadlines } from "./group-summary.ts";
import { OPERATIONS_NOT_REQUESTED } from "../metadata.ts";

type DescribedGroup = DescribeGroupsResponse["groups"][number];


function dead(groupId: string, errorCode: number = ErrorCode.NONE): DescribedGroup {
  return { errorCode, groupId, groupState: "Dead", protocolType: "", protocolData: "", members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
}

function describe(group: ClassicGroup, authorizedOperations: number): DescribedGroup {
  // Only a stable group has settled metadata and assignments to show.
  const stable = group.state === "Stable";
  return {
    errorCode: ErrorCode.NONE,
    groupId: group.groupId,
    groupState: group.state,
    protocolType: group.protocolType ?? "",
    protocolData: stable ? (group.protocolName ?? "") : "",
    members: group.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: stable ? metadataFor(m, group.protocolName) : EMPTY_BYTES,
      memberAssignment: stable ? m.assignment : EMPTY_BYTES,
    })),
    authorizedOperations,
  };
}

export const describeGroupsApi = defineApi<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request, rc) {
    const groups = await Promise.all(
      request.groups.map(async (groupId): Promise<DescribedGroup> => {
        if (!rc.authz.allows(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) return dead(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED);
        const operations = request.includeAuthorizedOperations ? rc.authz.operations(ResourceType.GROUP, groupId) : OPERATIONS_NOT_REQUESTED;
        try {
          return await changeGroup(ctx, groupId, (group, now) => {
            // KIP-848 groups are described by ConsumerGroupDescribe; here, as in Kafka, they are not classic groups.
            if (!group || group.type !== "classic") return { result: dead(groupId) };
            const changed = applyDeadlines(group, now);
            return { result: describe(group, operations), save: changed ? group : undefined };
          });
        } catch (error) {
          return dead(groupId, groupErrorCode(error, `DescribeGroups ${groupId}`));
        }
      }),
    );
    return { throttleTimeMs: 0, groups };
  },
});
