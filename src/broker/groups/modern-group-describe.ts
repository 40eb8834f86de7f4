// What ConsumerGroupDescribe (KIP-848) and ShareGroupDescribe (KIP-932) have in common: topic names
// looked up once, each group described as of now (due deadlines applied and saved), and the
// entry Kafka gives a group it cannot describe.

import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import type { BrokerContext, RequestContext } from "../context.ts";
import { OPERATIONS_NOT_REQUESTED } from "../metadata.ts";
import type { Assignment } from "./assignors.ts";
import { toTopicPartitions } from "./consumer-group.ts";
import { groupErrorCode } from "./group-errors.ts";
import { changeGroup, type GroupChange, type GroupRecord } from "./group-store.ts";

export function undescribed(groupId: string, errorCode: number, errorMessage: string | null) {
  return {
    errorCode,
    errorMessage,
    groupId,
    groupState: "Dead",
    groupEpoch: -1,
    assignmentEpoch: -1,
    assignorName: "",
    members: [],
    authorizedOperations: OPERATIONS_NOT_REQUESTED,
  };
}

export function namedAssignment(a: Assignment, topicNames: Map<string, string>) {
  return { topicPartitions: toTopicPartitions(a).map(({ topicId, partitions }) => ({ topicId, topicName: topicNames.get(topicId) ?? "", partitions })) };
}

/**
 * Describes each group the principal may describe with `step`, run against the stored group as changeGroup
 * runs it; `operations` is what the principal may do on the group when the request asked for it.
 */
/** What ConsumerGroupDescribe and ShareGroupDescribe members have in common. */
interface DescribedMembers {
  members: Array<{ assignment: { topicPartitions: Array<{ topicName: string }> } }>;
}

export async function describeModernGroups<D extends DescribedMembers>(
  ctx: BrokerContext,
  rc: RequestContext,
  groupIds: string[],
  includeAuthorizedOperations: boolean,
  api: string,
  step: (groupId: string, group: GroupRecord | null, now: number, topicNames: Map<string, string>, operations: number) => GroupChange<D>,
): Promise<D[]> {
  const failed = (groupId: string, errorCode: number, errorMessage: string | null = null) => undescribed(groupId, errorCode, errorMessage) as unknown as D;
  let topicNames: Map<string, string>;
  try {
    topicNames = new Map((await ctx.storage.listTopics()).map((t) => [t.id, t.name]));
  } catch (error) {
    const errorCode = groupErrorCode(error, api);
    return groupIds.map((groupId) => failed(groupId, errorCode));
  }
  return Promise.all(
    groupIds.map(async (groupId) => {
      if (!rc.authz.allows(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) return failed(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const operations = includeAuthorizedOperations ? rc.authz.operations(ResourceType.GROUP, groupId) : OPERATIONS_NOT_REQUESTED;
      try {
        const described = await changeGroup(ctx, groupId, (group, now) => step(groupId, group, now, topicNames, operations));
        // As Kafka: a group whose members are assigned a topic the principal may not describe is withheld.
        const hidden = described.members.some((m) => m.assignment.topicPartitions.some((tp) => tp.topicName !== "" && !rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, tp.topicName)));
        if (hidden) return failed(groupId, ErrorCode.TOPIC_AUTHORIZATION_FAILED, "The group has described topic(s) that the client is not authorized to describe.");
        return described;
      } catch (error) {
        return failed(groupId, groupErrorCode(error, `${api} ${groupId}`));
      }
    }),
  );
}
