// The share-group APIs over the wire, on two in-process brokers sharing one memory store: members
// of one share group on different brokers, their share sessions, acknowledgements and the errors
// Kafka gives, lapsing locks, and the admin side.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KafkaConnection } from "../../../src/client/kafka-connection.ts";
import type { BrokerContext } from "../../../src/broker/context.ts";
import { LogNotifier } from "../../../src/broker/log-notifier.ts";
import { listen, type RunningBroker } from "../../../src/broker/server.ts";
import { ApiKey } from "../../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import { startInProcessBroker, type InProcessBroker } from "../in-process-broker.ts";
import { batchOf } from "../records.ts";
import { addPartitions, batch, endTxn, newProducer, produce as produceTxn } from "../transactions/txn-requests.ts";
import { ack, acquired, GROUP_RESOURCE, heartbeat, join, partitionOf, setGroupConfig, shareAcknowledge, shareFetch } from "./share-requests.ts";

const ACCEPT = 1;
const RELEASE = 2;
const REJECT = 3;

let first: InProcessBroker;
let second: RunningBroker;
const connections: KafkaConnection[] = [];
let c1: KafkaConnection;
let c2: KafkaConnection;

async function connect(port: number): Promise<KafkaConnection> {
  const c = await KafkaConnection.connect(`127.0.0.1:${port}`, "share-test");
  connections.push(c);
  return c;
}

beforeAll(async () => {
  // Locks as short as a second, as Kafka allows with group.share.min.record.lock.duration.ms=1000.
  first = await startInProcessBroker({ nodeId: 1, fetchPollMs: 20, shareMinRecordLockDurationMs: 1000 });
  const ctx: BrokerContext = { storage: first.ctx.storage, notifier: new LogNotifier(), config: { ...first.ctx.config, nodeId: 2 } };
  second = listen(ctx, "127.0.0.1", 0);
  ctx.config.advertisedPort = second.port;
  c1 = await connect(first.broker.port);
  c2 = await connect(second.port);
});
afterAll(async () => {
  for (const c of connections) c.close();
  await second.stop();
  await first.stop();
});

let topics = 0;
/** A fresh topic with `values` produced one batch each, and a fresh group reading it from the earliest offset. */
async function setup(values: string[], partitions = 1, groupConfigs: Record<string, string> = {}) {
  const name = `share-${++topics}`;
  const created = await c1.request(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  for (const v of values) await produce(c1, name, [v]);
  const groupId = `${name}-group`;
  expect((await setGroupConfig(c1, groupId, { "share.auto.offset.reset": "earliest", ...groupConfigs })).errorCode).toBe(ErrorCode.NONE);
  return { topic: name, topicId: created.topics[0]!.topicId!, groupId };
}

async function produce(c: KafkaConnection, topic: string, values: string[], partition = 0) {
  const r = await c.request(ApiKey.Produce, 11, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batchOf(values.map((value) => ({ value }))) }] }],
  });
  expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
}

/** A member that joined and opened its share session: the session's next epoch and the first answer. */
async function member(c: KafkaConnection, groupId: string, memberId: string, topic: string, topicId: string, maxWaitMs = 0) {
  await join(c, groupId, memberId, [topic]);
  const opened = await shareFetch(c, groupId, memberId, 0, topicId, { maxWaitMs });
  expect(opened.errorCode).toBe(ErrorCode.NONE);
  return { epoch: 1, opened };
}

describe("ShareGroupHeartbeat", () => {
  test("requests Kafka refuses before reading the group", async () => {
    const cases: Array<[string, number, string[] | null, string]> = [
      ["", 0, ["t"], "MemberId can't be empty."],
      ["m", 0, null, "SubscribedTopicNames must be set in first request."],
      ["m", 0, [], "SubscribedTopicNames must be set in first request."],
      ["m", -2, null, "MemberEpoch is invalid."],
    ];
    for (const [memberId, epoch, subscribed, message] of cases) {
      const r = await heartbeat(c1, "hb-invalid", memberId, epoch, subscribed);
      expect([r.errorCode, r.errorMessage]).toEqual([ErrorCode.INVALID_REQUEST, message]);
    }
    expect((await heartbeat(c1, "", "m", 0, ["t"])).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  test("members on two brokers share the one partition; epochs, fencing and leaving", async () => {
    const { topic, topicId, groupId } = await setup([]);
    const a = await heartbeat(c1, groupId, "member-a", 0, [topic]);
    expect([a.errorCode, a.memberId, a.memberEpoch, a.heartbeatIntervalMs]).toEqual([ErrorCode.NONE, "member-a", 1, 5000]);
    expect(a.assignment).toEqual({ topicPartitions: [{ topicId, partitions: [0] }] });

    const b = await heartbeat(c2, groupId, "member-b", 0, [topic]);
    expect([b.memberEpoch, b.assignment]).toEqual([2, { topicPartitions: [{ topicId, partitions: [0] }] }]);
    // member-a moves to the new epoch; its partition is unchanged, so no assignment is sent.
    const a2 = await heartbeat(c1, groupId, "member-a", 1);
    expect([a2.errorCode, a2.memberEpoch, a2.assignment]).toEqual([ErrorCode.NONE, 2, null]);

    const fenced = await heartbeat(c2, groupId, "member-a", 5);
    expect(fenced.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect(fenced.errorMessage).toContain("greater member epoch (5)");
    expect((await heartbeat(c1, groupId, "stranger", 2)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await heartbeat(c1, "no-such-share-group", "m", 1)).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    const left = await heartbeat(c2, groupId, "member-b", -1);
    expect([left.errorCode, left.memberEpoch]).toEqual([ErrorCode.NONE, -1]);
    expect((await heartbeat(c2, groupId, "member-b", -1)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await heartbeat(c1, groupId, "member-a", 2)).memberEpoch).toBe(3);
  });

  test("a group of another type is not a share group, and a share group is no other type's", async () => {
    const commit = await c1.request(ApiKey.OffsetCommit, 8, {
      groupId: "hb-classic",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: "whatever", partitions: [] }],
    });
    expect(commit.throttleTimeMs).toBe(0);
    const r = await heartbeat(c1, "hb-classic", "m", 0, ["t"]);
    expect([r.errorCode, r.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, "Group hb-classic is not a share group."]);

    const { topic, groupId } = await setup([]);
    await join(c1, groupId, "m", [topic]);
    const consumer = await c1.request(ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId,
      memberId: "c",
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 1000,
      subscribedTopicNames: [topic],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [],
    });
    expect(consumer.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });
});

describe("share groups in the group APIs", () => {
  test("ShareGroupDescribe, ListGroups with the share type, DescribeGroups and DeleteGroups", async () => {
    const { topic, topicId, groupId } = await setup(["x"]);
    await join(c1, groupId, "d-1", [topic]);
    await join(c2, groupId, "d-2", [topic]);

    const described = await c2.request(ApiKey.ShareGroupDescribe, 1, { groupIds: [groupId, "", "hb-classic", "nope"], includeAuthorizedOperations: false });
    const [g, empty, classic, missing] = described.groups;
    expect([g!.errorCode, g!.groupState, g!.groupEpoch, g!.assignorName]).toEqual([ErrorCode.NONE, "Stable", 2, "simple"]);
    expect(g!.members.map((m) => m.memberId).sort()).toEqual(["d-1", "d-2"]);
    expect(g!.members.find((m) => m.memberId === "d-1")!.assignment.topicPartitions).toEqual([{ topicId, topicName: topic, partitions: [0] }]);
    expect(empty!.errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect([classic!.errorCode, classic!.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, "Group hb-classic is not a share group."]);
    expect([missing!.errorCode, missing!.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, "Group nope not found."]);

    const listed = await c1.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ["share"] });
    expect(listed.groups.find((x) => x.groupId === groupId)).toEqual({ groupId, protocolType: "share", groupState: "Stable", groupType: "share" });
    expect(listed.groups.every((x) => x.groupType === "share")).toBe(true);
    const classicGroup = await c1.request(ApiKey.DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false });
    expect(classicGroup.groups[0]!.groupState).toBe("Dead");

    // Share state to delete along with the group.
    await shareFetch(c1, groupId, "d-1", 0, topicId);
    expect((await c1.request(ApiKey.DeleteGroups, 2, { groupsNames: [groupId] })).results[0]!.errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    await heartbeat(c1, groupId, "d-1", -1);
    await heartbeat(c2, groupId, "d-2", -1);
    expect((await c2.request(ApiKey.DeleteGroups, 2, { groupsNames: [groupId] })).results[0]!.errorCode).toBe(ErrorCode.NONE);
    const after = await c1.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId, topics: null }] });
    expect(after.groups[0]!.topics).toEqual([]);
  });
});

describe("group configs", () => {
  test("set with IncrementalAlterConfigs on the GROUP resource, checked as Kafka does, read with DescribeConfigs", async () => {
    const set = await setGroupConfig(c1, "cfg-group", { "share.record.lock.duration.ms": "20000", "share.isolation.level": "read_committed" });
    expect(set.errorCode).toBe(ErrorCode.NONE);
    const described = await c2.request(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: GROUP_RESOURCE, resourceName: "cfg-group", configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    // Sources: 8 set on the group, 5 Kafka's default.
    const configs = Object.fromEntries(described.results[0]!.configs.map((c) => [c.name, [c.value, c.configSource]]));
    expect(configs).toEqual({
      "share.auto.offset.reset": ["latest", 5],
      "share.delivery.count.limit": ["5", 5],
      "share.heartbeat.interval.ms": ["5000", 5],
      "share.isolation.level": ["read_committed", 8],
      "share.record.lock.duration.ms": ["20000", 8],
      "share.session.timeout.ms": ["45000", 5],
    });

    const refused: Array<[Record<string, string>, string]> = [
      [{ "share.record.lock.duration.ms": "500" }, "Invalid value 500 for configuration share.record.lock.duration.ms: Value must be at least 1000"],
      [{ "share.record.lock.duration.ms": "90000" }, "share.record.lock.duration.ms must be less than or equal to group.share.max.record.lock.duration.ms"],
      [{ "share.delivery.count.limit": "11" }, "share.delivery.count.limit must be less than or equal to group.share.max.delivery.count.limit"],
      [{ "share.session.timeout.ms": "1000" }, "share.session.timeout.ms must be greater than or equal to group.share.min.session.timeout.ms"],
      [{ "share.isolation.level": "dirty" }, "Invalid value dirty for configuration share.isolation.level: String must be one of: read_committed, read_uncommitted"],
      [{ "share.auto.offset.reset": "by_duration:yesterday" }, "Invalid value by_duration:yesterday for configuration share.auto.offset.reset: Must be one of earliest, latest or by_duration:<ISO-8601 duration>"],
      [{ "consumer.fancy": "1" }, "Unknown group config name: consumer.fancy"],
    ];
    for (const [configs, message] of refused) {
      const r = await setGroupConfig(c1, "cfg-group", configs);
      expect([r.errorCode, r.errorMessage]).toEqual([ErrorCode.INVALID_CONFIG, message]);
    }
    expect((await setGroupConfig(c1, "cfg-group", { "share.auto.offset.reset": "by_duration:PT1H30M" })).errorCode).toBe(ErrorCode.NONE);
    expect((await setGroupConfig(c1, "cfg-group", { "share.isolation.level": null })).errorCode).toBe(ErrorCode.NONE);
  });
});

describe("ShareFetch and ShareAcknowledge", () => {
  test("epoch 0 opens a session and acquires each record once, for the group's lock duration", async () => {
    const { topic, topicId, groupId } = await setup(["v0", "v1", "v2"], 1, { "share.record.lock.duration.ms": "15000" });
    await join(c1, groupId, "m1", [topic]);
    const withAcks = await shareFetch(c1, groupId, "m1", 0, topicId, { acks: { 0: [ack(0, 0, ACCEPT)] } });
    expect(withAcks.errorCode).toBe(ErrorCode.INVALID_REQUEST);

    const opened = await shareFetch(c1, groupId, "m1", 0, topicId);
    expect([opened.errorCode, opened.acquisitionLockTimeoutMs]).toEqual([ErrorCode.NONE, 15000]);
    const p = partitionOf(opened, topicId)!;
    expect(p.acquiredRecords).toEqual([{ firstOffset: 0n, lastOffset: 2n, deliveryCount: 1 }]);
    expect(acquired(p)).toEqual([[0, "v0", 1], [1, "v1", 1], [2, "v2", 1]]);

    // A second member (on the other broker) finds nothing: the first holds it all.
    await join(c2, groupId, "m2", [topic]);
    const other = await shareFetch(c2, groupId, "m2", 0, topicId);
    expect(partitionOf(other, topicId)!.acquiredRecords).toEqual([]);
    // Later requests of a session leave out partitions with nothing to say.
    expect((await shareFetch(c2, groupId, "m2", 1, topicId)).responses).toEqual([]);
  });

  test("session epochs: a wrong one is refused and moves nothing; after -1 the session is gone", async () => {
    const { topic, topicId, groupId } = await setup(["v0"]);
    await member(c1, groupId, "m", topic, topicId);
    expect((await shareFetch(c1, groupId, "m", 6, topicId)).errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    expect((await shareAcknowledge(c1, groupId, "m", 0, topicId, { 0: [ack(0, 0, ACCEPT)] })).errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    // The session is per broker: the other broker does not know it.
    expect((await shareAcknowledge(c2, groupId, "m", 1, topicId, { 0: [ack(0, 0, ACCEPT)] })).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
    const accepted = await shareAcknowledge(c1, groupId, "m", 1, topicId, { 0: [ack(0, 0, ACCEPT)] });
    expect([accepted.errorCode, accepted.responses[0]!.partitions[0]!.errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);

    const closed = await shareAcknowledge(c1, groupId, "m", -1, topicId);
    expect([closed.errorCode, closed.responses]).toEqual([ErrorCode.NONE, []]);
    expect((await shareFetch(c1, groupId, "m", 2, topicId)).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
    expect((await shareAcknowledge(c1, groupId, "m", 2, topicId, { 0: [ack(0, 0, ACCEPT)] })).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
  });

  test("piggy-backed accept, release and reject; released records come back in the same answer", async () => {
    const { topic, topicId, groupId } = await setup(["v0", "v1", "v2", "v3", "v4", "v5"]);
    await member(c1, groupId, "m", topic, topicId);
    const r = await shareFetch(c1, groupId, "m", 1, topicId, { acks: { 0: [ack(0, 2, ACCEPT, RELEASE, REJECT), ack(3, 5, RELEASE)] } });
    const p = partitionOf(r, topicId)!;
    expect(p.acknowledgeErrorCode).toBe(ErrorCode.NONE);
    expect(acquired(p).map(([offset, , count]) => [offset, count])).toEqual([[1, 2], [3, 2], [4, 2], [5, 2]]);
  });

  test("acknowledgement errors: twice, past what was acquired, someone else's records", async () => {
    const { topic, topicId, groupId } = await setup(["v0", "v1", "v2", "v3", "v4", "v5"]);
    await member(c1, groupId, "owner", topic, topicId);
    const once = await shareAcknowledge(c1, groupId, "owner", 1, topicId, { 0: [ack(3, 3, ACCEPT)] });
    expect(once.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    const twice = await shareAcknowledge(c1, groupId, "owner", 2, topicId, { 0: [ack(3, 3, ACCEPT)] });
    expect(twice.errorCode).toBe(ErrorCode.NONE);
    expect(twice.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD_STATE, errorMessage: "The offset cannot be acknowledged. The offset is not acquired." });
    const piggy = await shareFetch(c1, groupId, "owner", 3, topicId, { acks: { 0: [ack(3, 3, ACCEPT)] } });
    expect(partitionOf(piggy, topicId)).toMatchObject({ errorCode: ErrorCode.NONE, acknowledgeErrorCode: ErrorCode.INVALID_RECORD_STATE });
    const past = await shareAcknowledge(c1, groupId, "owner", 4, topicId, { 0: [ack(9, 9, ACCEPT)] });
    expect(past.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Batch record not found. The first offset in request is past acquired records." });
    const malformed = await shareAcknowledge(c1, groupId, "owner", 5, topicId, { 0: [ack(2, 1, ACCEPT)] });
    expect(malformed.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);

    await member(c2, groupId, "thief", topic, topicId);
    const stolen = await shareAcknowledge(c2, groupId, "thief", 1, topicId, { 0: [ack(1, 1, ACCEPT)] });
    expect(stolen.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD_STATE, errorMessage: "Member is not the owner of batch record" });
    const unknownTopic = await shareAcknowledge(c2, groupId, "thief", 2, "11111111-1111-1111-1111-111111111111", { 0: [ack(1, 1, ACCEPT)] });
    expect(unknownTopic.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  });

  test("closing a session gives its records to a member on the other broker, one delivery later", async () => {
    const { topic, topicId, groupId } = await setup(["v0", "v1", "v2"]);
    await member(c1, groupId, "leaving", topic, topicId);
    await shareAcknowledge(c1, groupId, "leaving", -1, topicId);
    const { opened } = await member(c2, groupId, "taking", topic, topicId);
    expect(acquired(partitionOf(opened, topicId)).map(([o, , n]) => [o, n])).toEqual([[0, 2], [1, 2], [2, 2]]);
  });

  test("a connection closing ends its sessions and gives back what they held", async () => {
    const { topic, topicId, groupId } = await setup(["v0", "v1"]);
    const gone = await connect(first.broker.port);
    const { opened } = await member(gone, groupId, "crashed", topic, topicId);
    expect(partitionOf(opened, topicId)!.acquiredRecords).toHaveLength(1);
    await join(c2, groupId, "waiting", [topic]);
    const empty = await shareFetch(c2, groupId, "waiting", 0, topicId);
    expect(partitionOf(empty, topicId)!.acquiredRecords).toEqual([]);
    const waiting = shareFetch(c2, groupId, "waiting", 1, topicId, { maxWaitMs: 30_000 });
    gone.close();
    expect(acquired(partitionOf(await waiting, topicId)).map(([o, , n]) => [o, n])).toEqual([[0, 2], [1, 2]]);
  });

  test("a lock lapses at its stored deadline: a member waiting on the other broker takes the records", async () => {
    const { topic, topicId, groupId } = await setup(["v0", "v1"], 1, { "share.record.lock.duration.ms": "1000" });
    await member(c1, groupId, "slow", topic, topicId);
    await join(c2, groupId, "fast", [topic]);
    // Ten seconds of patience: the records come when the lock lapses, not when the wait ends.
    const r = await shareFetch(c2, groupId, "fast", 0, topicId, { maxWaitMs: 10_000 });
    expect(acquired(partitionOf(r, topicId)).map(([o, , n]) => [o, n])).toEqual([[0, 2], [1, 2]]);
    const late = await shareAcknowledge(c1, groupId, "slow", 1, topicId, { 0: [ack(0, 1, ACCEPT)] });
    expect(late.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD_STATE);
  });

  test("a waiting fetch returns with a record produced through the other broker", async () => {
    const { topic, topicId, groupId } = await setup([]);
    await member(c1, groupId, "m", topic, topicId);
    const waiting = shareFetch(c1, groupId, "m", 1, topicId, { maxWaitMs: 600_000 });
    await produce(c2, topic, ["late"]);
    expect(acquired(partitionOf(await waiting, topicId))).toEqual([[0, "late", 1]]);
  });

  test("over the delivery count limit a record is archived and never delivered again", async () => {
    const { topic, topicId, groupId } = await setup(["poison", "fine"], 1, { "share.delivery.count.limit": "2" });
    await member(c1, groupId, "m", topic, topicId);
    const again = await shareFetch(c1, groupId, "m", 1, topicId, { acks: { 0: [ack(0, 1, RELEASE, ACCEPT)] } });
    expect(acquired(partitionOf(again, topicId))).toEqual([[0, "poison", 2]]);
    const last = await shareFetch(c1, groupId, "m", 2, topicId, { acks: { 0: [ack(0, 0, RELEASE)] } });
    expect(partitionOf(last, topicId)?.acquiredRecords ?? []).toEqual([]);
    const offsets = await c1.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId, topics: [{ topicName: topic, partitions: [0] }] }] });
    expect(offsets.groups[0]!.topics[0]!.partitions[0]).toMatchObject({ startOffset: 2n, lag: 0n });
  });

  test("MaxRecords bounds an answer at a batch boundary; forgotten partitions are no longer read", async () => {
    const { topic, topicId, groupId } = await setup([], 2);
    for (const v of ["a", "b", "c"]) await produce(c1, topic, [v]);
    await produce(c1, topic, ["p1"], 1);
    await join(c1, groupId, "m", [topic]);
    const r = await shareFetch(c1, groupId, "m", 0, topicId, { partitions: [0], maxRecords: 2 });
    expect(acquired(partitionOf(r, topicId)).map(([, v]) => v)).toEqual(["a", "b"]);
    const both = await shareFetch(c1, groupId, "m", 1, topicId, { partitions: [1] });
    expect(acquired(partitionOf(both, topicId, 0)).map(([, v]) => v)).toEqual(["c"]);
    expect(acquired(partitionOf(both, topicId, 1)).map(([, v]) => v)).toEqual(["p1"]);
    await produce(c1, topic, ["d"]);
    await produce(c1, topic, ["p1-more"], 1);
    const forgot = await shareFetch(c1, groupId, "m", 2, topicId, { partitions: [], forget: [0] });
    expect(partitionOf(forgot, topicId, 0)).toBeUndefined();
    expect(acquired(partitionOf(forgot, topicId, 1)).map(([, v]) => v)).toEqual(["p1-more"]);
  });

  test("share.isolation.level=read_committed delivers committed transactions only", async () => {
    const { topic, topicId, groupId } = await setup([], 1, { "share.isolation.level": "read_committed" });
    for (const [id, commit] of [["share-txn-abort", false], ["share-txn-commit", true]] as const) {
      const p = await newProducer(c1, id);
      expect(await addPartitions(c1, id, p, topic, [0])).toEqual([ErrorCode.NONE]);
      expect((await produceTxn(c1, topic, 0, batch([`${id}-1`, `${id}-2`], { producer: p, transactional: true }), id)).errorCode).toBe(ErrorCode.NONE);
      expect(await endTxn(c1, id, p, commit)).toBe(ErrorCode.NONE);
    }
    const { opened } = await member(c1, groupId, "m", topic, topicId);
    expect(acquired(partitionOf(opened, topicId)).map(([, v]) => v)).toEqual(["share-txn-commit-1", "share-txn-commit-2"]);
    const p = partitionOf(opened, topicId)!;
    const accepted = await shareFetch(c1, groupId, "m", 1, topicId, { acks: { 0: p.acquiredRecords.map((r) => ack(Number(r.firstOffset), Number(r.lastOffset), ACCEPT)) } });
    expect(partitionOf(accepted, topicId)!.acknowledgeErrorCode).toBe(ErrorCode.NONE);
    // Aborted records and the markers are archived: everything is delivered to completion.
    const offsets = await c1.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId, topics: null }] });
    expect(offsets.groups[0]!.topics[0]!.partitions[0]).toMatchObject({ startOffset: 6n, lag: 0n });
  });
});

describe("share group offsets", () => {
  test("alter and describe start offsets and lag; an altered share-partition is read from its start offset", async () => {
    const { topic, topicId, groupId } = await setup(["v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9"], 2);
    const altered = await c1.request(ApiKey.AlterShareGroupOffsets, 0, {
      groupId,
      topics: [
        { topicName: topic, partitions: [{ partitionIndex: 0, startOffset: 3n }, { partitionIndex: 1, startOffset: 0n }, { partitionIndex: 2, startOffset: 0n }] },
        { topicName: "no-such-topic", partitions: [{ partitionIndex: 0, startOffset: 0n }] },
      ],
    });
    expect(altered.errorCode).toBe(ErrorCode.NONE);
    expect(altered.responses.map((t) => [t.topicName, t.partitions.map((p) => p.errorCode)])).toEqual([
      [topic, [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
      ["no-such-topic", [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
    ]);
    const listed = await c2.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
    expect(listed.groups.find((g) => g.groupId === groupId)?.groupState).toBe("Empty");

    const v1 = await c2.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId, topics: null }] });
    expect(v1.groups[0]!.topics).toEqual([
      {
        topicName: topic,
        topicId,
        partitions: [
          { partitionIndex: 0, startOffset: 3n, leaderEpoch: 0, lag: 7n, errorCode: 0, errorMessage: null },
          { partitionIndex: 1, startOffset: 0n, leaderEpoch: 0, lag: 0n, errorCode: 0, errorMessage: null },
        ],
      },
    ]);
    const v0 = await c2.request(ApiKey.DescribeShareGroupOffsets, 0, { groups: [{ groupId, topics: [{ topicName: topic, partitions: [0] }, { topicName: "no-such-topic", partitions: [0] }] }] });
    expect(v0.groups[0]!.topics.map((t) => [t.topicName, t.partitions.map((p) => p.startOffset)])).toEqual([[topic, [3n]]]);
    const unknown = await c2.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId: "no-such-group", topics: [{ topicName: topic, partitions: [0] }] }, { groupId: "no-such-group", topics: null }] });
    expect(unknown.groups.map((g) => [g.errorCode, g.topics.map((t) => t.partitions.map((p) => p.startOffset))])).toEqual([[0, [[-1n]]], [0, []]]);

    const { opened } = await member(c1, groupId, "m", topic, topicId);
    expect(acquired(partitionOf(opened, topicId)).map(([o]) => o)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    const busy = await c1.request(ApiKey.AlterShareGroupOffsets, 0, { groupId, topics: [{ topicName: topic, partitions: [{ partitionIndex: 0, startOffset: 0n }] }] });
    expect([busy.errorCode, busy.responses[0]!.partitions[0]!.errorCode, busy.errorMessage]).toEqual([ErrorCode.NON_EMPTY_GROUP, ErrorCode.NON_EMPTY_GROUP, "The group is not empty."]);
    const classic = await c1.request(ApiKey.AlterShareGroupOffsets, 0, { groupId: "hb-classic", topics: [{ topicName: topic, partitions: [{ partitionIndex: 0, startOffset: 0n }] }] });
    expect([classic.errorCode, classic.errorMessage]).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, "Group hb-classic is not a share group."]);
  });

  test("delete forgets a topic's share state of an empty share group, and refuses other groups", async () => {
    const { topic, groupId } = await setup(["v0"]);
    const other = await setup(["w0"]);
    for (const t of [topic, other.topic]) {
      const r = await c1.request(ApiKey.AlterShareGroupOffsets, 0, { groupId, topics: [{ topicName: t, partitions: [{ partitionIndex: 0, startOffset: 0n }] }] });
      expect(r.errorCode).toBe(ErrorCode.NONE);
    }
    const deleted = await c2.request(ApiKey.DeleteShareGroupOffsets, 0, { groupId, topics: [{ topicName: topic }, { topicName: "no-such-topic" }, { topicName: topic }] });
    expect(deleted.errorCode).toBe(ErrorCode.NONE);
    expect(deleted.responses.map((t) => [t.topicName, t.errorCode])).toEqual([
      [topic, ErrorCode.NONE],
      ["no-such-topic", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const left = await c1.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId, topics: null }] });
    expect(left.groups[0]!.topics.map((t) => t.topicName)).toEqual([other.topic]);

    const refusals: Array<[string, number, string]> = [
      ["no-such-group", ErrorCode.GROUP_ID_NOT_FOUND, "Group no-such-group not found."],
      ["hb-classic", ErrorCode.GROUP_ID_NOT_FOUND, "Group hb-classic is not a share group."],
    ];
    for (const [g, code, message] of refusals) {
      const r = await c1.request(ApiKey.DeleteShareGroupOffsets, 0, { groupId: g, topics: [{ topicName: topic }] });
      expect([r.errorCode, r.errorMessage]).toEqual([code, message]);
    }
    await join(c1, groupId, "m", [topic]);
    const busy = await c1.request(ApiKey.DeleteShareGroupOffsets, 0, { groupId, topics: [{ topicName: other.topic }] });
    expect([busy.errorCode, busy.errorMessage]).toEqual([ErrorCode.NON_EMPTY_GROUP, "The group is not empty."]);
    const none = await c1.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
    expect(none.groups.some((g) => g.groupId === "no-such-group")).toBe(false);
  });
});
