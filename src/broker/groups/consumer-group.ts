// The KIP-848 consumer group protocol as pure transitions over a group record: members send
// ConsumerGroupHeartbeat, the coordinator owns the assignment. A new group epoch (a member
// joined or left, a subscription or a subscribed topic changed) yields a new target assignment
// from the server-side assignor; each member then moves towards its target one heartbeat at a
// time, first revoking what it must give up, and only receiving partitions that no other member
// still owns. Deadlines are absolute times in the record so that any broker can enforce them.

import { ErrorCode } from "../../protocol/error-codes.ts";
import { ASSIGNORS, DEFAULT_ASSIGNOR, assignmentFromKeys, assignmentKeys, partitionKey, type Assignment, type AssignorMember } from "./assignors.ts";
import type { GroupSettings } from "./group-settings.ts";

const LEAVE_GROUP_EPOCH = -1;
const LEAVE_GROUP_STATIC_EPOCH = -2;

export type ConsumerMemberState = "stable" | "unrevoked_partitions" | "unreleased_partitions";

export interface ConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: ConsumerMemberState;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** What the member has been told it owns. */
  assigned: Assignment;
  /** What it was told to give up and has not confirmed giving up yet. */
  pendingRevocation: Assignment;
  sessionDeadline: number;
  /** While revoking: when the member is fenced if it has not confirmed. */
  revocationDeadline: number;
  /** A static member that left with epoch -2: its partitions wait for it until its session expires. */
  staticLeft: boolean;
}

export interface SubscribedTopic {
  id: string;
  partitions: number;
}

export interface ConsumerGroup {
  type: "consumer";
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string | null;
  members: ConsumerMember[];
  /** Member id to its target assignment as of assignmentEpoch. */
  targetAssignment: Record<string, Assignment>;
  /** Topics the members subscribe to, by name, as of the last epoch bump. */
  subscribedTopics: Record<string, SubscribedTopic>;
}

export interface TopicInfo {
  name: string;
  id: string;
  partitions: number;
}

export interface TopicPartitions {
  topicId: string;
  partitions: number[];
}

export interface ConsumerHeartbeatInput {
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** The partitions the member owns now; null when unchanged since its last heartbeat. */
  topicPartitions: TopicPartitions[] | null;
  clientId: string;
  clientHost: string;
  /** The id for a member joining without one (ConsumerGroupHeartbeat v0). */
  newMemberId: string;
}

export interface ConsumerHeartbeatAnswer {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: TopicPartitions[] } | null;
}

export function newConsumerGroup(groupId: string): ConsumerGroup {
  return { type: "consumer", groupId, groupEpoch: 0, assignmentEpoch: 0, assignorName: null, members: [], targetAssignment: {}, subscribedTopics: {} };
}

export function heartbeatError(errorCode: number, errorMessage: string | null = null, memberId: string | null = null): ConsumerHeartbeatAnswer {
  return { errorCode, errorMessage, memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
}

/** Kafka's consumer group states, as DescribeGroups/ListGroups/ConsumerGroupDescribe name them. */
export function consumerGroupState(group: ConsumerGroup): "Empty" | "Assigning" | "Reconciling" | "Stable" {
  if (group.members.length === 0) return "Empty";
  if (group.groupEpoch > group.assignmentEpoch) return "Assigning";
  const settled = group.members.every((m) => m.staticLeft || (m.memberEpoch === group.assignmentEpoch && m.state === "stable"));
  return settled ? "Stable" : "Reconciling";
}

// --- assignment sets -----------------------------------------------------------------

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  const x = assignmentKeys(a);
  const y = assignmentKeys(b);
  return x.size === y.size && [...x].every((k) => y.has(k));
}

export function toTopicPartitions(a: Assignment): TopicPartitions[] {
  return Object.entries(a)
    .filter(([, partitions]) => partitions.length > 0)
    .map(([topicId, partitions]) => ({ topicId, partitions }));
}

function fromTopicPartitions(list: TopicPartitions[]): Assignment {
  return assignmentFromKeys(list.flatMap((t) => t.partitions.map((p) => partitionKey(t.topicId, p))));
}

// --- subscriptions and the target assignment -------------------------------------------

/** A Kafka (RE2/Java) subscription pattern as a JavaScript one; it must match whole topic names. */
function compileTopicRegex(regex: string): RegExp | null {
  try {
    return new RegExp(`^(?:${regex})$`);
  } catch {
    // An invalid pattern is the client's error; callers answer INVALID_REGULAR_EXPRESSION.
    return null;
  }
}

function subscribedNames(m: ConsumerMember, topics: TopicInfo[]): string[] {
  const pattern = m.subscribedTopicRegex === null ? null : compileTopicRegex(m.subscribedTopicRegex);
  const names = new Set(m.subscribedTopicNames);
  if (pattern) for (const t of topics) if (pattern.test(t.name)) names.add(t.name);
  return [...names];
}

/** The named topics that exist, by name, with their ids and partition counts. */
export function topicMetadata(names: Iterable<string>, topics: TopicInfo[]): Record<string, SubscribedTopic> {
  const byName = new Map(topics.map((t) => [t.name, t]));
  const out: Record<string, SubscribedTopic> = {};
  for (const name of names) {
    const t = byName.get(name);
    if (t) out[name] = { id: t.id, partitions: t.partitions };
  }
  return out;
}

function subscriptionMetadata(group: ConsumerGroup, topics: TopicInfo[]): Record<string, SubscribedTopic> {
  return topicMetadata(
    group.members.flatMap((m) => subscribedNames(m, topics)),
    topics,
  );
}

export function sameMetadata(a: Record<string, SubscribedTopic>, b: Record<string, SubscribedTopic>): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((n) => b[n]?.id === a[n]!.id && b[n]?.partitions === a[n]!.partitions);
}

/** The assignor most members ask for; the default when none asks. */
function preferredAssignor(group: ConsumerGroup): string {
  const votes = new Map<string, number>();
  for (const m of group.members) if (m.serverAssignor) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
  let best: string | null = null;
  for (const [name, count] of [...votes].sort(([a], [b]) => (a < b ? -1 : 1))) if (best === null || count > votes.get(best)!) best = name;
  return best ?? DEFAULT_ASSIGNOR;
}

function computeTargetAssignment(group: ConsumerGroup, topics: TopicInfo[]): void {
  const name = preferredAssignor(group);
  const counts = new Map(Object.values(group.subscribedTopics).map((t) => [t.id, t.partitions]));
  const members: AssignorMember[] = group.members.map((m) => ({
    memberId: m.memberId,
    topicIds: subscribedNames(m, topics)
      .map((n) => group.subscribedTopics[n]?.id)
      .filter((id): id is string => id !== undefined),
    previous: group.targetAssignment[m.memberId] ?? {},
  }));
  const target = ASSIGNORS.get(name)!(members, counts);
  group.targetAssignment = Object.fromEntries(target);
  group.assignorName = name;
  group.assignmentEpoch = group.groupEpoch;
}

// --- reconciliation --------------------------------------------------------------------

/** Partitions that members other than `memberId` still hold (assigned or being revoked). */
function ownedByOthers(group: ConsumerGroup, memberId: string): Set<string> {
  const out = new Set<string>();
  for (const m of group.members) {
    if (m.memberId === memberId) continue;
    for (const k of assignmentKeys(m.assigned)) out.add(k);
    for (const k of assignmentKeys(m.pendingRevocation)) out.add(k);
  }
  return out;
}

/**
 * Moves a member one step towards its target assignment (Kafka's CurrentAssignmentBuilder).
 * `owned` is what the member reported owning in this heartbeat, or null if it did not say.
 */
function reconcile(group: ConsumerGroup, m: ConsumerMember, owned: Assignment | null, now: number): void {
  if (m.state === "unrevoked_partitions") {
    const stillOwned = owned === null ? null : assignmentKeys(owned);
    const revoked = stillOwned !== null && ![...assignmentKeys(m.pendingRevocation)].some((k) => stillOwned.has(k));
    if (!revoked) return;
    m.pendingRevocation = {};
  } else if (m.state === "stable" && m.memberEpoch === group.assignmentEpoch) {
    return;
  }
  const target = assignmentKeys(group.targetAssignment[m.memberId] ?? {});
  const current = assignmentKeys(m.assigned);
  const others = ownedByOthers(group, m.memberId);
  const keep = [...current].filter((k) => target.has(k));
  const revoke = [...current].filter((k) => !target.has(k));
  const wanted = [...target].filter((k) => !current.has(k));
  const free = wanted.filter((k) => !others.has(k));

  // Partitions the member reports it no longer owns need no revocation round trip.
  const reported = owned === null ? null : assignmentKeys(owned);
  if (revoke.length > 0 && (reported === null || revoke.some((k) => reported.has(k)))) {
    m.state = "unrevoked_partitions";
    m.assigned = assignmentFromKeys(keep);
    m.pendingRevocation = assignmentFromKeys(revoke);
    m.revocationDeadline = now + m.rebalanceTimeoutMs;
    return;
  }
  m.assigned = assignmentFromKeys([...keep, ...free]);
  m.pendingRevocation = {};
  if (m.memberEpoch !== group.assignmentEpoch) {
    m.previousMemberEpoch = m.memberEpoch;
    m.memberEpoch = group.assignmentEpoch;
  }
  m.state = free.length < wanted.length ? "unreleased_partitions" : "stable";
}

// --- membership ------------------------------------------------------------------------

function removeMember(group: ConsumerGroup, memberId: string): void {
  group.members = group.members.filter((m) => m.memberId !== memberId);
  delete group.targetAssignment[memberId];
  group.groupEpoch += 1;
}

/** Expires members whose session lapsed or that did not revoke in time. Returns whether anything changed. */
export function tickConsumer(group: ConsumerGroup, now: number): boolean {
  let changed = false;
  for (const m of [...group.members]) {
    const revocationOverdue = m.state === "unrevoked_partitions" && m.revocationDeadline <= now;
    if (m.sessionDeadline <= now || revocationOverdue) {
      removeMember(group, m.memberId);
      changed = true;
    }
  }
  return changed;
}

function newMember(memberId: string, hb: ConsumerHeartbeatInput): ConsumerMember {
  return {
    memberId,
    instanceId: hb.instanceId,
    rackId: null,
    clientId: hb.clientId,
    clientHost: hb.clientHost,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: "stable",
    rebalanceTimeoutMs: 0,
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    assigned: {},
    pendingRevocation: {},
    sessionDeadline: 0,
    revocationDeadline: 0,
    staticLeft: false,
  };
}

/** Request checks Kafka makes before touching the group; returns an answer only when invalid. */
export function validateConsumerHeartbeat(hb: ConsumerHeartbeatInput, apiVersion: number): ConsumerHeartbeatAnswer | null {
  const invalid = (message: string) => heartbeatError(ErrorCode.INVALID_REQUEST, message);
  if ((apiVersion >= 1 || hb.memberEpoch !== 0) && hb.memberId === "") return invalid("MemberId can't be empty.");
  if (hb.memberEpoch < LEAVE_GROUP_STATIC_EPOCH) return invalid("MemberEpoch is invalid.");
  if (hb.memberEpoch === LEAVE_GROUP_STATIC_EPOCH && hb.instanceId === null) return invalid("InstanceId can't be null when leaving with epoch -2.");
  if (hb.memberEpoch === 0) {
    if (hb.rebalanceTimeoutMs === -1) return invalid("RebalanceTimeoutMs must be provided in first request.");
    if (hb.subscribedTopicNames === null && hb.subscribedTopicRegex === null) return invalid("SubscribedTopicNames or SubscribedTopicRegex must be set in first request.");
    if (hb.topicPartitions !== null && hb.topicPartitions.length > 0) return invalid("TopicPartitions must be empty when (re-)joining.");
  }
  if (hb.serverAssignor !== null && !ASSIGNORS.has(hb.serverAssignor)) {
    return heartbeatError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${hb.serverAssignor} is not supported. Supported assignors: ${[...ASSIGNORS.keys()].join(", ")}.`);
  }
  if (hb.subscribedTopicRegex !== null && compileTopicRegex(hb.subscribedTopicRegex) === null) {
    return heartbeatError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex ${hb.subscribedTopicRegex} is not a valid regular expression.`);
  }
  return null;
}

function isSubset(a: Assignment, b: Assignment): boolean {
  const y = assignmentKeys(b);
  return [...assignmentKeys(a)].every((k) => y.has(k));
}

/** Finds (or creates, on epoch 0) the member a heartbeat speaks for; an answer when it is rejected. */
function memberFor(group: ConsumerGroup, hb: ConsumerHeartbeatInput): { member: ConsumerMember; joined: boolean } | { answer: ConsumerHeartbeatAnswer } {
  const memberId = hb.memberId === "" ? hb.newMemberId : hb.memberId;
  if (hb.memberEpoch === 0) {
    if (hb.instanceId !== null) {
      const existing = group.members.find((m) => m.instanceId === hb.instanceId);
      if (existing && existing.memberId !== memberId) {
        if (!existing.staticLeft) {
          return { answer: heartbeatError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${hb.instanceId} is still in use by member ${existing.memberId}.`, memberId) };
        }
        // The restarted static member takes over its predecessor's place and partitions.
        group.targetAssignment[memberId] = group.targetAssignment[existing.memberId] ?? {};
        delete group.targetAssignment[existing.memberId];
        existing.memberId = memberId;
        existing.staticLeft = false;
        return { member: existing, joined: false };
      }
    }
    const existing = group.members.find((m) => m.memberId === memberId);
    if (existing) {
      // Rejoining with epoch 0 means the member gave up everything it owned.
      existing.assigned = {};
      existing.pendingRevocation = {};
      existing.memberEpoch = 0;
      existing.previousMemberEpoch = 0;
      existing.state = "stable";
      existing.staticLeft = false;
      return { member: existing, joined: true };
    }
    const created = newMember(memberId, hb);
    group.members.push(created);
    return { member: created, joined: true };
  }
  const m = group.members.find((x) => x.memberId === memberId);
  if (hb.instanceId !== null) {
    const bound = group.members.find((x) => x.instanceId === hb.instanceId);
    if (!bound) return { answer: heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Static member ${hb.instanceId} is not known.`, memberId) };
    if (bound.memberId !== memberId) return { answer: heartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${hb.instanceId} is now member ${bound.memberId}.`, memberId) };
  }
  if (!m) return { answer: heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}.`, memberId) };
  if (hb.memberEpoch > m.memberEpoch) {
    return { answer: heartbeatError(ErrorCode.FENCED_MEMBER_EPOCH, `Epoch ${hb.memberEpoch} is newer than the member's epoch ${m.memberEpoch}.`, memberId) };
  }
  if (hb.memberEpoch < m.memberEpoch) {
    // A member whose last answer was lost comes back with the previous epoch; that is fine as
    // long as it owns nothing it was not given.
    const owned = hb.topicPartitions === null ? null : fromTopicPartitions(hb.topicPartitions);
    if (hb.memberEpoch !== m.previousMemberEpoch || (owned !== null && !isSubset(owned, m.assigned))) {
      return { answer: heartbeatError(ErrorCode.FENCED_MEMBER_EPOCH, `Epoch ${hb.memberEpoch} is older than the member's epoch ${m.memberEpoch}.`, memberId) };
    }
  }
  return { member: m, joined: false };
}

function leave(group: ConsumerGroup, hb: ConsumerHeartbeatInput, now: number, settings: GroupSettings): ConsumerHeartbeatAnswer {
  const m =
    hb.instanceId !== null ? group.members.find((x) => x.instanceId === hb.instanceId) : group.members.find((x) => x.memberId === hb.memberId);
  if (!m) return heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${hb.memberId} is not a member of group ${group.groupId}.`, hb.memberId);
  if (m.memberId !== hb.memberId) return heartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${hb.instanceId} is now member ${m.memberId}.`, hb.memberId);
  if (hb.memberEpoch === LEAVE_GROUP_STATIC_EPOCH) {
    // A static member expected back soon keeps its partitions until its session expires.
    m.staticLeft = true;
    m.sessionDeadline = now + settings.consumerSessionTimeoutMs;
  } else {
    removeMember(group, m.memberId);
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: hb.memberId, memberEpoch: hb.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
}

function sameStrings(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * ConsumerGroupHeartbeat: joins, heartbeats, changes subscriptions, acknowledges revocations
 * and leaves. Mutates `group`; `topics` is every topic in the store now.
 */
export function consumerHeartbeat(group: ConsumerGroup, hb: ConsumerHeartbeatInput, topics: TopicInfo[], now: number, settings: GroupSettings): ConsumerHeartbeatAnswer {
  tickConsumer(group, now);
  if (hb.memberEpoch === LEAVE_GROUP_EPOCH || hb.memberEpoch === LEAVE_GROUP_STATIC_EPOCH) return leave(group, hb, now, settings);
  const found = memberFor(group, hb);
  if ("answer" in found) return found.answer;
  const m = found.member;
  const assignedBefore = m.assigned;

  // A member joining or changing its subscription moves the group to a new epoch (once).
  let bumpEpoch = found.joined;
  if (hb.subscribedTopicNames !== null) {
    const names = [...new Set(hb.subscribedTopicNames)].sort();
    if (!sameStrings(names, m.subscribedTopicNames)) bumpEpoch = true;
    m.subscribedTopicNames = names;
  }
  if (hb.subscribedTopicRegex !== null && hb.subscribedTopicRegex !== m.subscribedTopicRegex) {
    m.subscribedTopicRegex = hb.subscribedTopicRegex === "" ? null : hb.subscribedTopicRegex;
    bumpEpoch = true;
  }
  if (hb.serverAssignor !== null && hb.serverAssignor !== m.serverAssignor) {
    m.serverAssignor = hb.serverAssignor;
    bumpEpoch = true;
  }
  if (hb.rackId !== null) m.rackId = hb.rackId;
  if (hb.rebalanceTimeoutMs !== -1) m.rebalanceTimeoutMs = hb.rebalanceTimeoutMs;
  m.clientId = hb.clientId;
  m.clientHost = hb.clientHost;
  m.sessionDeadline = now + settings.consumerSessionTimeoutMs;
  const metadata = subscriptionMetadata(group, topics);
  if (!sameMetadata(metadata, group.subscribedTopics)) {
    group.subscribedTopics = metadata;
    bumpEpoch = true;
  }
  if (bumpEpoch) group.groupEpoch += 1;
  if (group.groupEpoch > group.assignmentEpoch) computeTargetAssignment(group, topics);

  const owned = hb.topicPartitions === null ? null : fromTopicPartitions(hb.topicPartitions);
  reconcile(group, m, owned, now);

  // The assignment is sent when it changed, and whenever the member sent everything (on joining
  // or after an error), so that a lost answer is repaired.
  const fullRequest =
    hb.memberEpoch === 0 ||
    (hb.rebalanceTimeoutMs !== -1 && (hb.subscribedTopicNames !== null || hb.subscribedTopicRegex !== null) && hb.topicPartitions !== null);
  const sendAssignment = fullRequest || !sameAssignment(assignedBefore, m.assigned);
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    memberId: m.memberId,
    memberEpoch: m.memberEpoch,
    heartbeatIntervalMs: settings.consumerHeartbeatIntervalMs,
    assignment: sendAssignment ? { topicPartitions: toTopicPartitions(m.assigned) } : null,
  };
}

/**
 * Whether OffsetCommit (or OffsetFetch with a member) may proceed for this member and epoch
 * (Kafka's validateOffsetCommit for consumer groups). Returns NONE or the error code.
 */
export function validateConsumerMemberEpoch(group: ConsumerGroup, memberId: string, memberEpoch: number): number {
  if (memberEpoch < 0 && group.members.length === 0) return ErrorCode.NONE;
  const m = group.members.find((x) => x.memberId === memberId);
  if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
  return memberEpoch === m.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
}
