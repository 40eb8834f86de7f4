// What each API checks under --authorizer acl, and the error it answers, on an in-process
// broker whose every client is User:ANONYMOUS (no SASL), with ACLs written to its store.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { AclOperation as Op, operationBits, PatternType, ResourceType as Res } from "../../src/protocol/acl-codes.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import type { AclBinding } from "../../src/security/acl.ts";
import { allow, grant as grantOn, revokeAll, startAclBroker } from "./acl-broker.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";

const ZERO = "00000000-0000-0000-0000-000000000000";
let b: InProcessBroker;
let c: KafkaConnection;

const grant = (...acls: AclBinding[][]) => grantOn(b, ...acls);

beforeAll(async () => {
  b = await startAclBroker();
  c = await b.connect();
  await b.ctx.storage.createTopic({ name: "secret", partitions: 1, configs: {} });
  await b.ctx.storage.createTopic({ name: "open", partitions: 1, configs: {} });
});
afterAll(() => b.stop());
beforeEach(() => revokeAll(b));

describe("topics", () => {
  test("Metadata leaves out undescribable topics, refuses them by name, and reports authorized operations", async () => {
    await grant(allow(Res.TOPIC, "open", Op.READ));
    const all = await c.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
    expect(all.topics.map((t) => [t.name, t.topicAuthorizedOperations])).toEqual([["open", operationBits([Op.READ, Op.DESCRIBE])]]);
    const named = await c.request(ApiKey.Metadata, 12, {
      topics: [{ name: "secret", topicId: ZERO }, { name: "missing", topicId: ZERO }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
    expect(named.topics.map((t) => t.errorCode)).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
    // DESCRIBE without CREATE: the topic is not auto-created either.
    await grant(allow(Res.TOPIC, "missing", Op.DESCRIBE));
    const auto = await c.request(ApiKey.Metadata, 12, { topics: [{ name: "missing", topicId: ZERO }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    expect(auto.topics[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    expect(await b.ctx.storage.getTopic({ name: "missing" })).toBeNull();
    const cluster = await c.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    expect(cluster.clusterAuthorizedOperations).toBe(0);
  });

  test("Produce, Fetch, ListOffsets, DeleteRecords: TOPIC_AUTHORIZATION_FAILED", async () => {
    const produced = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: "secret", partitionData: [{ index: 0, records: new Uint8Array(70) }] }] });
    expect(produced!.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const fetched = await c.request(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "secret", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1000 }] }],
      forgottenTopicsData: [], rackId: "",
    });
    expect(fetched.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const offsets = await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: "secret", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
    expect(offsets.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const deleted = await c.request(ApiKey.DeleteRecords, 2, { topics: [{ name: "secret", partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 1000 });
    expect(deleted.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  });

  test("CreateTopics, CreatePartitions, DeleteTopics, DescribeConfigs and AlterConfigs", async () => {
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "new", numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    // CREATE on the topic is enough; its configs are withheld without DESCRIBE_CONFIGS.
    await grant(allow(Res.TOPIC, "new", Op.CREATE));
    const allowed = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "new", numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    expect(allowed.topics[0]).toMatchObject({ errorCode: ErrorCode.NONE, configs: null, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
    const partitions = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: "secret", count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(partitions.results[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const id = (await b.ctx.storage.getTopic({ name: "secret" }))!.id;
    const deleted = await c.request(ApiKey.DeleteTopics, 6, { topics: [{ name: "secret", topicId: ZERO }, { name: null, topicId: id }], timeoutMs: 1000 });
    expect(deleted.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ["secret", ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      [null, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    const described = await c.request(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: "secret", configurationKeys: null }, { resourceType: 4, resourceName: "", configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(described.results.map((r) => r.errorCode)).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
    const altered = await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: "secret", configs: [{ name: "retention.ms", configOperation: 0, value: "1" }] }], validateOnly: false });
    expect(altered.responses[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  });
});

describe("groups", () => {
  test("FindCoordinator, JoinGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, DeleteGroups", async () => {
    const coordinator = await c.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ["g"] });
    expect(coordinator.coordinators![0]!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const joined = await c.request(ApiKey.JoinGroup, 9, {
      groupId: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: "", groupInstanceId: null, protocolType: "consumer",
      protocols: [{ name: "range", metadata: new Uint8Array(0) }], reason: null,
    });
    expect(joined.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const commit = () =>
      c.request(ApiKey.OffsetCommit, 8, {
        groupId: "g", generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, retentionTimeMs: -1n,
        topics: [{ name: "secret", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
      });
    expect((await commit()).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    await grant(allow(Res.GROUP, "g", Op.READ));
    expect((await commit()).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const fetched = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: "g", topics: [{ name: "secret", partitionIndexes: [0] }] }, { groupId: "h", topics: null }], requireStable: false });
    expect(fetched.groups!.map((g) => [g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))])).toEqual([
      [ErrorCode.NONE, [ErrorCode.TOPIC_AUTHORIZATION_FAILED]],
      [ErrorCode.GROUP_AUTHORIZATION_FAILED, []],
    ]);
    const described = await c.request(ApiKey.DescribeGroups, 5, { groups: ["g", "h"], includeAuthorizedOperations: true });
    expect(described.groups.map((g) => [g.errorCode, g.authorizedOperations])).toEqual([
      [ErrorCode.NONE, operationBits([Op.READ, Op.DESCRIBE])],
      [ErrorCode.GROUP_AUTHORIZATION_FAILED, -2147483648],
    ]);
    expect((await c.request(ApiKey.ListGroups, 4, { statesFilter: [] })).groups.map((g) => g.groupId)).toEqual(["g"]);
    expect((await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ["g"] })).results[0]!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  });

  test("ConsumerGroupHeartbeat: READ on the group, DESCRIBE on every subscribed topic; ConsumerGroupDescribe withholds a group assigned an undescribable topic", async () => {
    const join = () =>
      c.request(ApiKey.ConsumerGroupHeartbeat, 0, {
        groupId: "kip848", memberId: "", memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: ["open", "secret"], serverAssignor: null, topicPartitions: [],
      });
    expect((await join()).errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    await grant(allow(Res.GROUP, "kip848", Op.READ), allow(Res.TOPIC, "open", Op.DESCRIBE));
    expect((await join()).errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    await grant(allow(Res.TOPIC, "secret", Op.DESCRIBE));
    expect((await join()).errorCode).toBe(ErrorCode.NONE);
    await revokeAll(b);
    await grant(allow(Res.GROUP, "kip848", Op.DESCRIBE), allow(Res.TOPIC, "open", Op.DESCRIBE));
    const described = await c.request(ApiKey.ConsumerGroupDescribe, 0, { groupIds: ["kip848"], includeAuthorizedOperations: false });
    expect([described.groups[0]!.errorCode, described.groups[0]!.members]).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, []]);
  });
});

describe("transactions and idempotence", () => {
  const init = (transactionalId: string | null) =>
    c.request(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });

  test("InitProducerId: WRITE on the transactional id; idempotence needs IDEMPOTENT_WRITE or WRITE on some topic", async () => {
    expect((await init("tx")).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect((await init(null)).errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    await grant(allow(Res.TOPIC, "open", Op.WRITE));
    expect((await init(null)).errorCode).toBe(ErrorCode.NONE);
    await grant(allow(Res.TRANSACTIONAL_ID, "tx", Op.WRITE));
    const producer = await init("tx");
    expect(producer.errorCode).toBe(ErrorCode.NONE);
    const { producerId, producerEpoch } = producer;
    const added = await c.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: "tx", v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: "secret", partitions: [0] }, { name: "open", partitions: [0] }] });
    expect(added.resultsByTopicV3AndBelow!.map((t) => t.resultsByPartition[0]!.partitionErrorCode)).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.OPERATION_NOT_ATTEMPTED]);
    const offsets = await c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: "tx", producerId, producerEpoch, groupId: "g" });
    expect(offsets.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const other = await c.request(ApiKey.EndTxn, 3, { transactionalId: "other", producerId, producerEpoch, committed: true });
    expect(other.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // WRITE implies DESCRIBE: "tx" is listed and described, "other" is not.
    await b.ctx.storage.putRecord("txn", "other", {}, null);
    const listed = await c.request(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n });
    expect(listed.transactionStates.map((t) => t.transactionalId)).toEqual(["tx"]);
    const described = await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ["tx", "other"] });
    expect(described.transactionStates.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
  });
});

describe("security APIs", () => {
  test("ACL and SCRAM APIs need ALTER or DESCRIBE on the cluster", async () => {
    const created = await c.request(ApiKey.CreateAcls, 3, { creations: [{ resourceType: Res.TOPIC, resourceName: "t", resourcePatternType: 3, principal: "User:x", host: "*", operation: Op.READ, permissionType: 3 }] });
    expect(created.results[0]!.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const described = await c.request(ApiKey.DescribeAcls, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    expect(described.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const users = await c.request(ApiKey.DescribeUserScramCredentials, 0, { users: null });
    expect(users.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  });

  test("CreateAcls validates like Kafka; DescribeAcls filters with MATCH; DeleteAcls reports what it removed", async () => {
    await grant(allow(Res.CLUSTER, "kafka-cluster", Op.ALTER, Op.DESCRIBE));
    const creation = { resourceType: Res.TOPIC, resourceName: "t", resourcePatternType: PatternType.LITERAL, principal: "User:x", host: "*", operation: Op.READ, permissionType: 3 };
    const created = await c.request(ApiKey.CreateAcls, 3, {
      creations: [
        creation,
        { ...creation, resourceName: "t-", resourcePatternType: PatternType.PREFIXED },
        { ...creation, resourcePatternType: PatternType.MATCH },
        { ...creation, resourceType: Res.CLUSTER, resourceName: "other" },
        { ...creation, principal: "nobody" },
        { ...creation, operation: Op.ANY },
      ],
    });
    expect(created.results.map((r) => r.errorCode)).toEqual([0, 0, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    const matching = await c.request(ApiKey.DescribeAcls, 3, { resourceTypeFilter: Res.TOPIC, resourceNameFilter: "t-1", patternTypeFilter: PatternType.MATCH, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: 1 });
    expect(matching.resources.map((r) => [r.resourceName, r.patternType])).toEqual([["t-", PatternType.PREFIXED]]);
    const deleted = await c.request(ApiKey.DeleteAcls, 3, { filters: [{ resourceTypeFilter: Res.TOPIC, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: "User:x", hostFilter: null, operation: Op.ANY, permissionType: 1 }] });
    expect(deleted.filterResults[0]!.matchingAcls.map((a) => a.resourceName).sort()).toEqual(["t", "t-"]);
  });
});

test("without an authorizer the ACL APIs answer SECURITY_DISABLED", async () => {
  const plain = await startInProcessBroker();
  try {
    const c2 = await plain.connect();
    const described = await c2.request(ApiKey.DescribeAcls, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    expect(described.errorCode).toBe(ErrorCode.SECURITY_DISABLED);
  } finally {
    await plain.stop();
  }
});
