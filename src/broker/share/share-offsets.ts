// The admin side of share groups (KIP-932): DescribeShareGroupOffsets (the start offset of each
// share-partition and, from v1, its lag), AlterShareGroupOffsets (start a share-partition afresh at
// an offset) and DeleteShareGroupOffsets (forget a topic's share state). Altering or deleting needs
// an empty group, as in Kafka; an alter creates the group when it does not exist. Authorization as
// Kafka's: DESCRIBE on the group and its topics to describe, READ on both to alter, DELETE on the
// group and READ on the topics to delete.

import type { AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse } from "../../protocol/generated/alter-share-group-offsets.ts";
import type { DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse } from "../../protocol/generated/delete-share-group-offsets.ts";
import type { DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse } from "../../protocol/generated/describe-share-group-offsets.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { ZERO_UUID } from "../../protocol/reader.ts";
import type { Topic } from "../../storage/storage.ts";
import type { BrokerContext, RequestContext } from "../context.ts";
import { errorCodeOf } from "../error-mapping.ts";
import { shareGroupConfig } from "../groups/group-configs.ts";
import { groupErrorCode } from "../groups/group-errors.ts";
import { changeGroup } from "../groups/group-store.ts";
import { newShareGroup, tickShare } from "../groups/share-group.ts";
import { LEADER_EPOCH } from "../metadata.ts";
import { hasPartition, lookupAuthorizedTopic } from "../topic-lookup.ts";
import { clampToLogStart, expireLocks, initialState, lag, type SharePartitionState } from "./share-partition.ts";
import { changeSharePartition, deleteSharePartitions, listSharePartitions, readSharePartition } from "./share-partition-store.ts";
import { GROUP_REFUSED } from "./share-delivery.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import { defineApi } from "../handler.ts";

const UNKNOWN_PARTITION = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "This server does not host this topic-partition." };
const NOT_EMPTY = { errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage: "The group is not empty." };
const TOPIC_REFUSED = { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: "Topic authorization failed." };

interface Outcome {
  errorCode: number;
  errorMessage: string | null;
}

/** Whether the group's share state may be changed: an empty share group (created when asked to). */
async function checkEmptyShareGroup(ctx: BrokerContext, groupId: string, createIfAbsent: boolean): Promise<Outcome> {
  return changeGroup<Outcome>(ctx, groupId, (group, now) => {
    if (!group) {
      if (createIfAbsent) return { result: { errorCode: ErrorCode.NONE, errorMessage: null }, save: newShareGroup(groupId) };
      return { result: { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` } };
    }
    if (group.type !== "share") return { result: { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a share group.` } };
    const changed = tickShare(group, now);
    const result = group.members.length > 0 ? NOT_EMPTY : { errorCode: ErrorCode.NONE, errorMessage: null };
    return { result, save: changed ? group : undefined };
  });
}

type DescribedGroup = DescribeShareGroupOffsetsResponse["groups"][number];
type DescribedPartition = DescribedGroup["topics"][number]["partitions"][number];

/** One partition as of now: lapsed locks and the log start applied to a copy of its state. */
async function describePartition(ctx: BrokerContext, topic: Topic, partition: number, stored: SharePartitionState | null, limit: number): Promise<DescribedPartition> {
  const base = { partitionIndex: partition, leaderEpoch: LEADER_EPOCH, errorCode: ErrorCode.NONE, errorMessage: null };
  if (!hasPartition(topic, partition)) return { ...base, ...UNKNOWN_PARTITION, startOffset: -1n, lag: -1n };
  if (!stored) return { ...base, startOffset: -1n, lag: -1n };
  const offsets = await ctx.storage.offsets({ topic: topic.name, partition });
  const state = structuredClone(stored);
  expireLocks(state, Date.now(), { deliveryCountLimit: limit });
  clampToLogStart(state, offsets.logStartOffset);
  return { ...base, startOffset: state.startOffset, lag: lag(state, offsets.highWatermark) };
}

async function describeGroup(ctx: BrokerContext, wanted: DescribeShareGroupOffsetsRequest["groups"][number], describable: (topic: string) => boolean): Promise<DescribedGroup> {
  const { groupId } = wanted;
  const topics: DescribedGroup["topics"] = [];
  const limit = (await shareGroupConfig(ctx, groupId)).deliveryCountLimit;
  if (wanted.topics === null) {
    // Every partition the group holds state for, of topics that still exist.
    const byTopic = new Map<string, Array<{ partition: number; state: SharePartitionState }>>();
    for (const p of await listSharePartitions(ctx, groupId)) {
      let list = byTopic.get(p.topicId);
      if (!list) byTopic.set(p.topicId, (list = []));
      list.push(p);
    }
    for (const [topicId, partitions] of byTopic) {
      const topic = await ctx.storage.getTopic({ id: topicId });
      // Topics the principal may not describe are left out, as Kafka does.
      if (!topic || !describable(topic.name)) continue;
      partitions.sort((a, b) => a.partition - b.partition);
      const described = await Promise.all(partitions.map((p) => describePartition(ctx, topic, p.partition, p.state, limit)));
      topics.push({ topicName: topic.name, topicId, partitions: described });
    }
  } else {
    // Topics this cluster does not have are left out, as Kafka does; those the principal may not
    // describe are answered last, refused partition by partition.
    const refused: DescribedGroup["topics"] = [];
    for (const t of wanted.topics) {
      if (!describable(t.topicName)) {
        refused.push({ topicName: t.topicName, topicId: ZERO_UUID, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex, leaderEpoch: LEADER_EPOCH, startOffset: -1n, lag: -1n, ...TOPIC_REFUSED })) });
        continue;
      }
      const topic = await ctx.storage.getTopic({ name: t.topicName });
      if (!topic) continue;
      const partitions = await Promise.all(
        t.partitions.map(async (partition) => {
          const stored = hasPartition(topic, partition) ? await readSharePartition(ctx, { groupId, topicId: topic.id, partition }) : null;
          return describePartition(ctx, topic, partition, stored, limit);
        }),
      );
      topics.push({ topicName: topic.name, topicId: topic.id, partitions });
    }
    topics.push(...refused);
  }
  return { groupId, topics, errorCode: ErrorCode.NONE, errorMessage: null };
}

async function handleDescribeShareGroupOffsets(ctx: BrokerContext, request: DescribeShareGroupOffsetsRequest, rc: RequestContext): Promise<DescribeShareGroupOffsetsResponse> {
  const describable = (topic: string) => rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, topic);
  const groups = await Promise.all(
    request.groups.map(async (wanted): Promise<DescribedGroup> => {
      if (!rc.authz.allows(AclOperation.DESCRIBE, ResourceType.GROUP, wanted.groupId)) {
        return { groupId: wanted.groupId, topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: GROUP_REFUSED };
      }
      try {
        return await describeGroup(ctx, wanted, describable);
      } catch (error) {
        return { groupId: wanted.groupId, topics: [], errorCode: groupErrorCode(error, `DescribeShareGroupOffsets ${wanted.groupId}`), errorMessage: null };
      }
    }),
  );
  return { throttleTimeMs: 0, groups };
}

async function handleAlterShareGroupOffsets(ctx: BrokerContext, request: AlterShareGroupOffsetsRequest, rc: RequestContext): Promise<AlterShareGroupOffsetsResponse> {
  const { groupId } = request;
  const failed = (errorCode: number, errorMessage: string | null): AlterShareGroupOffsetsResponse => ({
    throttleTimeMs: 0,
    errorCode,
    errorMessage,
    responses: request.topics.map((t) => ({
      topicName: t.topicName,
      topicId: ZERO_UUID,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage })),
    })),
  });
  if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED, GROUP_REFUSED);
  if (groupId === "") return failed(ErrorCode.INVALID_GROUP_ID, "The group id can't be empty.");
  let check;
  try {
    check = await checkEmptyShareGroup(ctx, groupId, true);
  } catch (error) {
    return failed(groupErrorCode(error, `AlterShareGroupOffsets ${groupId}`), null);
  }
  if (check.errorCode !== ErrorCode.NONE) return failed(check.errorCode, check.errorMessage);
  const responses: AlterShareGroupOffsetsResponse["responses"] = [];
  for (const t of request.topics) {
    const { topic, errorCode } = await lookupAuthorizedTopic(ctx, rc, AclOperation.READ, t.topicName, "alter share group offsets of");
    const partitions = await Promise.all(
      t.partitions.map(async ({ partitionIndex, startOffset }) => {
        if (!hasPartition(topic, partitionIndex)) {
          if (errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED) return { partitionIndex, ...TOPIC_REFUSED };
          return topic || errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? { partitionIndex, ...UNKNOWN_PARTITION } : { partitionIndex, errorCode, errorMessage: null };
        }
        if (startOffset < 0n) return { partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Invalid start offset ${startOffset}.` };
        try {
          await changeSharePartition(ctx, { groupId, topicId: topic.id, partition: partitionIndex }, () => ({ result: undefined, save: initialState(startOffset) }));
          return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null };
        } catch (error) {
          return { partitionIndex, errorCode: errorCodeOf(error, `AlterShareGroupOffsets ${groupId} ${t.topicName}-${partitionIndex}`), errorMessage: null };
        }
      }),
    );
    responses.push({ topicName: t.topicName, topicId: topic?.id ?? ZERO_UUID, partitions });
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
}

async function handleDeleteShareGroupOffsets(ctx: BrokerContext, request: DeleteShareGroupOffsetsRequest, rc: RequestContext): Promise<DeleteShareGroupOffsetsResponse> {
  const { groupId } = request;
  const failed = (errorCode: number, errorMessage: string | null): DeleteShareGroupOffsetsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, responses: [] });
  if (!rc.authz.allows(AclOperation.DELETE, ResourceType.GROUP, groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED, GROUP_REFUSED);
  if (groupId === "") return failed(ErrorCode.INVALID_GROUP_ID, "The group id can't be empty.");
  try {
    const check = await checkEmptyShareGroup(ctx, groupId, false);
    if (check.errorCode !== ErrorCode.NONE) return failed(check.errorCode, check.errorMessage);
    // As Kafka: topics the principal may not READ come first, refused.
    const names = [...new Set(request.topics.map((t) => t.topicName))];
    const readable = (topicName: string) => rc.authz.allows(AclOperation.READ, ResourceType.TOPIC, topicName);
    const responses: DeleteShareGroupOffsetsResponse["responses"] = names.filter((n) => !readable(n)).map((topicName) => ({ topicName, topicId: ZERO_UUID, ...TOPIC_REFUSED }));
    for (const topicName of names.filter(readable)) {
      const topic = await ctx.storage.getTopic({ name: topicName });
      if (!topic) {
        responses.push({ topicName, topicId: ZERO_UUID, ...UNKNOWN_PARTITION });
        continue;
      }
      await deleteSharePartitions(ctx, groupId, (topicId) => topicId === topic.id);
      responses.push({ topicName, topicId: topic.id, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  } catch (error) {
    return failed(groupErrorCode(error, `DeleteShareGroupOffsets ${groupId}`), null);
  }
}

export const describeShareGroupOffsetsApi = defineApi({ apiKey: ApiKey.DescribeShareGroupOffsets, minVersion: 0, maxVersion: 1, handle: handleDescribeShareGroupOffsets });

export const alterShareGroupOffsetsApi = defineApi({ apiKey: ApiKey.AlterShareGroupOffsets, minVersion: 0, maxVersion: 0, handle: handleAlterShareGroupOffsets });

export const deleteShareGroupOffsetsApi = defineApi({ apiKey: ApiKey.DeleteShareGroupOffsets, minVersion: 0, maxVersion: 0, handle: handleDeleteShareGroupOffsets });
