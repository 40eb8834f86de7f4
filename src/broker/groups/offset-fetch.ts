import { ApiKey } from "../../protocol/generated/apis.ts";
import type { OffsetFetchRequest, OffsetFetchResponse } from "../../protocol/generated/offset-fetch.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import type { CommittedOffset, TopicPartition } from "../../storage/storage.ts";
import type { BrokerContext, RequestContext } from "../context.ts";
import { defineApi } from "../handler.ts";
import { validateConsumerMemberEpoch } from "./consumer-group.ts";
import { groupErrorCode } from "./group-errors.ts";
import { readGroup } from "./group-store.ts";
import { pendingTxnOffsets } from "../transactions/index.ts";

type FetchedTopic = NonNullable<OffsetFetchResponse["groups"]>[number]["topics"];

interface WantedGroup {
  groupId: string;
  memberId: string | null;
  memberEpoch: number;
  /** null: every partition the group has committed. */
  topics: Array<{ name: string; partitionIndexes: number[] }> | null;
  /** KIP-447: partitions with offsets pending in an open transaction answer UNSTABLE_OFFSET_COMMIT. */
  requireStable: boolean;
}

interface FetchedGroup {
  groupId: string;
  errorCode: number;
  topics: FetchedTopic;
}

/** A KIP-848 member fetching its offsets must be a current member at its current epoch. */
async function memberError(ctx: BrokerContext, wanted: WantedGroup): Promise<number> {
  if (wanted.memberId === null && wanted.memberEpoch < 0) return ErrorCode.NONE;
  const group = await readGroup(ctx, wanted.groupId);
  if (group?.type !== "consumer") return ErrorCode.NONE;
  return validateConsumerMemberEpoch(group, wanted.memberId ?? "", wanted.memberEpoch);
}

function byTopic(committed: CommittedOffset[]): FetchedTopic {
  const topics = new Map<string, FetchedTopic[number]["partitions"]>();
  for (const c of committed) {
    let partitions = topics.get(c.topic);
    if (!partitions) topics.set(c.topic, (partitions = []));
    partitions.push({ partitionIndex: c.partition, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata ?? "", errorCode: ErrorCode.NONE });
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}

/** Marks partitions whose offsets an open transaction is about to change, so the consumer retries. */
async function markUnstable(ctx: BrokerContext, wanted: WantedGroup, fetched: FetchedGroup): Promise<FetchedGroup> {
  if (!wanted.requireStable || fetched.errorCode !== ErrorCode.NONE) return fetched;
  const pending = new Set((await pendingTxnOffsets(ctx.storage, wanted.groupId)).map((tp) => `${tp.topic}:${tp.partition}`));
  if (pending.size === 0) return fetched;
  const topics = fetched.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) =>
      pending.has(`${t.name}:${p.partitionIndex}`)
        ? { partitionIndex: p.partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: "", errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
        : p,
    ),
  }));
  return { ...fetched, topics };
}

/**
 * Kafka's authorization of OffsetFetch: DESCRIBE on the group, and offsets only of topics the
 * principal may describe (left out of "all partitions", TOPIC_AUTHORIZATION_FAILED when named).
 */
function authorized(rc: RequestContext, wanted: WantedGroup, fetched: FetchedGroup): FetchedGroup {
  const describable = (topic: string) => rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, topic);
  if (wanted.topics === null) return { ...fetched, topics: fetched.topics.filter((t) => describable(t.name)) };
  return {
    ...fetched,
    topics: fetched.topics.map((t) =>
      describable(t.name)
        ? t
        : { name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: "", errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) },
    ),
  };
}

async function fetchGroup(ctx: BrokerContext, rc: RequestContext, wanted: WantedGroup): Promise<FetchedGroup> {
  if (!rc.authz.allows(AclOperation.DESCRIBE, ResourceType.GROUP, wanted.groupId)) {
    return { groupId: wanted.groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  }
  try {
    return authorized(rc, wanted, await markUnstable(ctx, wanted, await fetchCommitted(ctx, wanted)));
  } catch (error) {
    return { groupId: wanted.groupId, errorCode: groupErrorCode(error, `OffsetFetch ${wanted.groupId}`), topics: [] };
  }
}

async function fetchCommitted(ctx: BrokerContext, wanted: WantedGroup): Promise<FetchedGroup> {
  const errorCode = await memberError(ctx, wanted);
  if (errorCode !== ErrorCode.NONE) return { groupId: wanted.groupId, errorCode, topics: [] };
  if (wanted.topics === null) return { groupId: wanted.groupId, errorCode, topics: byTopic(await ctx.storage.fetchOffsets(wanted.groupId)) };
  const partitions: TopicPartition[] = wanted.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  const committed = new Map((await ctx.storage.fetchOffsets(wanted.groupId, partitions)).map((c) => [`${c.topic}:${c.partition}`, c]));
  return {
    groupId: wanted.groupId,
    errorCode,
    topics: wanted.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const c = committed.get(`${t.name}:${partitionIndex}`);
        // No committed offset is not an error: offset -1 tells the consumer to apply its reset policy.
        return c
          ? { partitionIndex, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata ?? "", errorCode: ErrorCode.NONE }
          : { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: "", errorCode: ErrorCode.NONE };
      }),
    })),
  };
}

export const offsetFetchApi = defineApi<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: ApiKey.OffsetFetch,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request, rc) {
    if (rc.apiVersion >= 8) {
      // v8+ (KIP-709) asks for several groups at once.
      const groups = await Promise.all(
        (request.groups ?? []).map((g) => fetchGroup(ctx, rc, { groupId: g.groupId, memberId: g.memberId ?? null, memberEpoch: g.memberEpoch ?? -1, topics: g.topics, requireStable: request.requireStable ?? false })),
      );
      return { throttleTimeMs: 0, groups };
    }
    // Before v2 there is no "all partitions" request: topics is never null.
    const fetched = await fetchGroup(ctx, rc, { groupId: request.groupId ?? "", memberId: null, memberEpoch: -1, topics: request.topics ?? null, requireStable: request.requireStable ?? false });
    // v0 and v1 have no group-level error code; each partition carries it instead.
    const topics =
      rc.apiVersion < 2 && fetched.errorCode !== ErrorCode.NONE
        ? (request.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: "", errorCode: fetched.errorCode })),
          }))
        : fetched.topics;
    return { throttleTimeMs: 0, topics, errorCode: fetched.errorCode };
  },
});
