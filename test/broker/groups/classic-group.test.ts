import { describe, expect, test } from "bun:test";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import {
  heartbeatClassic,
  joinClassic,
  joinResult,
  leaveClassic,
  newClassicGroup,
  syncClassic,
  syncResult,
  tickClassic,
  validateClassicCommit,
  type ClassicGroup,
  type JoinAnswer,
  type JoinInput,
  type PendingJoin,
} from "../../../src/broker/groups/classic-group.ts";
import { DEFAULT_GROUP_SETTINGS, type GroupSettings } from "../../../src/broker/groups/group-settings.ts";

const NO_DELAY: GroupSettings = { ...DEFAULT_GROUP_SETTINGS, initialRebalanceDelayMs: 0 };
/** Members joining together at time 0 form generation 1 at time 200 (one delay, extended once). */
const TOGETHER: GroupSettings = { ...DEFAULT_GROUP_SETTINGS, initialRebalanceDelayMs: 100 };
const FORMED_AT = 200;
const bytes = (...xs: number[]) => new Uint8Array(xs);

let ids = 0;
function joinInput(overrides: Partial<JoinInput> = {}): JoinInput {
  return {
    memberId: "",
    groupInstanceId: null,
    clientId: "c",
    clientHost: "",
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: bytes(1) }],
    requireKnownMemberId: true,
    newMemberId: `c-${++ids}`,
    ...overrides,
  };
}

function answered(outcome: ReturnType<typeof joinClassic>): JoinAnswer {
  if (!("answer" in outcome)) throw new Error("expected an immediate answer");
  return outcome.answer;
}

function waiting(outcome: ReturnType<typeof joinClassic>): PendingJoin {
  if (!("wait" in outcome)) throw new Error(`expected to wait, got error ${outcome.answer.errorCode}`);
  return outcome.wait;
}

/** KIP-394: the first JoinGroup gets an id, the second joins with it. */
function joinTwice(group: ClassicGroup, now: number, settings: GroupSettings, overrides: Partial<JoinInput> = {}): PendingJoin {
  const first = answered(joinClassic(group, joinInput(overrides), now, settings));
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  return waiting(joinClassic(group, joinInput({ ...overrides, memberId: first.memberId }), now, settings));
}

/** Completes the first rebalance of members that all joined at time 0. */
function form(group: ClassicGroup): void {
  tickClassic(group, FORMED_AT / 2, TOGETHER);
  tickClassic(group, FORMED_AT, TOGETHER);
  expect(group.state).toBe("CompletingRebalance");
}

/** A stable group of the given members at generation 1, all synced. */
function stableGroup(count: number, now = FORMED_AT): { group: ClassicGroup; members: string[] } {
  const group = newClassicGroup("g");
  const pending = Array.from({ length: count }, () => joinTwice(group, 0, TOGETHER));
  form(group);
  const members = pending.map((p) => joinResult(group, p)!.memberId);
  const leader = group.leaderId!;
  syncClassic(group, { memberId: leader, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: members.map((m, i) => ({ memberId: m, assignment: bytes(i) })) }, now, NO_DELAY);
  for (const m of members) if (m !== leader) syncClassic(group, { memberId: m, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] }, now, NO_DELAY);
  expect(group.state).toBe("Stable");
  return { group, members };
}

describe("JoinGroup", () => {
  test("KIP-394: an unknown member gets an id first, then joins with it and the join completes", () => {
    const group = newClassicGroup("g");
    const first = answered(joinClassic(group, joinInput({ newMemberId: "c-a" }), 0, NO_DELAY));
    expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: "c-a", generationId: -1 });
    expect(group.pending.map((p) => p.memberId)).toEqual(["c-a"]);
    expect(group.members).toEqual([]);

    const pending = waiting(joinClassic(group, joinInput({ memberId: "c-a" }), 0, NO_DELAY));
    expect(joinResult(group, pending)).toBeNull();
    expect(tickClassic(group, 0, NO_DELAY)).toBe(true);
    const answer = joinResult(group, pending)!;
    expect(answer).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, protocolName: "range", leader: "c-a", memberId: "c-a" });
    expect(answer.members).toEqual([{ memberId: "c-a", groupInstanceId: null, metadata: bytes(1) }]);
    expect(group.state).toBe("CompletingRebalance");
  });

  test("before v4 a new member joins directly", () => {
    const group = newClassicGroup("g");
    const pending = waiting(joinClassic(group, joinInput({ requireKnownMemberId: false }), 0, NO_DELAY));
    tickClassic(group, 0, NO_DELAY);
    expect(joinResult(group, pending)!.generationId).toBe(1);
  });

  test("an unused pending member id expires after the session timeout", () => {
    const group = newClassicGroup("g");
    answered(joinClassic(group, joinInput(), 0, NO_DELAY));
    expect(tickClassic(group, 9_999, NO_DELAY)).toBe(false);
    expect(tickClassic(group, 10_000, NO_DELAY)).toBe(true);
    expect(group.pending).toEqual([]);
  });

  test("the protocol most members prefer among those all support is selected; only the leader gets the members", () => {
    const group = newClassicGroup("g");
    const a = joinTwice(group, 0, TOGETHER, { protocols: [{ name: "range", metadata: bytes(1) }, { name: "roundrobin", metadata: bytes(2) }] });
    const b = joinTwice(group, 0, TOGETHER, { protocols: [{ name: "roundrobin", metadata: bytes(3) }, { name: "range", metadata: bytes(4) }] });
    const c = joinTwice(group, 0, TOGETHER, { protocols: [{ name: "roundrobin", metadata: bytes(5) }, { name: "range", metadata: bytes(6) }] });
    form(group);
    const [ra, rb, rc] = [joinResult(group, a)!, joinResult(group, b)!, joinResult(group, c)!];
    expect(ra.protocolName).toBe("roundrobin");
    expect(ra.leader).toBe(a.memberId);
    expect(ra.members.map((m) => [m.memberId, [...m.metadata]])).toEqual([
      [a.memberId, [2]],
      [b.memberId, [3]],
      [c.memberId, [5]],
    ]);
    expect(rb.members).toEqual([]);
    expect(rc.leader).toBe(a.memberId);
  });

  test("a member with no protocol in common, or another protocol type, is rejected", () => {
    const { group } = stableGroup(1);
    expect(answered(joinClassic(group, joinInput({ protocols: [{ name: "other", metadata: bytes() }] }), 0, NO_DELAY)).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect(answered(joinClassic(group, joinInput({ protocolType: "connect" }), 0, NO_DELAY)).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(answered(joinClassic(newClassicGroup("e"), joinInput({ protocols: [] }), 0, NO_DELAY)).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  test("an unknown member id is rejected", () => {
    const { group } = stableGroup(1);
    expect(answered(joinClassic(group, joinInput({ memberId: "nobody" }), 0, NO_DELAY)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test("the first rebalance waits out the initial delay, extended while members keep arriving", () => {
    const settings = { ...DEFAULT_GROUP_SETTINGS, initialRebalanceDelayMs: 3_000 };
    const group = newClassicGroup("g");
    const a = joinTwice(group, 0, settings);
    expect(tickClassic(group, 2_999, settings)).toBe(false);
    const b = joinTwice(group, 1_000, settings);
    // The delay ends at 3000, but a member arrived during it: extended by another delay.
    expect(tickClassic(group, 3_000, settings)).toBe(true);
    expect(group.state).toBe("PreparingRebalance");
    expect(tickClassic(group, 5_999, settings)).toBe(false);
    tickClassic(group, 6_000, settings);
    expect(group.state).toBe("CompletingRebalance");
    expect(joinResult(group, a)!.generationId).toBe(1);
    expect(joinResult(group, b)!.generationId).toBe(1);
  });

  test("a follower rejoining a stable group with the same metadata is answered at once; the leader triggers a rebalance", () => {
    const { group, members } = stableGroup(2);
    const follower = members.find((m) => m !== group.leaderId)!;
    const again = answered(joinClassic(group, joinInput({ memberId: follower }), 1, NO_DELAY));
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, members: [] });
    expect(group.state).toBe("Stable");

    waiting(joinClassic(group, joinInput({ memberId: group.leaderId! }), 1, NO_DELAY));
    expect(group.state).toBe("PreparingRebalance");
  });

  test("a member that does not rejoin within the rebalance timeout is dropped", () => {
    const { group, members } = stableGroup(2);
    const [a, b] = members as [string, string];
    const pending = waiting(joinClassic(group, joinInput({ memberId: a, protocols: [{ name: "range", metadata: bytes(9) }] }), 1_000, NO_DELAY));
    // b keeps heartbeating but never rejoins.
    for (const at of [5_000, 14_000, 23_000]) expect(heartbeatClassic(group, b, null, 1, at, NO_DELAY)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    tickClassic(group, 30_999, NO_DELAY);
    expect(joinResult(group, pending)).toBeNull();
    tickClassic(group, 31_000, NO_DELAY);
    const answer = joinResult(group, pending)!;
    expect(answer.generationId).toBe(2);
    expect(answer.members.map((m) => m.memberId)).toEqual([a]);
    expect(heartbeatClassic(group, b, null, 1, 31_000, NO_DELAY)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe("SyncGroup", () => {
  test("followers wait for the leader's assignment; members it left out get an empty one", () => {
    const group = newClassicGroup("g");
    const pending = [joinTwice(group, 0, TOGETHER), joinTwice(group, 0, TOGETHER), joinTwice(group, 0, TOGETHER)];
    form(group);
    const [leader, follower, forgotten] = pending.map((p) => p.memberId) as [string, string, string];
    const sync = (memberId: string, assignments: Array<{ memberId: string; assignment: Uint8Array }> = []) =>
      syncClassic(group, { memberId, groupInstanceId: null, generationId: 1, protocolType: "consumer", protocolName: "range", assignments }, 0, NO_DELAY);

    const followerSync = sync(follower);
    if (!("wait" in followerSync)) throw new Error("follower should wait");
    expect(syncResult(group, followerSync.wait)).toBeNull();

    const leaderSync = sync(leader, [
      { memberId: leader, assignment: bytes(1) },
      { memberId: follower, assignment: bytes(2) },
    ]);
    expect("answer" in leaderSync && leaderSync.answer).toMatchObject({ errorCode: ErrorCode.NONE, assignment: bytes(1), protocolName: "range" });
    expect(group.state).toBe("Stable");
    expect(syncResult(group, followerSync.wait)).toMatchObject({ errorCode: ErrorCode.NONE, assignment: bytes(2) });
    const late = sync(forgotten);
    expect("answer" in late && late.answer.assignment).toEqual(bytes());
  });

  test("errors: wrong generation, unknown member, rebalance in progress, inconsistent protocol", () => {
    const { group, members } = stableGroup(2);
    const base = { groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] };
    const code = (o: ReturnType<typeof syncClassic>) => ("answer" in o ? o.answer.errorCode : "wait");
    expect(code(syncClassic(group, { ...base, memberId: members[0]!, generationId: 7 }, 0, NO_DELAY))).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(code(syncClassic(group, { ...base, memberId: "x", generationId: 1 }, 0, NO_DELAY))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(code(syncClassic(group, { ...base, memberId: members[0]!, generationId: 1, protocolName: "roundrobin" }, 0, NO_DELAY))).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    waiting(joinClassic(group, joinInput({ memberId: group.leaderId! }), 0, NO_DELAY));
    expect(code(syncClassic(group, { ...base, memberId: members[0]!, generationId: 1 }, 0, NO_DELAY))).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  test("a waiting follower learns of a new rebalance", () => {
    const group = newClassicGroup("g");
    // Sessions longer than the rebalance timeout, so that the sync deadline is what removes the leader.
    const [a, b] = [joinTwice(group, 0, TOGETHER, { sessionTimeoutMs: 60_000 }), joinTwice(group, 0, TOGETHER, { sessionTimeoutMs: 60_000 })];
    form(group);
    const follower = syncClassic(group, { memberId: b.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] }, FORMED_AT, NO_DELAY);
    if (!("wait" in follower)) throw new Error("follower should wait");
    // The leader never syncs: after the rebalance timeout it is removed and a rebalance starts.
    tickClassic(group, FORMED_AT + 29_999, NO_DELAY);
    expect(syncResult(group, follower.wait)).toBeNull();
    tickClassic(group, FORMED_AT + 30_000, NO_DELAY);
    expect(group.members.map((m) => m.memberId)).toEqual([b.memberId]);
    expect(syncResult(group, follower.wait)?.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(a.memberId).not.toBe(b.memberId);
  });
});

describe("Heartbeat and session expiry", () => {
  test("errors where Kafka returns them", () => {
    const { group, members } = stableGroup(2);
    const [a] = members as [string];
    expect(heartbeatClassic(group, a, null, 1, 1, NO_DELAY)).toBe(ErrorCode.NONE);
    expect(heartbeatClassic(group, a, null, 0, 1, NO_DELAY)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(heartbeatClassic(group, "x", null, 1, 1, NO_DELAY)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test("a member that stops heartbeating expires and the others must rejoin", () => {
    const { group, members } = stableGroup(2);
    const [a, b] = members as [string, string];
    expect(heartbeatClassic(group, a, null, 1, 9_000, NO_DELAY)).toBe(ErrorCode.NONE);
    expect(heartbeatClassic(group, a, null, 1, 12_000, NO_DELAY)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(group.members.map((m) => m.memberId)).toEqual([a]);
    const pending = waiting(joinClassic(group, joinInput({ memberId: a }), 12_001, NO_DELAY));
    tickClassic(group, 12_001, NO_DELAY);
    expect(joinResult(group, pending)).toMatchObject({ generationId: 2, leader: a });
    expect(b).not.toBe(a);
  });

  test("the last member expiring leaves an empty group at the next generation", () => {
    const { group } = stableGroup(1);
    expect(tickClassic(group, FORMED_AT + 9_999, NO_DELAY)).toBe(false);
    tickClassic(group, FORMED_AT + 10_000, NO_DELAY);
    expect(group).toMatchObject({ state: "Empty", generationId: 2, members: [], leaderId: null, protocolName: null });
  });
});

describe("static membership", () => {
  test("a restarted static member takes over without a rebalance and fences its old id", () => {
    const group = newClassicGroup("g");
    const a = waiting(joinClassic(group, joinInput({ groupInstanceId: "i-a", newMemberId: "a1" }), 0, TOGETHER));
    const b = waiting(joinClassic(group, joinInput({ groupInstanceId: "i-b", newMemberId: "b1" }), 0, TOGETHER));
    form(group);
    expect(joinResult(group, a)!.leader).toBe("a1");
    syncClassic(group, { memberId: "a1", groupInstanceId: "i-a", generationId: 1, protocolType: null, protocolName: null, assignments: [{ memberId: "b1", assignment: bytes(7) }] }, 0, NO_DELAY);
    expect(group.state).toBe("Stable");

    const again = answered(joinClassic(group, joinInput({ groupInstanceId: "i-b", newMemberId: "b2" }), 1, NO_DELAY));
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, memberId: "b2", generationId: 1, skipAssignment: false });
    expect(group.state).toBe("Stable");
    expect(heartbeatClassic(group, "b1", "i-b", 1, 1, NO_DELAY)).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(heartbeatClassic(group, "b2", "i-b", 1, 1, NO_DELAY)).toBe(ErrorCode.NONE);
    const synced = syncClassic(group, { memberId: "b2", groupInstanceId: "i-b", generationId: 1, protocolType: null, protocolName: null, assignments: [] }, 1, NO_DELAY);
    expect("answer" in synced && synced.answer.assignment).toEqual(bytes(7));

    // KIP-814: the returning leader gets the members but must not assign again.
    const leader = answered(joinClassic(group, joinInput({ groupInstanceId: "i-a", newMemberId: "a2" }), 2, NO_DELAY));
    expect(leader).toMatchObject({ memberId: "a2", leader: "a2", skipAssignment: true });
    expect(leader.members.map((m) => m.memberId)).toEqual(["a2", "b2"]);
    expect(b.memberId).toBe("b1");
  });

  test("a fenced static member's pending join is answered FENCED_INSTANCE_ID", () => {
    const group = newClassicGroup("g");
    const first = waiting(joinClassic(group, joinInput({ groupInstanceId: "i", newMemberId: "m1" }), 0, { ...NO_DELAY, initialRebalanceDelayMs: 1_000 }));
    waiting(joinClassic(group, joinInput({ groupInstanceId: "i", newMemberId: "m2" }), 1, NO_DELAY));
    expect(joinResult(group, first)?.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  test("static members that miss a rebalance keep their place", () => {
    const group = newClassicGroup("g");
    waiting(joinClassic(group, joinInput({ groupInstanceId: "i-a", newMemberId: "a" }), 0, TOGETHER));
    waiting(joinClassic(group, joinInput({ groupInstanceId: "i-b", newMemberId: "b" }), 0, TOGETHER));
    form(group);
    syncClassic(group, { memberId: "a", groupInstanceId: "i-a", generationId: 1, protocolType: null, protocolName: null, assignments: [] }, 0, NO_DELAY);
    syncClassic(group, { memberId: "b", groupInstanceId: "i-b", generationId: 1, protocolType: null, protocolName: null, assignments: [] }, 0, NO_DELAY);
    const pending = waiting(joinClassic(group, joinInput({ memberId: "a", groupInstanceId: "i-a", protocols: [{ name: "range", metadata: bytes(5) }] }), 1, NO_DELAY));
    for (const at of [5_000, 14_000, 23_000]) heartbeatClassic(group, "b", "i-b", 1, at, NO_DELAY);
    tickClassic(group, 30_001, NO_DELAY);
    expect(joinResult(group, pending)!.members.map((m) => m.memberId)).toEqual(["a", "b"]);
  });
});

describe("LeaveGroup", () => {
  test("by member id, by instance id, fenced and unknown members", () => {
    const group = newClassicGroup("g");
    waiting(joinClassic(group, joinInput({ groupInstanceId: "i-a", newMemberId: "a" }), 0, TOGETHER));
    const b = joinTwice(group, 0, TOGETHER);
    waiting(joinClassic(group, joinInput({ groupInstanceId: "i-c", newMemberId: "c" }), 0, TOGETHER));
    form(group);
    expect(leaveClassic(group, "wrong", "i-a", 1, NO_DELAY)).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(leaveClassic(group, "", "i-a", 1, NO_DELAY)).toBe(ErrorCode.NONE);
    expect(leaveClassic(group, "nobody", null, 1, NO_DELAY)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(leaveClassic(group, "", "i-unknown", 1, NO_DELAY)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(group.state).toBe("PreparingRebalance");
    expect(leaveClassic(group, b.memberId, null, 1, NO_DELAY)).toBe(ErrorCode.NONE);
    expect(leaveClassic(group, "c", "i-c", 1, NO_DELAY)).toBe(ErrorCode.NONE);
    expect(group).toMatchObject({ state: "Empty", members: [] });
  });
});

describe("OffsetCommit checks", () => {
  test("as Kafka's validateOffsetCommit", () => {
    const empty = newClassicGroup("g");
    expect(validateClassicCommit(empty, "", null, -1)).toBe(ErrorCode.NONE);
    expect(validateClassicCommit(empty, "x", null, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const { group, members } = stableGroup(1);
    expect(validateClassicCommit(group, members[0]!, null, 1)).toBe(ErrorCode.NONE);
    expect(validateClassicCommit(group, members[0]!, null, 2)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(validateClassicCommit(group, "", null, -1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    waiting(joinClassic(group, joinInput({ memberId: members[0]! }), 1, NO_DELAY));
    tickClassic(group, 1, NO_DELAY);
    expect(group.state).toBe("CompletingRebalance");
    expect(validateClassicCommit(group, members[0]!, null, 2)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });
});
