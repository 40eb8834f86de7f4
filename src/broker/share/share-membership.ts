// ShareGroupHeartbeat as a pure transition over a share group record (Kafka's shareGroupHeartbeat):
// members join with epoch 0 and a subscription, heartbeat with the epoch they were given, and
// leave with -1. A change of membership, subscriptions or subscribed topics moves the group to a
// new epoch, and the next heartbeat computes a new target assignment with the simple assignor.
// Share groups revoke nothing, so a member takes its target (and the target's epoch) at once.

import { ErrorCode } from "../../protocol/error-codes.ts";
import { heartbeatError, sameAssignment, sameMetadata, toTopicPartitions, topicMetadata, type ConsumerHeartbeatAnswer, type TopicInfo } from "../groups/consumer-group.ts";
import { removeShareMember, tickShare, type ShareGroup, type ShareMember } from "../groups/share-group.ts";
import { simpleAssign } from "./simple-assignor.ts";

export const LEAVE_GROUP_EPOCH = -1;

/** group.share.max.size */
export const MAX_GROUP_SIZE = 200;

export interface ShareHeartbeatInput {
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  /** Null when unchanged since the last heartbeat. */
  subscribedTopicNames: string[] | null;
  clientId: string;
  clientHost: string;
}

export interface ShareHeartbeatSettings {
  heartbeatIntervalMs: number;
  sessionTimeoutMs: number;
}

/** The same answer as ConsumerGroupHeartbeat's. */
export type ShareHeartbeatAnswer = ConsumerHeartbeatAnswer;
export const shareHeartbeatError = heartbeatError;

/** Kafka's request checks, made before the group is read; an answer only when invalid. */
export function validateShareHeartbeat(groupId: string, hb: ShareHeartbeatInput): ShareHeartbeatAnswer | null {
  const invalid = (message: string) => shareHeartbeatError(ErrorCode.INVALID_REQUEST, message);
  if (groupId === "") return invalid("GroupId can't be empty.");
  if (hb.memberId === "") return invalid("MemberId can't be empty.");
  if (hb.rackId === "") return invalid("RackId can't be empty.");
  if (hb.memberEpoch < LEAVE_GROUP_EPOCH) return invalid("MemberEpoch is invalid.");
  if (hb.memberEpoch === 0 && (hb.subscribedTopicNames === null || hb.subscribedTopicNames.length === 0)) {
    return invalid("SubscribedTopicNames must be set in first request.");
  }
  return null;
}

function computeTargetAssignment(group: ShareGroup): void {
  const counts = new Map(Object.values(group.subscribedTopics).map((t) => [t.id, t.partitions]));
  const target = simpleAssign(
    group.members.map((m) => ({
      memberId: m.memberId,
      topicIds: m.subscribedTopicNames.map((n) => group.subscribedTopics[n]?.id).filter((id): id is string => id !== undefined),
      previous: group.targetAssignment[m.memberId] ?? {},
    })),
    counts,
  );
  group.targetAssignment = Object.fromEntries(target);
  group.assignmentEpoch = group.groupEpoch;
}

function leave(group: ShareGroup, hb: ShareHeartbeatInput): ShareHeartbeatAnswer {
  if (!group.members.some((m) => m.memberId === hb.memberId)) {
    return shareHeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${hb.memberId} is not a member of group ${group.groupId}.`, hb.memberId);
  }
  removeShareMember(group, hb.memberId);
  return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: hb.memberId, memberEpoch: LEAVE_GROUP_EPOCH, heartbeatIntervalMs: 0, assignment: null };
}

function newMember(hb: ShareHeartbeatInput): ShareMember {
  return { memberId: hb.memberId, rackId: null, clientId: hb.clientId, clientHost: hb.clientHost, memberEpoch: 0, subscribedTopicNames: [], assigned: {}, sessionDeadline: 0 };
}

/** Joins, heartbeats, changes the subscription or leaves. Mutates `group`; `topics` is every topic in the store now. */
export function shareHeartbeat(group: ShareGroup, hb: ShareHeartbeatInput, topics: TopicInfo[], now: number, settings: ShareHeartbeatSettings): ShareHeartbeatAnswer {
  tickShare(group, now);
  if (hb.memberEpoch === LEAVE_GROUP_EPOCH) return leave(group, hb);
  let m = group.members.find((x) => x.memberId === hb.memberId);
  let bumpEpoch = false;
  if (hb.memberEpoch === 0) {
    if (!m) {
      if (group.members.length >= MAX_GROUP_SIZE) {
        return shareHeartbeatError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group has reached its maximum capacity of ${MAX_GROUP_SIZE} members.`, hb.memberId);
      }
      group.members.push((m = newMember(hb)));
      bumpEpoch = true;
    } else {
      // A member rejoining (after an error) starts over from nothing.
      m.memberEpoch = 0;
      m.assigned = {};
    }
  } else {
    if (!m) return shareHeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${hb.memberId} is not a member of group ${group.groupId}.`, hb.memberId);
    if (hb.memberEpoch !== m.memberEpoch) {
      const relation = hb.memberEpoch > m.memberEpoch ? "greater" : "smaller";
      return shareHeartbeatError(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The share group member has a ${relation} member epoch (${hb.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`,
        hb.memberId,
      );
    }
  }
  if (hb.subscribedTopicNames !== null) {
    const names = [...new Set(hb.subscribedTopicNames)].sort();
    if (names.length !== m.subscribedTopicNames.length || names.some((n, i) => n !== m!.subscribedTopicNames[i])) bumpEpoch = true;
    m.subscribedTopicNames = names;
  }
  if (hb.rackId !== null) m.rackId = hb.rackId;
  m.clientId = hb.clientId;
  m.clientHost = hb.clientHost;
  m.sessionDeadline = now + settings.sessionTimeoutMs;
  const metadata = topicMetadata(
    group.members.flatMap((x) => x.subscribedTopicNames),
    topics,
  );
  if (!sameMetadata(metadata, group.subscribedTopics)) {
    group.subscribedTopics = metadata;
    bumpEpoch = true;
  }
  if (bumpEpoch) group.groupEpoch += 1;
  if (group.groupEpoch > group.assignmentEpoch) computeTargetAssignment(group);

  const assignedBefore = m.assigned;
  if (m.memberEpoch !== group.assignmentEpoch) {
    m.assigned = group.targetAssignment[m.memberId] ?? {};
    m.memberEpoch = group.assignmentEpoch;
  }
  const sendAssignment = hb.memberEpoch === 0 || !sameAssignment(assignedBefore, m.assigned);
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    memberId: m.memberId,
    memberEpoch: m.memberEpoch,
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    assignment: sendAssignment ? { topicPartitions: toTopicPartitions(m.assigned) } : null,
  };
}
