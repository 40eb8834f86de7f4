// The store going away is a Kafka error per partition, not a crash or a dropped connection.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { AclOperation as Op, operationBits, ResourceType as Res } from "../../src/protocol/acl-codes.ts";
import { allow, grant, revokeAll, startAclBroker } from "./acl-broker.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";
import { batchOf } from "./records.ts";

let b: InProcessBroker;
const dir = mkdtempSync(join(tmpdir(), "tansu-outage-"));

beforeAll(async () => {
  b = await startInProcessBroker({}, `sqlite://${join(dir, "outage.db")}`);
});
afterAll(async () => {
  await b.broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("produce and metadata answer KAFKA_STORAGE_ERROR while the store is unavailable; the connection stays usable", async () => {
  const c = await b.connect();
  const produce = () =>
    c.request(ApiKey.Produce, 9, {
      transactionalId: null, acks: -1, timeoutMs: 1000,
      topicData: [{ name: "outage", partitionData: [{ index: 0, records: batchOf([{ value: "x" }]) }] }],
    });
  const created = await c.request(ApiKey.CreateTopics, 7, {
    topics: [{ name: "outage", numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false,
  });
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  expect((await produce()).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);

  await b.ctx.storage.close();
  expect((await produce()).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  const metadata = await c.request(ApiKey.Metadata, 12, { topics: [{ name: "outage", topicId: "00000000-0000-0000-0000-000000000000" }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  expect(metadata.topics[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  // The same connection still answers what needs no store.
  expect((await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" })).errorCode).toBe(ErrorCode.NONE);
  c.close();
});

test("a topic described before the store went away is described again leaderless, so clients wait instead of failing", async () => {
  const broker = await startInProcessBroker({}, "memory://");
  const c = await broker.connect();
  const metadata = (topics: Array<{ name: string }> | null) =>
    c.request(ApiKey.Metadata, 12, {
      topics: topics?.map((t) => ({ ...t, topicId: "00000000-0000-0000-0000-000000000000" })) ?? null,
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
  try {
    const before = await metadata([{ name: "described" }]);
    expect(before.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE]);
    await broker.ctx.storage.close();
    for (const response of [await metadata([{ name: "described" }]), await metadata(null)]) {
      expect(response.topics.map((t) => [t.name, t.errorCode])).toEqual([["described", ErrorCode.NONE]]);
      expect(response.topics[0]!.partitions).toEqual([
        { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partitionIndex: 0, leaderId: -1, leaderEpoch: -1, replicaNodes: [], isrNodes: [], offlineReplicas: [] },
      ]);
    }
    // A topic never described has nothing to fall back on.
    expect((await metadata([{ name: "never-seen" }])).topics[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  } finally {
    c.close();
    await broker.broker.stop();
  }
});

test("the leaderless answer during an outage follows the ACLs as the normal answer does", async () => {
  const broker = await startAclBroker();
  const c = await broker.connect();
  const metadata = (topics: Array<{ name: string | null; topicId?: string }> | null) =>
    c.request(ApiKey.Metadata, 12, {
      topics: topics?.map((t) => ({ topicId: "00000000-0000-0000-0000-000000000000", ...t })) ?? null,
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: true,
    });
  try {
    const secret = await broker.ctx.storage.createTopic({ name: "secret", partitions: 1, configs: {} });
    const open = await broker.ctx.storage.createTopic({ name: "open", partitions: 1, configs: {} });
    await grant(broker, allow(Res.TOPIC, "open", Op.READ), allow(Res.TOPIC, "secret", Op.DESCRIBE));
    expect((await metadata(null)).topics.map((t) => t.name).sort()).toEqual(["open", "secret"]);
    // The principal loses DESCRIBE on "secret"; the broker reads the ACLs once more before the store goes.
    await revokeAll(broker);
    await grant(broker, allow(Res.TOPIC, "open", Op.READ));
    expect((await metadata(null)).topics.map((t) => t.name)).toEqual(["open"]);
    await broker.ctx.storage.close();

    const all = await metadata(null);
    expect(all.topics.map((t) => [t.name, t.topicAuthorizedOperations, t.partitions[0]?.errorCode])).toEqual([
      ["open", operationBits([Op.READ, Op.DESCRIBE]), ErrorCode.LEADER_NOT_AVAILABLE],
    ]);
    const named = await metadata([{ name: "secret" }, { name: null, topicId: secret.id }, { name: "open" }, { name: null, topicId: open.id }]);
    expect(named.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
      ["secret", ErrorCode.TOPIC_AUTHORIZATION_FAILED, 0],
      [null, ErrorCode.KAFKA_STORAGE_ERROR, 0],
      ["open", ErrorCode.NONE, 1],
      ["open", ErrorCode.NONE, 1],
    ]);
  } finally {
    c.close();
    await broker.broker.stop();
  }
});
