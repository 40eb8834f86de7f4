import { ApiKey } from "../../protocol/generated/apis.ts";
import type { OffsetDeleteRequest, OffsetDeleteResponse } from "../../protocol/generated/offset-delete.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import type { TopicPartition } from "../../storage/storage.ts";
import { defineApi } from "../handler.ts";
import { hasPartition, lookupAuthorizedTopic } from "../topic-lookup.ts";
import { groupErrorCode } from "./group-errors.ts";
import { readGroup, type GroupRecord } from "./group-store.ts";
import { subscribedTopics } from "./subscribed-topics.ts";

type OffsetGroup = Exclude<GroupRecord, { type: "share" }>;

function isEmpty(group: OffsetGroup): boolean {
  return group.members.length === 0;
}

/** Whether the group's members may be consuming topics we can name (so we can protect them). */
function knowsSubscriptions(group: OffsetGroup): boolean {
  return group.type === "consumer" || group.protocolType === "consumer";
}

export const offsetDeleteApi = defineApi<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request, rc) {
    const { groupId } = request;
    const failed = (errorCode: number): OffsetDeleteResponse => ({ errorCode, throttleTimeMs: 0, topics: [] });
    if (!rc.authz.allows(AclOperation.DELETE, ResourceType.GROUP, groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    try {
      const group = await readGroup(ctx, groupId);
      // Share groups keep no committed offsets (their state is per share-partition).
      if (!group || group.type === "share") return failed(ErrorCode.GROUP_ID_NOT_FOUND);
      if (!isEmpty(group) && !knowsSubscriptions(group)) return failed(ErrorCode.NON_EMPTY_GROUP);
      // Offsets of topics the live members consume stay; the rest go.
      const protectedTopics = isEmpty(group) ? new Set<string>() : subscribedTopics(group);
      const deletable: TopicPartition[] = [];
      const topics: OffsetDeleteResponse["topics"] = [];
      for (const t of request.topics) {
        const { topic, errorCode } = await lookupAuthorizedTopic(ctx, rc, AclOperation.READ, t.name, "delete offsets of");
        topics.push({
          name: t.name,
          partitions: t.partitions.map(({ partitionIndex }) => {
            if (!hasPartition(topic, partitionIndex)) return { partitionIndex, errorCode: errorCode || ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            if (protectedTopics.has(t.name)) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
            deletable.push({ topic: t.name, partition: partitionIndex });
            return { partitionIndex, errorCode: ErrorCode.NONE };
          }),
        });
      }
      if (deletable.length > 0) await ctx.storage.deleteOffsets(groupId, deletable);
      return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics };
    } catch (error) {
      return failed(groupErrorCode(error, `OffsetDelete ${groupId}`));
    }
  },
});
