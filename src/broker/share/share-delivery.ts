// What ShareFetch and ShareAcknowledge share: the broker's share sessions and their epochs,
// acknowledging records of one share-partition, and giving back what a member holds when its
// session ends. State changes go through the store (share-partition-store.ts); only the sessions
// are this broker's own.

import { consola } from "../../log.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import type { Topic } from "../../storage/storage.ts";
import type { BrokerContext } from "../context.ts";
import type { RequestAuthorizer } from "../security-hooks.ts";
import { errorCodeOf } from "../error-mapping.ts";
import { shareGroupConfig } from "../groups/group-configs.ts";
import { hasPartition } from "../topic-lookup.ts";
import { acknowledge, expireLocks, releaseMember, validateAckBatches, type AckBatch, type DeliveryLimits } from "./share-partition.ts";
import { changeSharePartition } from "./share-partition-store.ts";
import { FINAL_EPOCH, nextEpoch, partitionId, shareSessionsOf, type ShareSession, type ShareSessions, type TopicIdPartition } from "./share-sessions.ts";

export interface PartitionOutcome {
  errorCode: number;
  errorMessage: string | null;
}

export const OK: PartitionOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };

/** Kafka's message for GROUP_AUTHORIZATION_FAILED. */
export const GROUP_REFUSED = "Group authorization failed.";

/** The broker's share sessions; a session that ends gives back what its member holds. */
export function sessions(ctx: BrokerContext): ShareSessions {
  // A release that fails leaves the records to their locks, which lapse at their deadlines.
  return shareSessionsOf(ctx, (session) =>
    releaseHeld(ctx, session).catch((error) => consola.warn(`releasing records of share session ${session.groupId}/${session.memberId}: ${(error as Error).message}`)),
  );
}

/**
 * Checks a request of an open session (epoch > 0, or -1 to close it) and moves the session to its
 * next epoch. An error leaves the session as it was.
 */
export function continueSession(all: ShareSessions, groupId: string, memberId: string, epoch: number): { session: ShareSession } | PartitionOutcome {
  const session = all.get(groupId, memberId);
  if (!session) return { errorCode: ErrorCode.SHARE_SESSION_NOT_FOUND, errorMessage: "The share session was not found." };
  if (epoch === FINAL_EPOCH) return { session };
  if (epoch !== session.epoch) return { errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH, errorMessage: "The share session epoch is invalid." };
  session.epoch = nextEpoch(session.epoch);
  return { session };
}

/** The topics of one request, looked up by id once each, and whether its principal may READ them. */
export interface TopicOf {
  get(topicId: string): Promise<Topic | null>;
  readable(topic: Topic): boolean;
}

export function topicsById(ctx: BrokerContext, authz: RequestAuthorizer): TopicOf {
  const found = new Map<string, Promise<Topic | null>>();
  return {
    get(topicId) {
      let topic = found.get(topicId);
      if (!topic) found.set(topicId, (topic = ctx.storage.getTopic({ id: topicId })));
      return topic;
    },
    readable: (topic) => authz.allows(AclOperation.READ, ResourceType.TOPIC, topic.name),
  };
}

/** The partition's topic, or the error every request about the partition gets (as Kafka, READ is checked before the partition). */
export async function resolvePartition(topicOf: TopicOf, tp: TopicIdPartition, purpose: string): Promise<{ topic: Topic } | { problem: PartitionOutcome }> {
  let topic: Topic | null;
  try {
    topic = await topicOf.get(tp.topicId);
  } catch (error) {
    return { problem: { errorCode: errorCodeOf(error, `${purpose} ${tp.topicId}-${tp.partition}`), errorMessage: null } };
  }
  if (!topic) return { problem: { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: "This server does not host this topic ID." } };
  if (!topicOf.readable(topic)) return { problem: { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null } };
  if (!hasPartition(topic, tp.partition)) {
    return { problem: { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "This server does not host this topic-partition." } };
  }
  return { topic };
}

/** Applies a member's acknowledgements to one share-partition, all or nothing. */
export async function acknowledgeIn(
  ctx: BrokerContext,
  groupId: string,
  memberId: string,
  tp: TopicIdPartition,
  topicOf: TopicOf,
  batches: AckBatch[],
  limits: DeliveryLimits,
): Promise<PartitionOutcome> {
  const invalid = validateAckBatches(batches);
  if (invalid) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid };
  const resolved = await resolvePartition(topicOf, tp, "acknowledge in");
  if ("problem" in resolved) return resolved.problem;
  try {
    return await changeSharePartition(ctx, { groupId, ...tp }, (current, now) => {
      if (!current) return { result: { errorCode: ErrorCode.INVALID_RECORD_STATE, errorMessage: "The offset cannot be acknowledged. The offset is not acquired." } };
      const state = structuredClone(current);
      // A lock that lapsed is no longer the member's to acknowledge.
      expireLocks(state, now, limits);
      const failure = acknowledge(state, memberId, batches, limits);
      if (failure) {
        const errorCode = failure.kind === "invalid_request" ? ErrorCode.INVALID_REQUEST : ErrorCode.INVALID_RECORD_STATE;
        return { result: { errorCode, errorMessage: failure.message } };
      }
      return { result: OK, save: state };
    });
  } catch (error) {
    return { errorCode: errorCodeOf(error, `acknowledge ${groupId} ${tp.topicId}-${tp.partition}`), errorMessage: null };
  }
}

/** Gives back every record the session's member holds in the partitions it fetched through it. */
function releaseHeld(ctx: BrokerContext, session: ShareSession): Promise<void> {
  return releaseIn(ctx, session.groupId, session.memberId, [...session.held.values()]);
}

/** Gives back every record `memberId` holds in `partitions`. */
export async function releaseIn(ctx: BrokerContext, groupId: string, memberId: string, partitions: TopicIdPartition[]): Promise<void> {
  if (partitions.length === 0) return;
  const limits = await shareGroupConfig(ctx, groupId);
  for (const tp of partitions) {
    await changeSharePartition(ctx, { groupId, ...tp }, (current, now) => {
      if (!current) return { result: undefined };
      const state = structuredClone(current);
      const expired = expireLocks(state, now, limits);
      const released = releaseMember(state, memberId, limits);
      return { result: undefined, save: expired || released ? state : undefined };
    });
  }
}

/** Request partitions by id, a topic named twice merged, acknowledgement batches kept in order. */
export function requestedPartitions<B>(
  topics: Array<{ topicId: string; partitions: Array<{ partitionIndex: number; acknowledgementBatches: B[] }> }>,
): Map<string, { tp: TopicIdPartition; acks: B[] }> {
  const out = new Map<string, { tp: TopicIdPartition; acks: B[] }>();
  for (const t of topics) {
    for (const p of t.partitions) {
      const tp = { topicId: t.topicId, partition: p.partitionIndex };
      const entry = out.get(partitionId(tp));
      if (entry) entry.acks.push(...p.acknowledgementBatches);
      else out.set(partitionId(tp), { tp, acks: [...p.acknowledgementBatches] });
    }
  }
  return out;
}

/** Groups per-partition response entries by topic, in the order the partitions come. */
export function byTopic<P>(entries: Array<{ tp: TopicIdPartition; data: P }>): Array<{ topicId: string; partitions: P[] }> {
  const topics = new Map<string, P[]>();
  for (const { tp, data } of entries) {
    let partitions = topics.get(tp.topicId);
    if (!partitions) topics.set(tp.topicId, (partitions = []));
    partitions.push(data);
  }
  return [...topics].map(([topicId, partitions]) => ({ topicId, partitions }));
}

/** Kafka answers 0/0 here unless it reports a leader change (NOT_LEADER_OR_FOLLOWER), which never happens: every broker leads. */
export const NO_LEADER_CHANGE = { leaderId: 0, leaderEpoch: 0 };
