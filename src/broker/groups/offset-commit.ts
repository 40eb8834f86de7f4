import { ApiKey } from "../../protocol/generated/apis.ts";
import type { OffsetCommitRequest, OffsetCommitResponse } from "../../protocol/generated/offset-commit.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import type { CommittedOffset } from "../../storage/storage.ts";
import type { BrokerContext } from "../context.ts";
import { defineApi } from "../handler.ts";
import { missingPartitions, topicPartitionKey } from "../topic-lookup.ts";
import { newClassicGroup, validateClassicCommit } from "./classic-group.ts";
import { validateConsumerMemberEpoch } from "./consumer-group.ts";
import { groupErrorCode } from "./group-errors.ts";
import { DEFAULT_GROUP_SETTINGS as SETTINGS } from "./group-settings.ts";
import { changeGroup } from "./group-store.ts";

interface Committer {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  generationIdOrMemberEpoch: number;
  apiVersion: number;
}

/**
 * Whether this member may commit now (Kafka's validateOffsetCommit). A commit outside group
 * management (generation -1) to a group that does not exist creates it, empty, so that the
 * group is listed and described like any other.
 */
function authorizeCommit(ctx: BrokerContext, c: Committer): Promise<number> {
  return changeGroup(ctx, c.groupId, (group) => {
    if (!group) {
      if (c.generationIdOrMemberEpoch < 0) return { result: ErrorCode.NONE, save: newClassicGroup(c.groupId) };
      // v9 (KIP-848) reports the missing group; older clients expect ILLEGAL_GENERATION.
      return { result: c.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION };
    }
    // A share group's progress is its share-partition state, never committed offsets.
    if (group.type === "share") return { result: ErrorCode.GROUP_ID_NOT_FOUND };
    if (group.type === "classic") return { result: validateClassicCommit(group, c.memberId, c.groupInstanceId, c.generationIdOrMemberEpoch) };
    const code = validateConsumerMemberEpoch(group, c.memberId, c.generationIdOrMemberEpoch);
    // Members of a KIP-848 group commit with v9+, which carries the member epoch.
    if (code === ErrorCode.NONE && c.apiVersion < 9 && group.members.length > 0) return { result: ErrorCode.UNSUPPORTED_VERSION };
    return { result: code };
  });
}

export const offsetCommitApi = defineApi<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request, rc) {
    const { groupId } = request;
    const answer = (code: (topic: string, partition: number) => number): OffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name, p.partitionIndex) })) })),
    });
    if (groupId === "") return answer(() => ErrorCode.INVALID_GROUP_ID);
    if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return answer(() => ErrorCode.GROUP_AUTHORIZATION_FAILED);
    let groupError: number;
    try {
      groupError = await authorizeCommit(ctx, {
        groupId,
        memberId: request.memberId ?? "",
        groupInstanceId: request.groupInstanceId ?? null,
        generationIdOrMemberEpoch: request.generationIdOrMemberEpoch ?? -1,
        apiVersion: rc.apiVersion,
      });
    } catch (error) {
      groupError = groupErrorCode(error, `OffsetCommit ${groupId}`);
    }
    if (groupError !== ErrorCode.NONE) return answer(() => groupError);

    const errors = await missingPartitions(
      ctx,
      request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
      "commit offsets of",
      (name) => rc.authz.allows(AclOperation.READ, ResourceType.TOPIC, name),
    );
    const offsets: CommittedOffset[] = [];
    const now = BigInt(Date.now());
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const key = topicPartitionKey(t.name, p.partitionIndex);
        if (errors.has(key)) continue;
        if ((p.committedMetadata?.length ?? 0) > SETTINGS.offsetMetadataMaxBytes) errors.set(key, ErrorCode.OFFSET_METADATA_TOO_LARGE);
        else {
          const stamped = p.commitTimestamp ?? -1n;
          offsets.push({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch ?? -1,
            // Kafka stores a null metadata as "" and returns it so.
            metadata: p.committedMetadata ?? "",
            commitTimestamp: stamped >= 0n ? stamped : now,
          });
        }
      }
    }
    let storeError: number = ErrorCode.NONE;
    if (offsets.length > 0) {
      try {
        await ctx.storage.commitOffsets(groupId, offsets);
      } catch (error) {
        storeError = groupErrorCode(error, `OffsetCommit ${groupId}`);
      }
    }
    return answer((topic, partition) => errors.get(topicPartitionKey(topic, partition)) ?? storeError);
  },
});
