// ShareGroupHeartbeat's transitions on a controlled clock: joining, epochs, session expiry applied
// by whoever touches the group next, and rejoining.
import { describe, expect, test } from "bun:test";
import { applyDeadlines, groupState } from "../../../src/broker/groups/group-summary.ts";
import { newShareGroup } from "../../../src/broker/groups/share-group.ts";
import { MAX_GROUP_SIZE, shareHeartbeat, type ShareHeartbeatInput } from "../../../src/broker/share/share-membership.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";

const TOPICS = [{ name: "t", id: "00000000-0000-0000-0000-0000000000aa", partitions: 2 }];
const SETTINGS = { heartbeatIntervalMs: 5000, sessionTimeoutMs: 45_000 };
const hb = (memberId: string, memberEpoch: number, subscribedTopicNames: string[] | null = null): ShareHeartbeatInput => ({
  memberId,
  memberEpoch,
  rackId: null,
  subscribedTopicNames,
  clientId: memberId,
  clientHost: "",
});

describe("share group membership", () => {
  test("members split the partitions; a lapsed session removes the member and the other takes everything", () => {
    const g = newShareGroup("g");
    expect(shareHeartbeat(g, hb("a", 0, ["t"]), TOPICS, 0, SETTINGS)).toMatchObject({ memberEpoch: 1, assignment: { topicPartitions: [{ partitions: [0, 1] }] } });
    expect(shareHeartbeat(g, hb("b", 0, ["t"]), TOPICS, 1000, SETTINGS).assignment!.topicPartitions[0]!.partitions).toHaveLength(1);
    const a = shareHeartbeat(g, hb("a", 1), TOPICS, 2000, SETTINGS);
    expect(a.memberEpoch).toBe(2);
    expect(a.assignment!.topicPartitions[0]!.partitions).toHaveLength(1);
    expect(groupState(g)).toBe("Stable");

    // b never heartbeats again; a keeps going.
    expect(applyDeadlines(g, 45_999)).toBe(false);
    shareHeartbeat(g, hb("a", 2), TOPICS, 40_000, SETTINGS);
    expect(applyDeadlines(g, 46_000)).toBe(true);
    expect(g.members.map((m) => m.memberId)).toEqual(["a"]);
    expect(shareHeartbeat(g, hb("a", 2), TOPICS, 47_000, SETTINGS)).toMatchObject({ memberEpoch: 3, assignment: { topicPartitions: [{ partitions: [0, 1] }] } });
    expect(shareHeartbeat(g, hb("b", 3), TOPICS, 47_000, SETTINGS).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test("a fenced member rejoins with epoch 0 and its own id", () => {
    const g = newShareGroup("g");
    shareHeartbeat(g, hb("a", 0, ["t"]), TOPICS, 0, SETTINGS);
    expect(shareHeartbeat(g, hb("a", 0, ["t"]), TOPICS, 10, SETTINGS)).toMatchObject({ errorCode: ErrorCode.NONE, memberEpoch: 1, assignment: { topicPartitions: [{ partitions: [0, 1] }] } });
    expect(shareHeartbeat(g, hb("a", 0), TOPICS, 10, SETTINGS).errorCode).toBe(ErrorCode.NONE);
  });

  test("new topics matching a subscription move the group to a new epoch", () => {
    const g = newShareGroup("g");
    shareHeartbeat(g, hb("a", 0, ["t", "later"]), TOPICS, 0, SETTINGS);
    const grown = [...TOPICS, { name: "later", id: "00000000-0000-0000-0000-0000000000bb", partitions: 1 }];
    const r = shareHeartbeat(g, hb("a", 1), grown, 10, SETTINGS);
    expect(r.memberEpoch).toBe(2);
    expect(r.assignment!.topicPartitions.map((t) => t.topicId).sort()).toEqual(grown.map((t) => t.id).sort());
  });

  test("the group holds at most group.share.max.size members", () => {
    const g = newShareGroup("g");
    for (let i = 0; i < MAX_GROUP_SIZE; i++) shareHeartbeat(g, hb(`m${i}`, 0, ["t"]), TOPICS, 0, SETTINGS);
    expect(shareHeartbeat(g, hb("one-too-many", 0, ["t"]), TOPICS, 0, SETTINGS).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });
});
