// What each share-group API checks under --authorizer acl, and where it answers Kafka's errors
// (KafkaApis' handleShare*): READ on the group to heartbeat, fetch and acknowledge, DESCRIBE on
// subscribed topics to heartbeat, READ on topics per partition to fetch and acknowledge; DESCRIBE
// to describe, READ to alter and DELETE on the group to delete share-group offsets. Share groups
// are listed, described and deleted under the same rules as every other group.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { KafkaConnection } from "../../../src/client/kafka-connection.ts";
import { AclOperation as Op, ResourceType as Res } from "../../../src/protocol/acl-codes.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import { ApiKey } from "../../../src/protocol/generated/apis.ts";
import type { AclBinding } from "../../../src/security/acl.ts";
import { allow, grant as grantOn, revokeAll, startAclBroker } from "../acl-broker.ts";
import type { InProcessBroker } from "../in-process-broker.ts";
import { batchOf } from "../records.ts";
import { ack, acquired, heartbeat, partitionOf, setGroupConfig, shareAcknowledge, shareFetch } from "./share-requests.ts";

const ACCEPT = 1;
let b: InProcessBroker;
let c: KafkaConnection;
let sharedId: string;

const grant = (...acls: AclBinding[][]) => grantOn(b, ...acls);

beforeAll(async () => {
  b = await startAclBroker({ shareMinRecordLockDurationMs: 1000 });
  c = await b.connect();
  sharedId = (await b.ctx.storage.createTopic({ name: "shared", partitions: 1, configs: {} })).id;
  await b.ctx.storage.createTopic({ name: "hidden", partitions: 1, configs: {} });
  await grant(allow(Res.TOPIC, "shared", Op.WRITE));
  const produced = await c.request(ApiKey.Produce, 11, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: "shared", partitionData: [{ index: 0, records: batchOf([{ value: "a" }, { value: "b" }]) }] }],
  });
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
});
afterAll(() => b.stop());
beforeEach(() => revokeAll(b));

/** A group reading from the earliest offset; its config is set with ALTER_CONFIGS granted for the purpose. */
async function earliest(groupId: string) {
  await grant(allow(Res.GROUP, groupId, Op.ALTER_CONFIGS));
  expect((await setGroupConfig(c, groupId, { "share.auto.offset.reset": "earliest" })).errorCode).toBe(ErrorCode.NONE);
  await revokeAll(b);
}

describe("consumer APIs", () => {
  test("ShareGroupHeartbeat: READ on the group, then DESCRIBE on every subscribed topic", async () => {
    expect((await heartbeat(c, "hb", "m1", 0, ["shared"])).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    await grant(allow(Res.GROUP, "hb", Op.READ));
    expect((await heartbeat(c, "hb", "m1", 0, ["shared"])).errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    // READ implies DESCRIBE; one undescribable topic among the subscribed refuses the whole heartbeat.
    await grant(allow(Res.TOPIC, "shared", Op.READ));
    expect((await heartbeat(c, "hb", "m1", 0, ["shared", "hidden"])).errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    // The refused joins left no group behind; this one makes it.
    const joined = await heartbeat(c, "hb", "m1", 0, ["shared"]);
    expect([joined.errorCode, joined.memberEpoch]).toEqual([ErrorCode.NONE, 1]);
  });

  test("ShareFetch and ShareAcknowledge: GROUP_AUTHORIZATION_FAILED for the request, TOPIC_AUTHORIZATION_FAILED per partition", async () => {
    const groupId = "fetchers";
    await earliest(groupId);
    const refused = await shareFetch(c, groupId, "m1", 0, sharedId);
    expect([refused.errorCode, refused.responses]).toEqual([ErrorCode.GROUP_AUTHORIZATION_FAILED, []]);
    const refusedAck = await shareAcknowledge(c, groupId, "m1", 1, sharedId, { 0: [ack(0, 0, ACCEPT)] });
    expect([refusedAck.errorCode, refusedAck.responses]).toEqual([ErrorCode.GROUP_AUTHORIZATION_FAILED, []]);

    // A member may join with DESCRIBE on the topic, but fetching needs READ.
    await grant(allow(Res.GROUP, groupId, Op.READ), allow(Res.TOPIC, "shared", Op.DESCRIBE));
    expect((await heartbeat(c, groupId, "m1", 0, ["shared"])).errorCode).toBe(ErrorCode.NONE);
    const opened = await shareFetch(c, groupId, "m1", 0, sharedId);
    expect(opened.errorCode).toBe(ErrorCode.NONE);
    expect(partitionOf(opened, sharedId)).toMatchObject({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, acquiredRecords: [] });

    // The session stays open: once READ is granted the same session fetches.
    await grant(allow(Res.TOPIC, "shared", Op.READ));
    const fetched = await shareFetch(c, groupId, "m1", 1, sharedId);
    expect(acquired(partitionOf(fetched, sharedId))).toEqual([
      [0, "a", 1],
      [1, "b", 1],
    ]);

    // Without READ again, acknowledgements are refused per partition, in ShareAcknowledge and in ShareFetch.
    await revokeAll(b);
    await grant(allow(Res.GROUP, groupId, Op.READ), allow(Res.TOPIC, "shared", Op.DESCRIBE));
    const ackRefused = await shareAcknowledge(c, groupId, "m1", 2, sharedId, { 0: [ack(0, 0, ACCEPT)] });
    expect(ackRefused.errorCode).toBe(ErrorCode.NONE);
    expect(ackRefused.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const piggyRefused = await shareFetch(c, groupId, "m1", 3, sharedId, { acks: { 0: [ack(0, 0, ACCEPT)] } });
    expect(partitionOf(piggyRefused, sharedId)).toMatchObject({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, acknowledgeErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });

    await grant(allow(Res.TOPIC, "shared", Op.READ));
    const accepted = await shareAcknowledge(c, groupId, "m1", 4, sharedId, { 0: [ack(0, 1, ACCEPT)] });
    expect(accepted.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
  });

  test("ShareGroupDescribe: DESCRIBE on the group; a group with an assigned topic the principal may not describe is withheld", async () => {
    const groupId = "described";
    await grant(allow(Res.GROUP, groupId, Op.READ), allow(Res.TOPIC, "shared", Op.DESCRIBE));
    expect((await heartbeat(c, groupId, "m1", 0, ["shared"])).errorCode).toBe(ErrorCode.NONE);
    const describe = () => c.request(ApiKey.ShareGroupDescribe, 1, { groupIds: [groupId, "other"], includeAuthorizedOperations: false });
    const seen = await describe();
    expect(seen.groups.map((g) => g.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.GROUP_AUTHORIZATION_FAILED]);
    expect(seen.groups[0]!.members[0]!.assignment.topicPartitions.map((tp) => tp.topicName)).toEqual(["shared"]);

    await revokeAll(b);
    await grant(allow(Res.GROUP, groupId, Op.DESCRIBE));
    const withheld = (await describe()).groups[0]!;
    expect([withheld.errorCode, withheld.errorMessage, withheld.members]).toEqual([
      ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      "The group has described topic(s) that the client is not authorized to describe.",
      [],
    ]);
  });
});

describe("admin APIs", () => {
  const groupId = "admin";
  const describeOffsets = (topics: Array<{ topicName: string; partitions: number[] }> | null) =>
    c.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId, topics }] });
  const alter = () =>
    c.request(ApiKey.AlterShareGroupOffsets, 0, {
      groupId,
      topics: [
        { topicName: "shared", partitions: [{ partitionIndex: 0, startOffset: 1n }] },
        { topicName: "hidden", partitions: [{ partitionIndex: 0, startOffset: 0n }] },
      ],
    });

  test("AlterShareGroupOffsets: READ on the group, READ on each topic", async () => {
    const refused = await alter();
    expect([refused.errorCode, refused.errorMessage]).toEqual([ErrorCode.GROUP_AUTHORIZATION_FAILED, "Group authorization failed."]);
    await grant(allow(Res.GROUP, groupId, Op.READ), allow(Res.TOPIC, "shared", Op.READ), allow(Res.TOPIC, "hidden", Op.DESCRIBE));
    const altered = await alter();
    expect(altered.errorCode).toBe(ErrorCode.NONE);
    expect(altered.responses.map((t) => [t.topicName, t.partitions.map((p) => [p.errorCode, p.errorMessage])])).toEqual([
      ["shared", [[ErrorCode.NONE, null]]],
      ["hidden", [[ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Topic authorization failed."]]],
    ]);
  });

  test("DescribeShareGroupOffsets: DESCRIBE on the group; undescribable topics refused when named, left out when not", async () => {
    // State for both topics, made while READ on both was granted.
    await grant(allow(Res.GROUP, groupId, Op.READ), allow(Res.TOPIC, "shared", Op.READ), allow(Res.TOPIC, "hidden", Op.READ));
    expect((await alter()).errorCode).toBe(ErrorCode.NONE);
    await revokeAll(b);

    expect((await describeOffsets(null)).groups[0]!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    await grant(allow(Res.GROUP, groupId, Op.DESCRIBE), allow(Res.TOPIC, "shared", Op.DESCRIBE));
    const all = (await describeOffsets(null)).groups[0]!;
    expect([all.errorCode, all.topics.map((t) => t.topicName)]).toEqual([ErrorCode.NONE, ["shared"]]);
    const named = (await describeOffsets([{ topicName: "hidden", partitions: [0] }, { topicName: "shared", partitions: [0] }])).groups[0]!;
    expect(named.topics.map((t) => [t.topicName, t.partitions.map((p) => [p.errorCode, p.startOffset])])).toEqual([
      ["shared", [[ErrorCode.NONE, 1n]]],
      ["hidden", [[ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1n]]],
    ]);
  });

  test("DeleteShareGroupOffsets: DELETE on the group, READ on each topic (refused topics first)", async () => {
    const remove = () => c.request(ApiKey.DeleteShareGroupOffsets, 0, { groupId, topics: [{ topicName: "shared" }, { topicName: "hidden" }] });
    await grant(allow(Res.GROUP, groupId, Op.READ), allow(Res.TOPIC, "shared", Op.READ), allow(Res.TOPIC, "hidden", Op.READ));
    expect((await remove()).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    await revokeAll(b);
    await grant(allow(Res.GROUP, groupId, Op.DELETE), allow(Res.TOPIC, "shared", Op.READ), allow(Res.TOPIC, "hidden", Op.DESCRIBE));
    const deleted = await remove();
    expect(deleted.errorCode).toBe(ErrorCode.NONE);
    expect(deleted.responses.map((t) => [t.topicName, t.errorCode])).toEqual([
      ["hidden", ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ["shared", ErrorCode.NONE],
    ]);
  });

  test("ListGroups, DescribeGroups and DeleteGroups treat a share group as any group", async () => {
    const list = async () => (await c.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ["share"] })).groups.map((g) => g.groupId);
    expect(await list()).toEqual([]);
    expect((await c.request(ApiKey.DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false })).groups[0]!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    expect((await c.request(ApiKey.DeleteGroups, 2, { groupsNames: [groupId] })).results[0]!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    await grant(allow(Res.GROUP, groupId, Op.DESCRIBE));
    expect(await list()).toEqual([groupId]);
    expect((await c.request(ApiKey.DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false })).groups[0]!.errorCode).toBe(ErrorCode.NONE);
    await grant(allow(Res.GROUP, groupId, Op.DELETE));
    expect((await c.request(ApiKey.DeleteGroups, 2, { groupsNames: [groupId] })).results[0]!.errorCode).toBe(ErrorCode.NONE);
  });
});
