// The group APIs over the wire, on two in-process brokers sharing one memory store: any broker
// coordinates any group, and the two see one consistent group.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KafkaConnection } from "../../../src/client/kafka-connection.ts";
import type { BrokerContext } from "../../../src/broker/context.ts";
import { LogNotifier } from "../../../src/broker/log-notifier.ts";
import { listen, type RunningBroker } from "../../../src/broker/server.ts";
import { ApiKey } from "../../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import type { Storage } from "../../../src/storage/storage.ts";
import { startInProcessBroker, type InProcessBroker } from "../in-process-broker.ts";

const brokers: RunningBroker[] = [];
const connections: KafkaConnection[] = [];
let first: InProcessBroker;
let storage: Storage;
let c1: KafkaConnection;
let c2: KafkaConnection;

/** A second broker process in all but name: its own context and listener, the same store. */
function startSecondBroker(nodeId: number): RunningBroker {
  const ctx: BrokerContext = { storage, notifier: new LogNotifier(), config: { ...first.ctx.config, nodeId } };
  const broker = listen(ctx, "127.0.0.1", 0);
  ctx.config.advertisedPort = broker.port;
  return broker;
}

async function connect(port: number): Promise<KafkaConnection> {
  const c = await KafkaConnection.connect(`127.0.0.1:${port}`, "grp");
  connections.push(c);
  return c;
}

beforeAll(async () => {
  first = await startInProcessBroker({ nodeId: 1, fetchPollMs: 20 });
  storage = first.ctx.storage;
  brokers.push(first.broker, startSecondBroker(2));
  c1 = await connect(brokers[0]!.port);
  c2 = await connect(brokers[1]!.port);
  await storage.createTopic({ name: "gt", partitions: 3, configs: {} });
});
afterAll(async () => {
  for (const c of connections) c.close();
  await brokers[1]!.stop();
  await first.stop();
});

const join = (c: KafkaConnection, groupId: string, memberId: string, metadata = new Uint8Array([1])) =>
  c.request(ApiKey.JoinGroup, 9, {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata }],
    reason: null,
  });

const sync = (c: KafkaConnection, groupId: string, memberId: string, generationId: number, assignments: Array<{ memberId: string; assignment: Uint8Array }> = []) =>
  c.request(ApiKey.SyncGroup, 5, { groupId, generationId, memberId, groupInstanceId: null, protocolType: "consumer", protocolName: "range", assignments });

const heartbeat = (c: KafkaConnection, groupId: string, memberId: string, generationId: number) =>
  c.request(ApiKey.Heartbeat, 4, { groupId, generationId, memberId, groupInstanceId: null });

describe("FindCoordinator", () => {
  test("each broker names itself, for groups and transactions, batched or not", async () => {
    const single = await c2.request(ApiKey.FindCoordinator, 3, { key: "g", keyType: 0, coordinatorKeys: [] });
    expect(single).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: 2, host: "127.0.0.1", port: brokers[1]!.port });
    const batched = await c1.request(ApiKey.FindCoordinator, 6, { key: "", keyType: 1, coordinatorKeys: ["t1", "t2"] });
    expect(batched.coordinators!.map((x) => [x.key, x.nodeId, x.errorCode])).toEqual([
      ["t1", 1, ErrorCode.NONE],
      ["t2", 1, ErrorCode.NONE],
    ]);
    const bad = await c1.request(ApiKey.FindCoordinator, 4, { key: "", keyType: 7, coordinatorKeys: ["x"] });
    expect(bad.coordinators![0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});

describe("classic group across two brokers", () => {
  test("members on different brokers form one generation, sync, and rebalance when one leaves", async () => {
    const g = "two-brokers";
    const id1 = (await join(c1, g, "")).memberId;
    const id2 = (await join(c2, g, "")).memberId;
    // Both JoinGroups wait for the rebalance; it completes after the initial delay with both.
    const [r1, r2] = await Promise.all([join(c1, g, id1, new Uint8Array([1])), join(c2, g, id2, new Uint8Array([2]))]);
    expect(r1.errorCode).toBe(ErrorCode.NONE);
    expect(r2.generationId).toBe(r1.generationId);
    expect(r2.leader).toBe(r1.leader);
    const [leaderConn, leaderId, followerConn, followerId] = r1.leader === id1 ? [c1, id1, c2, id2] : [c2, id2, c1, id1];
    const leaderAnswer = r1.leader === id1 ? r1 : r2;
    expect(leaderAnswer.members.map((m) => m.memberId).sort()).toEqual([id1, id2].sort());

    const gen = r1.generationId;
    const followerSync = sync(followerConn, g, followerId, gen);
    const leaderSync = await sync(leaderConn, g, leaderId, gen, [
      { memberId: leaderId, assignment: new Uint8Array([10]) },
      { memberId: followerId, assignment: new Uint8Array([20]) },
    ]);
    expect(leaderSync.assignment).toEqual(new Uint8Array([10]));
    expect((await followerSync).assignment).toEqual(new Uint8Array([20]));
    expect((await heartbeat(c1, g, id1, gen)).errorCode).toBe(ErrorCode.NONE);

    const described = await c2.request(ApiKey.DescribeGroups, 5, { groups: [g, "no-such-group"], includeAuthorizedOperations: false });
    expect(described.groups[0]).toMatchObject({ groupState: "Stable", protocolType: "consumer", protocolData: "range" });
    expect(described.groups[0]!.members.length).toBe(2);
    expect(described.groups[1]).toMatchObject({ errorCode: ErrorCode.NONE, groupState: "Dead" });

    const left = await followerConn.request(ApiKey.LeaveGroup, 5, { groupId: g, members: [{ memberId: followerId, groupInstanceId: null, reason: null }, { memberId: "ghost", groupInstanceId: null, reason: null }] });
    expect(left.members!.map((m) => m.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect((await heartbeat(leaderConn, g, leaderId, gen)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await join(leaderConn, g, leaderId);
    expect(rejoined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: gen + 1, leader: leaderId });
    const oldLeave = await leaderConn.request(ApiKey.LeaveGroup, 1, { groupId: g, memberId: "ghost" });
    expect(oldLeave.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  }, 20_000);
});

describe("offsets", () => {
  test("commit and fetch round-trip metadata; all partitions; several groups per request", async () => {
    const commit = await c1.request(ApiKey.OffsetCommit, 9, {
      groupId: "off-a",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      topics: [
        {
          name: "gt",
          partitions: [
            { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, committedMetadata: "meta-0" },
            { partitionIndex: 2, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null },
            { partitionIndex: 9, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: "" },
          ],
        },
        { name: "missing-topic", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: "" }] },
      ],
    });
    expect(commit.topics.map((t) => t.partitions.map((p) => p.errorCode))).toEqual([
      [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const tooLarge = await c1.request(ApiKey.OffsetCommit, 2, {
      groupId: "off-a",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      retentionTimeMs: -1n,
      topics: [{ name: "gt", partitions: [{ partitionIndex: 1, committedOffset: 1n, committedMetadata: "x".repeat(5000) }] }],
    });
    expect(tooLarge.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_METADATA_TOO_LARGE);
    await c2.request(ApiKey.OffsetCommit, 8, {
      groupId: "off-b",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      topics: [{ name: "gt", partitions: [{ partitionIndex: 1, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: "b" }] }],
    });

    // Read back through the other broker: v7, named partitions (one never committed).
    const v7 = await c2.request(ApiKey.OffsetFetch, 7, { groupId: "off-a", topics: [{ name: "gt", partitionIndexes: [0, 1] }], requireStable: false });
    expect(v7.errorCode).toBe(ErrorCode.NONE);
    expect(v7.topics![0]!.partitions).toEqual([
      { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, metadata: "meta-0", errorCode: ErrorCode.NONE },
      { partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: -1, metadata: "", errorCode: ErrorCode.NONE },
    ]);
    // v8: several groups, all partitions.
    const v8 = await c2.request(ApiKey.OffsetFetch, 8, {
      groups: [
        { groupId: "off-a", topics: null },
        { groupId: "off-b", topics: null },
      ],
      requireStable: false,
    });
    expect(v8.groups!.map((g) => [g.groupId, g.topics.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata]))])).toEqual([
      ["off-a", [[0, 42n, "meta-0"], [2, 7n, ""]]],
      ["off-b", [[1, 5n, "b"]]],
    ]);
  });

  test("commits are checked against the group: generation, member, missing group", async () => {
    const stale = await c1.request(ApiKey.OffsetCommit, 7, {
      groupId: "two-brokers",
      generationIdOrMemberEpoch: 1,
      memberId: "ghost",
      groupInstanceId: null,
      topics: [{ name: "gt", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(stale.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const commitTo = (version: number) =>
      c1.request(ApiKey.OffsetCommit, version, {
        groupId: `never-${version}`,
        generationIdOrMemberEpoch: 3,
        memberId: "m",
        groupInstanceId: null,
        topics: [{ name: "gt", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
    expect((await commitTo(8)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await commitTo(9)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  test("OffsetDelete, ListGroups with filters, DeleteGroups", async () => {
    const del = await c1.request(ApiKey.OffsetDelete, 0, { groupId: "off-a", topics: [{ name: "gt", partitions: [{ partitionIndex: 2 }, { partitionIndex: 99 }] }] });
    expect(del.errorCode).toBe(ErrorCode.NONE);
    expect(del.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect((await c1.request(ApiKey.OffsetDelete, 0, { groupId: "nope", topics: [] })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    const listed = await c2.request(ApiKey.ListGroups, 5, { statesFilter: ["empty"], typesFilter: ["Classic"] });
    const names = listed.groups.map((g) => g.groupId);
    expect(names).toContain("off-a");
    expect(names).not.toContain("two-brokers");
    expect(listed.groups.find((g) => g.groupId === "off-a")).toEqual({ groupId: "off-a", protocolType: "", groupState: "Empty", groupType: "classic" });
    const stable = await c2.request(ApiKey.ListGroups, 4, { statesFilter: ["Stable", "CompletingRebalance"] });
    expect(stable.groups.map((g) => g.groupId)).toContain("two-brokers");

    const deleted = await c1.request(ApiKey.DeleteGroups, 2, { groupsNames: ["off-a", "two-brokers", "nope"] });
    expect(deleted.results.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND]);
    expect(await storage.fetchOffsets("off-a")).toEqual([]);
  });
});

describe("KIP-848 consumer group across two brokers", () => {
  test("two members on different brokers converge on disjoint halves", async () => {
    await storage.createTopic({ name: "cg", partitions: 4, configs: {} });
    const beat = (c: KafkaConnection, memberId: string, memberEpoch: number, topicPartitions: Array<{ topicId: string; partitions: number[] }> | null) =>
      c.request(ApiKey.ConsumerGroupHeartbeat, 1, {
        groupId: "kip848",
        memberId,
        memberEpoch,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: memberEpoch === 0 ? 30_000 : -1,
        subscribedTopicNames: memberEpoch === 0 ? ["cg"] : null,
        subscribedTopicRegex: null,
        serverAssignor: memberEpoch === 0 ? "uniform" : null,
        topicPartitions,
      });
    const a = await beat(c1, "member-a", 0, []);
    expect(a).toMatchObject({ errorCode: ErrorCode.NONE, memberEpoch: 1 });
    expect(a.assignment!.topicPartitions[0]!.partitions).toEqual([0, 1, 2, 3]);
    const b = await beat(c2, "member-b", 0, []);
    expect(b.memberEpoch).toBe(2);
    const a2 = await beat(c1, "member-a", 1, a.assignment!.topicPartitions);
    const kept = a2.assignment!.topicPartitions;
    expect(kept[0]!.partitions.length).toBe(2);
    const a3 = await beat(c1, "member-a", 1, kept);
    expect(a3.memberEpoch).toBe(2);
    const b2 = await beat(c2, "member-b", 2, []);
    const mine = b2.assignment!.topicPartitions[0]!.partitions;
    expect([...mine, ...kept[0]!.partitions].sort()).toEqual([0, 1, 2, 3]);

    const described = await c2.request(ApiKey.ConsumerGroupDescribe, 0, { groupIds: ["kip848", "two-brokers"], includeAuthorizedOperations: false });
    expect(described.groups[0]).toMatchObject({ errorCode: ErrorCode.NONE, groupState: "Stable", groupEpoch: 2, assignmentEpoch: 2, assignorName: "uniform" });
    expect(described.groups[0]!.members.map((m) => m.assignment.topicPartitions[0]!.topicName)).toEqual(["cg", "cg"]);
    expect(described.groups[1]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    const commit = await c1.request(ApiKey.OffsetCommit, 9, {
      groupId: "kip848",
      generationIdOrMemberEpoch: 1,
      memberId: "member-a",
      groupInstanceId: null,
      topics: [{ name: "cg", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    const join = await c1.request(ApiKey.JoinGroup, 9, { groupId: "kip848", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5_000, memberId: "", groupInstanceId: null, protocolType: "consumer", protocols: [{ name: "range", metadata: new Uint8Array() }], reason: null });
    expect(join.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });
});
