// What ConsumerGroupDescribe (KIP-848) and ShareGroupDescribe (KIP-932) have in common: topic names
// looked up once, each group described as of now (due deadlines applied and saved), and the
// entry Kafka gives a group it cannot describe.

import type { BrokerContext } from "../context.ts";
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

/** Describes each group with `step`, run against the stored group as changeGroup runs it. */
export async function describeModernGroups<D>(
  ctx: BrokerContext,
  groupIds: string[],
  api: string,
  step: (groupId: string, group: GroupRecord | null, now: number, topicNames: Map<string, string>) => GroupChange<D>,
): Promise<D[]> {
  let topicNames: Map<string, string>;
  try {
    topicNames = new Map((await ctx.storage.listTopics()).map((t) => [t.id, t.name]));
  } catch (error) {
    const errorCode = groupErrorCode(error, api);
    return groupIds.map((groupId) => undescribed(groupId, errorCode, null) as D);
  }
  return Promise.all(
    groupIds.map(async (groupId) => {
      try {
        return await changeGroup(ctx, groupId, (group, now) => step(groupId, group, now, topicNames));
      } catch (error) {
        return undescribed(groupId, groupErrorCode(error, `${api} ${groupId}`), null) as D;
      }
    }),
  );
}
