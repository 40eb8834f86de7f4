import { describe, expect, test } from "bun:test";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import {
  consumerGroupState,
  consumerHeartbeat,
  newConsumerGroup,
  tickConsumer,
  validateConsumerHeartbeat,
  validateConsumerMemberEpoch,
  type ConsumerGroup,
  type ConsumerHeartbeatAnswer,
  type ConsumerHeartbeatInput,
  type TopicInfo,
  type TopicPartitions,
} from "../../../src/broker/groups/consumer-group.ts";
import { DEFAULT_GROUP_SETTINGS as SETTINGS } from "../../../src/broker/groups/group-settings.ts";

const T = "11111111-1111-1111-1111-111111111111";
const TOPICS: TopicInfo[] = [{ name: "t", id: T, partitions: 6 }];

function hb(overrides: Partial<ConsumerHeartbeatInput>): ConsumerHeartbeatInput {
  return {
    memberId: "",
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: null,
    clientId: "c",
    clientHost: "",
    newMemberId: "unused",
    ...overrides,
  };
}

const joining = (memberId: string, extra: Partial<ConsumerHeartbeatInput> = {}) =>
  hb({ memberId, memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ["t"], topicPartitions: [], ...extra });

const partitionsOf = (a: ConsumerHeartbeatAnswer) => a.assignment?.topicPartitions.flatMap((t) => t.partitions) ?? null;
const owning = (partitions: number[]): TopicPartitions[] => [{ topicId: T, partitions }];

/** No partition may be held (assigned or being revoked) by two members at once. */
function expectExclusiveOwnership(group: ConsumerGroup): void {
  const seen = new Set<string>();
  for (const m of group.members) {
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [topicId, partitions] of Object.entries(a)) {
        for (const p of partitions) {
          const key = `${topicId}:${p}`;
          expect(seen.has(key)).toBe(false);
          seen.add(key);
        }
      }
    }
  }
}

describe("ConsumerGroupHeartbeat", () => {
  test("a first member gets every partition at epoch 1", () => {
    const group = newConsumerGroup("g");
    const a = consumerHeartbeat(group, joining("a"), TOPICS, 0, SETTINGS);
    expect(a).toMatchObject({ errorCode: ErrorCode.NONE, memberId: "a", memberEpoch: 1, heartbeatIntervalMs: SETTINGS.consumerHeartbeatIntervalMs });
    expect(partitionsOf(a)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(consumerGroupState(group)).toBe("Stable");
  });

  test("v0: the coordinator names a member that joins without an id", () => {
    const group = newConsumerGroup("g");
    const a = consumerHeartbeat(group, joining("", { newMemberId: "generated" }), TOPICS, 0, SETTINGS);
    expect(a.memberId).toBe("generated");
  });

  test("a second member: the first revokes before the second receives, never sharing a partition", () => {
    const group = newConsumerGroup("g");
    consumerHeartbeat(group, joining("a"), TOPICS, 0, SETTINGS);
    const b1 = consumerHeartbeat(group, joining("b"), TOPICS, 1, SETTINGS);
    // b is at the new epoch but its partitions are still a's.
    expect(b1).toMatchObject({ memberEpoch: 2 });
    expect(partitionsOf(b1)).toEqual([]);
    expect(consumerGroupState(group)).toBe("Reconciling");
    expectExclusiveOwnership(group);

    const a2 = consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 1 }), TOPICS, 2, SETTINGS);
    expect(a2.memberEpoch).toBe(1);
    const kept = partitionsOf(a2)!;
    expect(kept.length).toBe(3);
    expectExclusiveOwnership(group);

    // Still owning everything: nothing moves.
    const a3 = consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 1, topicPartitions: owning([0, 1, 2, 3, 4, 5]) }), TOPICS, 3, SETTINGS);
    expect(a3).toMatchObject({ memberEpoch: 1, assignment: null });
    // Revoked: a moves to epoch 2, and b may now take the rest.
    const a4 = consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 1, topicPartitions: owning(kept) }), TOPICS, 4, SETTINGS);
    expect(a4.memberEpoch).toBe(2);
    const b2 = consumerHeartbeat(group, hb({ memberId: "b", memberEpoch: 2 }), TOPICS, 5, SETTINGS);
    expect(partitionsOf(b2)!.sort()).toEqual([0, 1, 2, 3, 4, 5].filter((p) => !kept.includes(p)));
    expect(consumerGroupState(group)).toBe("Stable");
    expectExclusiveOwnership(group);
  });

  test("a member that leaves (-1) frees its partitions for the others", () => {
    const group = newConsumerGroup("g");
    consumerHeartbeat(group, joining("a"), TOPICS, 0, SETTINGS);
    consumerHeartbeat(group, joining("b"), TOPICS, 0, SETTINGS);
    const a = consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 1 }), TOPICS, 0, SETTINGS);
    consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 1, topicPartitions: a.assignment!.topicPartitions }), TOPICS, 0, SETTINGS);
    const left = consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: -1 }), TOPICS, 1, SETTINGS);
    expect(left).toMatchObject({ errorCode: ErrorCode.NONE, memberId: "a", memberEpoch: -1 });
    const b = consumerHeartbeat(group, hb({ memberId: "b", memberEpoch: 2 }), TOPICS, 2, SETTINGS);
    expect(b.memberEpoch).toBe(3);
    expect(partitionsOf(b)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test("fencing: unknown member, epochs ahead or behind, and a lost answer at the previous epoch", () => {
    const group = newConsumerGroup("g");
    consumerHeartbeat(group, joining("a"), TOPICS, 0, SETTINGS);
    expect(consumerHeartbeat(group, hb({ memberId: "x", memberEpoch: 1 }), TOPICS, 0, SETTINGS).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 5 }), TOPICS, 0, SETTINGS).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    // A topic grows: a new epoch.
    const grown = [{ ...TOPICS[0]!, partitions: 8 }];
    const a = consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 1 }), grown, 0, SETTINGS);
    expect(a.memberEpoch).toBe(2);
    // The member missed that answer: the previous epoch with partitions it was given is accepted,
    // but not with a partition it was never given.
    expect(consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 1, topicPartitions: owning([0, 1]) }), grown, 0, SETTINGS).errorCode).toBe(ErrorCode.NONE);
    expect(consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 1, topicPartitions: owning([9]) }), grown, 0, SETTINGS).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    // Two epochs behind is fenced whatever it owns.
    const regrown = [{ ...TOPICS[0]!, partitions: 10 }];
    expect(consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 2 }), regrown, 0, SETTINGS).memberEpoch).toBe(3);
    expect(consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 1 }), regrown, 0, SETTINGS).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
  });

  test("a member rejoining with epoch 0 starts over with an empty assignment", () => {
    const group = newConsumerGroup("g");
    consumerHeartbeat(group, joining("a"), TOPICS, 0, SETTINGS);
    const again = consumerHeartbeat(group, joining("a"), TOPICS, 1, SETTINGS);
    expect(again.memberEpoch).toBe(2);
    expect(partitionsOf(again)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test("static members: epoch -2 keeps the partitions for a restart; an active instance id is not released", () => {
    const group = newConsumerGroup("g");
    const first = consumerHeartbeat(group, joining("a1", { instanceId: "i" }), TOPICS, 0, SETTINGS);
    expect(consumerHeartbeat(group, joining("a2", { instanceId: "i" }), TOPICS, 1, SETTINGS).errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
    expect(consumerHeartbeat(group, hb({ memberId: "a1", instanceId: "i", memberEpoch: -2 }), TOPICS, 2, SETTINGS)).toMatchObject({ errorCode: ErrorCode.NONE, memberEpoch: -2 });
    const back = consumerHeartbeat(group, joining("a2", { instanceId: "i" }), TOPICS, 3, SETTINGS);
    expect(back).toMatchObject({ errorCode: ErrorCode.NONE, memberId: "a2", memberEpoch: first.memberEpoch });
    expect(partitionsOf(back)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(consumerHeartbeat(group, hb({ memberId: "a1", instanceId: "i", memberEpoch: 1 }), TOPICS, 4, SETTINGS).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  test("sessions expire, and a member that does not revoke in time is fenced", () => {
    const group = newConsumerGroup("g");
    consumerHeartbeat(group, joining("a"), TOPICS, 0, SETTINGS);
    consumerHeartbeat(group, joining("b"), TOPICS, 0, SETTINGS);
    consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: 1 }), TOPICS, 1_000, SETTINGS);
    expect(group.members.find((m) => m.memberId === "a")!.state).toBe("unrevoked_partitions");
    // b keeps heartbeating; a never confirms its revocation within its 30 s rebalance timeout.
    consumerHeartbeat(group, hb({ memberId: "b", memberEpoch: 2 }), TOPICS, 30_000, SETTINGS);
    expect(tickConsumer(group, 30_999)).toBe(false);
    expect(tickConsumer(group, 31_000)).toBe(true);
    expect(group.members.map((m) => m.memberId)).toEqual(["b"]);
    expect(tickConsumer(group, 30_000 + SETTINGS.consumerSessionTimeoutMs)).toBe(true);
    expect(consumerGroupState(group)).toBe("Empty");
  });

  test("subscriptions by pattern, topics appearing later, and the range assignor", () => {
    const group = newConsumerGroup("g");
    const topics: TopicInfo[] = [
      { name: "orders-eu", id: "22222222-2222-2222-2222-222222222222", partitions: 2 },
      { name: "other", id: T, partitions: 4 },
    ];
    const a = consumerHeartbeat(group, joining("a", { subscribedTopicNames: null, subscribedTopicRegex: "orders-.*", serverAssignor: "range" }), topics, 0, SETTINGS);
    expect(a.assignment!.topicPartitions).toEqual([{ topicId: "22222222-2222-2222-2222-222222222222", partitions: [0, 1] }]);
    const more = [...topics, { name: "orders-us", id: "33333333-3333-3333-3333-333333333333", partitions: 1 }];
    const a2 = consumerHeartbeat(group, hb({ memberId: "a", memberEpoch: a.memberEpoch }), more, 1, SETTINGS);
    expect(a2.memberEpoch).toBe(a.memberEpoch + 1);
    expect(a2.assignment!.topicPartitions.map((t) => t.topicId).sort()).toEqual(["22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333"]);
    expect(group.assignorName).toBe("range");
  });

  test("request validation", () => {
    const check = (overrides: Partial<ConsumerHeartbeatInput>, version = 0) => validateConsumerHeartbeat(hb(overrides), version)?.errorCode ?? ErrorCode.NONE;
    expect(check({ memberId: "a", memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: ["t"] })).toBe(ErrorCode.NONE);
    expect(check({ memberId: "", memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: ["t"] }, 1)).toBe(ErrorCode.INVALID_REQUEST);
    expect(check({ memberId: "", memberEpoch: 3 })).toBe(ErrorCode.INVALID_REQUEST);
    expect(check({ memberId: "a", memberEpoch: 0, subscribedTopicNames: ["t"] })).toBe(ErrorCode.INVALID_REQUEST);
    expect(check({ memberId: "a", memberEpoch: 0, rebalanceTimeoutMs: 1 })).toBe(ErrorCode.INVALID_REQUEST);
    expect(check({ memberId: "a", memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: ["t"], topicPartitions: owning([1]) })).toBe(ErrorCode.INVALID_REQUEST);
    expect(check({ memberId: "a", memberEpoch: -2 })).toBe(ErrorCode.INVALID_REQUEST);
    expect(check({ memberId: "a", memberEpoch: 1, serverAssignor: "sticky" })).toBe(ErrorCode.UNSUPPORTED_ASSIGNOR);
    expect(check({ memberId: "a", memberEpoch: 1, subscribedTopicRegex: "(" })).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION);
  });

  test("offset commits must carry the member's current epoch", () => {
    const group = newConsumerGroup("g");
    expect(validateConsumerMemberEpoch(group, "", -1)).toBe(ErrorCode.NONE);
    consumerHeartbeat(group, joining("a"), TOPICS, 0, SETTINGS);
    expect(validateConsumerMemberEpoch(group, "a", 1)).toBe(ErrorCode.NONE);
    expect(validateConsumerMemberEpoch(group, "a", 0)).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(validateConsumerMemberEpoch(group, "b", 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(validateConsumerMemberEpoch(group, "", -1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});
