// The classic group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) as pure transitions
// over a group record. A broker loads the record, applies one transition and writes it back
// with compare-and-set; nothing here does I/O or reads the clock, so any broker can drive any
// group and every step is unit-testable. Where Kafka arms a timer, the record holds an absolute
// deadline instead, and `tickClassic` applies whatever has fallen due.

import { ErrorCode } from "../../protocol/error-codes.ts";
import { EMPTY_BYTES } from "../../protocol/reader.ts";
import type { GroupSettings } from "./group-settings.ts";

export type ClassicState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable";

export interface ClassicProtocol {
  name: string;
  metadata: Uint8Array;
}

export interface ClassicMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** In the member's order of preference. */
  protocols: ClassicProtocol[];
  assignment: Uint8Array;
  /** Expired unless it heartbeats before this (epoch ms). */
  sessionDeadline: number;
  /** Has (re)joined the rebalance in progress; its JoinGroup is waiting for the answer. */
  joined: boolean;
  /** The generation this member was last made part of; -1 before its first. */
  generationId: number;
}

/** A member id handed out with MEMBER_ID_REQUIRED (KIP-394) that has not joined with it yet. */
export interface PendingMember {
  memberId: string;
  deadline: number;
}

export interface ClassicGroup {
  type: "classic";
  groupId: string;
  state: ClassicState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  /** In order of joining: the first one is leader when a leader must be chosen. */
  members: ClassicMember[];
  pending: PendingMember[];
  /** PreparingRebalance: when the join phase completes even if members are missing. */
  joinDeadline: number;
  /**
   * Set while the first rebalance of a new group is held back (group.initial.rebalance.delay.ms)
   * so that members starting together land in one generation: how much longer the delay may be
   * extended, and whether a member arrived during the current delay.
   */
  initialDelay: { remainingMs: number; memberAdded: boolean } | null;
  /** CompletingRebalance/Stable: members of the generation that have not sent SyncGroup. */
  awaitingSync: string[];
  /** When members still in `awaitingSync` are removed. */
  syncDeadline: number;
}

export interface JoinInput {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: ClassicProtocol[];
  /** JoinGroup v4+: unknown members first get an id with MEMBER_ID_REQUIRED (KIP-394). */
  requireKnownMemberId: boolean;
  /** The id to give the member if it is new (the caller makes it unique). */
  newMemberId: string;
}

export interface JoinAnswer {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Uint8Array }>;
}

/** A JoinGroup that waits for the rebalance to complete: who, and which generation it joined in. */
export interface PendingJoin {
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
}

export type JoinOutcome = { answer: JoinAnswer } | { wait: PendingJoin };

export function newClassicGroup(groupId: string): ClassicGroup {
  return {
    type: "classic",
    groupId,
    state: "Empty",
    generationId: 0,
    protocolType: null,
    protocolName: null,
    leaderId: null,
    members: [],
    pending: [],
    joinDeadline: 0,
    initialDelay: null,
    awaitingSync: [],
    syncDeadline: 0,
  };
}

export function joinError(errorCode: number, memberId = ""): JoinAnswer {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: "", skipAssignment: false, memberId, members: [] };
}

function member(group: ClassicGroup, memberId: string): ClassicMember | undefined {
  return group.members.find((m) => m.memberId === memberId);
}

function staticMemberId(group: ClassicGroup, groupInstanceId: string): string | null {
  return group.members.find((m) => m.groupInstanceId === groupInstanceId)?.memberId ?? null;
}

/**
 * Kafka's check that a request comes from a current member: a static member must present the
 * member id its instance id is bound to (FENCED_INSTANCE_ID otherwise), and the member id must
 * be known (UNKNOWN_MEMBER_ID). Returns NONE when valid.
 */
function validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
  if (groupInstanceId !== null) {
    const bound = staticMemberId(group, groupInstanceId);
    if (bound === null) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (bound !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  return member(group, memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}

function rebalanceTimeoutMs(group: ClassicGroup): number {
  return group.members.reduce((max, m) => Math.max(max, m.rebalanceTimeoutMs), 0);
}

/** Protocols every member supports. */
function candidateProtocols(group: ClassicGroup): Set<string> {
  const [first, ...rest] = group.members;
  if (!first) return new Set();
  const candidates = new Set(first.protocols.map((p) => p.name));
  for (const m of rest) {
    const names = new Set(m.protocols.map((p) => p.name));
    for (const c of candidates) if (!names.has(c)) candidates.delete(c);
  }
  return candidates;
}

/** Whether a member with these protocols may join: same protocol type, and a protocol in common. */
function supportsProtocols(group: ClassicGroup, protocolType: string, protocols: ClassicProtocol[]): boolean {
  if (group.members.length === 0) return protocolType !== "" && protocols.length > 0;
  if (protocolType !== group.protocolType) return false;
  const candidates = candidateProtocols(group);
  return protocols.some((p) => candidates.has(p.name));
}

/** Each member votes for its most preferred protocol that all support; the most votes wins (ties: the earliest member's preference). */
function selectProtocol(group: ClassicGroup): string | null {
  const candidates = candidateProtocols(group);
  const votes = new Map<string, number>();
  for (const m of group.members) {
    const choice = m.protocols.find((p) => candidates.has(p.name));
    if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
  }
  let best: string | null = null;
  for (const [name, count] of votes) if (best === null || count > votes.get(best)!) best = name;
  return best;
}

/** The metadata a member sent for the group's chosen protocol (empty before one is chosen). */
export function metadataFor(m: ClassicMember, protocolName: string | null): Uint8Array {
  return m.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BYTES;
}

/** What a member of the current generation is told: the leader also gets every member's metadata. */
function currentGeneration(group: ClassicGroup, memberId: string, skipAssignment = false): JoinAnswer {
  const isLeader = group.leaderId === memberId;
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? "",
    skipAssignment: isLeader && skipAssignment,
    memberId,
    members: isLeader
      ? group.members
          .filter((m) => m.generationId === group.generationId)
          .map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: metadataFor(m, group.protocolName) }))
      : [],
  };
}

function prepareRebalance(group: ClassicGroup, now: number, settings: GroupSettings): void {
  if (group.state === "CompletingRebalance") {
    // Members waiting in SyncGroup learn of the new rebalance from the state change; as for an
    // answered request, their session restarts now so that they have time to rejoin.
    for (const m of group.members) {
      m.assignment = EMPTY_BYTES;
      if (!group.awaitingSync.includes(m.memberId)) m.sessionDeadline = Math.max(m.sessionDeadline, now + m.sessionTimeoutMs);
    }
  }
  const timeout = rebalanceTimeoutMs(group);
  if (group.state === "Empty") {
    const delay = Math.min(settings.initialRebalanceDelayMs, timeout);
    group.joinDeadline = now + delay;
    group.initialDelay = { remainingMs: Math.max(timeout - settings.initialRebalanceDelayMs, 0), memberAdded: false };
  } else {
    group.joinDeadline = now + timeout;
    group.initialDelay = null;
  }
  group.state = "PreparingRebalance";
  group.awaitingSync = [];
}

function maybePrepareRebalance(group: ClassicGroup, now: number, settings: GroupSettings): void {
  if (group.state !== "PreparingRebalance") prepareRebalance(group, now, settings);
}

function removeMember(group: ClassicGroup, memberId: string, now: number, settings: GroupSettings): void {
  group.members = group.members.filter((m) => m.memberId !== memberId);
  group.awaitingSync = group.awaitingSync.filter((id) => id !== memberId);
  if (group.leaderId === memberId) group.leaderId = group.members[0]?.memberId ?? null;
  if (group.state === "Stable" || group.state === "CompletingRebalance") prepareRebalance(group, now, settings);
}

function addMember(group: ClassicGroup, join: JoinInput, memberId: string, now: number, settings: GroupSettings): ClassicMember {
  const added: ClassicMember = {
    memberId,
    groupInstanceId: join.groupInstanceId,
    clientId: join.clientId,
    clientHost: join.clientHost,
    sessionTimeoutMs: join.sessionTimeoutMs,
    rebalanceTimeoutMs: join.rebalanceTimeoutMs,
    protocols: join.protocols,
    assignment: EMPTY_BYTES,
    sessionDeadline: now + join.sessionTimeoutMs,
    joined: true,
    generationId: -1,
  };
  if (group.members.length === 0) group.protocolType = join.protocolType;
  // Only the very first rebalance of a group is extended for members arriving during the delay.
  if (group.state === "PreparingRebalance" && group.generationId === 0 && group.initialDelay) group.initialDelay.memberAdded = true;
  group.members.push(added);
  group.leaderId ??= memberId;
  maybePrepareRebalance(group, now, settings);
  return added;
}

function updateMember(m: ClassicMember, join: JoinInput, now: number): void {
  m.protocols = join.protocols;
  m.sessionTimeoutMs = join.sessionTimeoutMs;
  m.rebalanceTimeoutMs = join.rebalanceTimeoutMs;
  m.clientId = join.clientId;
  m.clientHost = join.clientHost;
  m.sessionDeadline = now + join.sessionTimeoutMs;
  m.joined = true;
}

function sameProtocols(a: ClassicProtocol[], b: ClassicProtocol[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => p.name === b[i]!.name && p.metadata.length === b[i]!.metadata.length && p.metadata.every((x, j) => x === b[i]!.metadata[j]))
  );
}

/**
 * JoinGroup. Mutates `group` (which the caller then stores) and says whether the member is
 * answered now or must wait for the rebalance to complete.
 */
export function joinClassic(group: ClassicGroup, join: JoinInput, now: number, settings: GroupSettings): JoinOutcome {
  tickClassic(group, now, settings);
  if (!supportsProtocols(group, join.protocolType, join.protocols)) return { answer: joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, join.memberId) };
  return join.memberId === "" ? joinNewMember(group, join, now, settings) : joinKnownMember(group, join, now, settings);
}

function waitFor(group: ClassicGroup, m: ClassicMember): JoinOutcome {
  return { wait: { memberId: m.memberId, groupInstanceId: m.groupInstanceId, generationId: group.generationId } };
}

function joinNewMember(group: ClassicGroup, join: JoinInput, now: number, settings: GroupSettings): JoinOutcome {
  const memberId = join.newMemberId;
  if (join.groupInstanceId !== null) return joinStaticMember(group, join, now, settings);
  if (join.requireKnownMemberId) {
    group.pending.push({ memberId, deadline: now + join.sessionTimeoutMs });
    return { answer: joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId) };
  }
  return waitFor(group, addMember(group, join, memberId, now, settings));
}

/** A static member joining without a member id: it is new, or replaces its earlier incarnation. */
function joinStaticMember(group: ClassicGroup, join: JoinInput, now: number, settings: GroupSettings): JoinOutcome {
  const memberId = join.newMemberId;
  const oldMemberId = staticMemberId(group, join.groupInstanceId!);
  if (oldMemberId === null) return waitFor(group, addMember(group, join, memberId, now, settings));

  // The old incarnation is fenced: its id (and any request waiting under it) is no longer valid.
  const m = member(group, oldMemberId)!;
  m.memberId = memberId;
  if (group.leaderId === oldMemberId) group.leaderId = memberId;
  group.awaitingSync = group.awaitingSync.map((id) => (id === oldMemberId ? memberId : id));
  updateMember(m, join, now);
  if (group.state === "Stable" && selectProtocol(group) === group.protocolName) {
    // KIP-814: a returning static leader keeps the current assignment; it must not recompute it.
    m.joined = false;
    return { answer: currentGeneration(group, memberId, true) };
  }
  maybePrepareRebalance(group, now, settings);
  return waitFor(group, m);
}

function joinKnownMember(group: ClassicGroup, join: JoinInput, now: number, settings: GroupSettings): JoinOutcome {
  const pendingIndex = group.pending.findIndex((p) => p.memberId === join.memberId);
  if (pendingIndex >= 0) {
    group.pending.splice(pendingIndex, 1);
    return waitFor(group, addMember(group, join, join.memberId, now, settings));
  }
  const invalid = validateMember(group, join.memberId, join.groupInstanceId);
  if (invalid !== ErrorCode.NONE) return { answer: joinError(invalid, join.memberId) };
  const m = member(group, join.memberId)!;
  switch (group.state) {
    case "Empty":
      return { answer: joinError(ErrorCode.UNKNOWN_MEMBER_ID, join.memberId) };
    case "PreparingRebalance":
      updateMember(m, join, now);
      return waitFor(group, m);
    case "CompletingRebalance":
      // A repeated JoinGroup (its answer was lost): answer it again unless the metadata changed.
      if (sameProtocols(m.protocols, join.protocols)) return { answer: currentGeneration(group, m.memberId) };
      updateMember(m, join, now);
      prepareRebalance(group, now, settings);
      return waitFor(group, m);
    case "Stable":
      // The leader rejoining asks for a new assignment; a follower with unchanged metadata does not.
      if (group.leaderId !== m.memberId && sameProtocols(m.protocols, join.protocols)) {
        m.sessionDeadline = now + m.sessionTimeoutMs;
        return { answer: currentGeneration(group, m.memberId) };
      }
      updateMember(m, join, now);
      prepareRebalance(group, now, settings);
      return waitFor(group, m);
  }
}

/** The answer for a waiting JoinGroup, or null while its rebalance is still in progress. */
export function joinResult(group: ClassicGroup | null, pending: PendingJoin): JoinAnswer | null {
  if (!group) return joinError(ErrorCode.UNKNOWN_MEMBER_ID, pending.memberId);
  const m = member(group, pending.memberId);
  if (!m) {
    const fenced = pending.groupInstanceId !== null && staticMemberId(group, pending.groupInstanceId) !== null;
    return joinError(fenced ? ErrorCode.FENCED_INSTANCE_ID : ErrorCode.UNKNOWN_MEMBER_ID, pending.memberId);
  }
  if (group.generationId === pending.generationId) return null;
  return currentGeneration(group, m.memberId);
}

function keepsAlive(group: ClassicGroup, m: ClassicMember): boolean {
  // As in Kafka, a member with a JoinGroup or SyncGroup in flight is not expired meanwhile;
  // the rebalance and sync deadlines bound that wait instead.
  if (group.state === "PreparingRebalance") return m.joined;
  if (group.state === "CompletingRebalance") return !group.awaitingSync.includes(m.memberId);
  return false;
}

/**
 * Applies every deadline that has passed by `now`: expired sessions and pending member ids,
 * the end of the join phase, members that never synced. Returns whether anything changed.
 */
export function tickClassic(group: ClassicGroup, now: number, settings: GroupSettings): boolean {
  let changed = false;
  const pendingBefore = group.pending.length;
  group.pending = group.pending.filter((p) => p.deadline > now);
  if (group.pending.length !== pendingBefore) changed = true;

  for (const m of [...group.members]) {
    if (m.sessionDeadline <= now && !keepsAlive(group, m)) {
      removeMember(group, m.memberId, now, settings);
      changed = true;
    }
  }
  if ((group.state === "CompletingRebalance" || group.state === "Stable") && group.awaitingSync.length > 0 && group.syncDeadline <= now) {
    for (const memberId of [...group.awaitingSync]) removeMember(group, memberId, now, settings);
    changed = true;
  }
  if (group.state === "PreparingRebalance") {
    const phase = joinPhase(group, now, settings);
    if (phase === "complete") completeJoin(group, now);
    if (phase !== "waiting") changed = true;
  }
  return changed;
}

/** Whether the join phase is over; "extended" when the initial delay was just prolonged. */
function joinPhase(group: ClassicGroup, now: number, settings: GroupSettings): "waiting" | "extended" | "complete" {
  if (group.initialDelay) {
    if (now < group.joinDeadline) return "waiting";
    const delay = group.initialDelay;
    if (delay.memberAdded && delay.remainingMs > 0) {
      const extension = Math.min(settings.initialRebalanceDelayMs, delay.remainingMs);
      group.joinDeadline = now + extension;
      group.initialDelay = { remainingMs: Math.max(delay.remainingMs - settings.initialRebalanceDelayMs, 0), memberAdded: false };
      return "extended";
    }
    return "complete";
  }
  const allJoined = group.members.every((m) => m.joined) && group.pending.length === 0;
  return allJoined || now >= group.joinDeadline ? "complete" : "waiting";
}

function completeJoin(group: ClassicGroup, now: number): void {
  // Dynamic members that did not rejoin in time are dropped; static ones keep their place.
  group.members = group.members.filter((m) => m.joined || m.groupInstanceId !== null);
  const leader = group.members.find((m) => m.memberId === group.leaderId);
  if (!leader?.joined) group.leaderId = group.members.find((m) => m.joined)?.memberId ?? group.members[0]?.memberId ?? null;
  group.generationId += 1;
  group.initialDelay = null;
  if (group.members.length === 0) {
    group.state = "Empty";
    group.protocolName = null;
    group.leaderId = null;
    return;
  }
  group.protocolName = selectProtocol(group);
  group.state = "CompletingRebalance";
  group.awaitingSync = group.members.map((m) => m.memberId);
  group.syncDeadline = now + rebalanceTimeoutMs(group);
  for (const m of group.members) {
    m.joined = false;
    m.generationId = group.generationId;
    m.sessionDeadline = now + m.sessionTimeoutMs;
  }
}

// --- SyncGroup -------------------------------------------------------------------------

export interface SyncInput {
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  /** v5+: must match the group's when given. */
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Uint8Array }>;
}

export interface SyncAnswer {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

export type SyncOutcome = { answer: SyncAnswer } | { wait: { memberId: string; groupInstanceId: string | null; generationId: number } };

export function syncError(errorCode: number): SyncAnswer {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

function assignmentOf(group: ClassicGroup, memberId: string): SyncAnswer {
  return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member(group, memberId)!.assignment };
}

export function syncClassic(group: ClassicGroup, sync: SyncInput, now: number, settings: GroupSettings): SyncOutcome {
  tickClassic(group, now, settings);
  if ((sync.protocolType !== null && sync.protocolType !== group.protocolType) || (sync.protocolName !== null && sync.protocolName !== group.protocolName)) {
    return { answer: syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL) };
  }
  const invalid = validateMember(group, sync.memberId, sync.groupInstanceId);
  if (invalid !== ErrorCode.NONE) return { answer: syncError(invalid) };
  if (sync.generationId !== group.generationId) return { answer: syncError(ErrorCode.ILLEGAL_GENERATION) };
  switch (group.state) {
    case "Empty":
      return { answer: syncError(ErrorCode.UNKNOWN_MEMBER_ID) };
    case "PreparingRebalance":
      return { answer: syncError(ErrorCode.REBALANCE_IN_PROGRESS) };
    case "CompletingRebalance": {
      const m = member(group, sync.memberId)!;
      m.sessionDeadline = now + m.sessionTimeoutMs;
      group.awaitingSync = group.awaitingSync.filter((id) => id !== sync.memberId);
      if (group.leaderId !== sync.memberId) return { wait: { memberId: sync.memberId, groupInstanceId: sync.groupInstanceId, generationId: group.generationId } };
      // The leader's assignment completes the rebalance; members it left out get nothing.
      const given = new Map(sync.assignments.map((a) => [a.memberId, a.assignment]));
      for (const x of group.members) x.assignment = given.get(x.memberId) ?? EMPTY_BYTES;
      group.state = "Stable";
      return { answer: assignmentOf(group, sync.memberId) };
    }
    case "Stable":
      group.awaitingSync = group.awaitingSync.filter((id) => id !== sync.memberId);
      return { answer: assignmentOf(group, sync.memberId) };
  }
}

/** The answer for a follower waiting in SyncGroup, or null while the leader has not synced. */
export function syncResult(group: ClassicGroup | null, pending: { memberId: string; groupInstanceId: string | null; generationId: number }): SyncAnswer | null {
  if (!group) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
  const invalid = validateMember(group, pending.memberId, pending.groupInstanceId);
  if (invalid !== ErrorCode.NONE) return syncError(invalid);
  if (group.generationId !== pending.generationId || group.state === "PreparingRebalance") return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
  if (group.state === "Stable") return assignmentOf(group, pending.memberId);
  if (group.state === "Empty") return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
  return null;
}

// --- Heartbeat, LeaveGroup -------------------------------------------------------------

export function heartbeatClassic(group: ClassicGroup, memberId: string, groupInstanceId: string | null, generationId: number, now: number, settings: GroupSettings): number {
  tickClassic(group, now, settings);
  const invalid = validateMember(group, memberId, groupInstanceId);
  if (invalid !== ErrorCode.NONE) return invalid;
  if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  const m = member(group, memberId)!;
  switch (group.state) {
    case "Empty":
      return ErrorCode.UNKNOWN_MEMBER_ID;
    case "PreparingRebalance":
      m.sessionDeadline = now + m.sessionTimeoutMs;
      return ErrorCode.REBALANCE_IN_PROGRESS;
    case "CompletingRebalance":
    case "Stable":
      m.sessionDeadline = now + m.sessionTimeoutMs;
      return ErrorCode.NONE;
  }
}

/** Removes one leaving member (LeaveGroup names it by member id, instance id, or both). */
export function leaveClassic(group: ClassicGroup, memberId: string, groupInstanceId: string | null, now: number, settings: GroupSettings): number {
  let leaving = memberId;
  if (groupInstanceId !== null) {
    const bound = staticMemberId(group, groupInstanceId);
    if (bound === null) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberId !== "" && bound !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    leaving = bound;
  }
  const pendingIndex = group.pending.findIndex((p) => p.memberId === leaving);
  if (pendingIndex >= 0) {
    group.pending.splice(pendingIndex, 1);
    tickClassic(group, now, settings);
    return ErrorCode.NONE;
  }
  if (!member(group, leaving)) return ErrorCode.UNKNOWN_MEMBER_ID;
  removeMember(group, leaving, now, settings);
  tickClassic(group, now, settings);
  return ErrorCode.NONE;
}

/**
 * Whether OffsetCommit may write for this member and generation (Kafka's validateOffsetCommit
 * for classic groups). Returns NONE or the error code.
 */
export function validateClassicCommit(group: ClassicGroup, memberId: string, groupInstanceId: string | null, generationId: number): number {
  if (generationId < 0 && group.state === "Empty") return ErrorCode.NONE;
  if (generationId >= 0 || memberId !== "" || groupInstanceId !== null) {
    const invalid = validateMember(group, memberId, groupInstanceId);
    if (invalid !== ErrorCode.NONE) return invalid;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else if (group.state !== "Empty") {
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }
  return group.state === "CompletingRebalance" ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
}
