import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import type { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";

let b: InProcessBroker;
let c: KafkaConnection;
const ZERO = "00000000-0000-0000-0000-000000000000";

beforeAll(async () => {
  b = await startInProcessBroker({ defaultPartitions: 3 });
  c = await b.connect();
});
afterAll(() => b.stop());

const create = (name: string, numPartitions = 1, configs: Array<{ name: string; value: string | null }> = [], validateOnly = false) =>
  c.request(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs }], timeoutMs: 1000, validateOnly });

const metadata = (names: string[] | null, allowAutoTopicCreation = false, version = 12) =>
  c.request(ApiKey.Metadata, version, {
    topics: names === null ? null : names.map((name) => ({ name, topicId: ZERO })),
    allowAutoTopicCreation,
    includeTopicAuthorizedOperations: false,
  });

const describeConfigs = (name: string, keys: string[] | null = null) =>
  c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: name, configurationKeys: keys }], includeSynonyms: false, includeDocumentation: false });

describe("topics", () => {
  test("create, exists, validate-only, invalid names, -1 partitions", async () => {
    expect((await create("adm-a", 2)).topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const again = (await create("adm-a", 2)).topics[0]!;
    expect(again.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    expect((await create("adm-validate", 1, [], true)).topics[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await metadata(["adm-validate"])).topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await create("bad/name")).topics[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect((await create("adm-zero", 0)).topics[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    const dflt = (await create("adm-default", -1)).topics[0]!;
    expect(dflt.numPartitions).toBe(3);
    expect((await create("adm-badcfg", 1, [{ name: "retention.ms", value: "soon" }])).topics[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect((await create("adm-unknowncfg", 1, [{ name: "no.such.config", value: "1" }])).topics[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
  });

  test("metadata auto-creates only when allowed, rejects invalid names, lists all", async () => {
    expect((await metadata(["adm-auto-no"], false)).topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const auto = (await metadata(["adm-auto-yes"], true)).topics[0]!;
    expect(auto.errorCode).toBe(ErrorCode.NONE);
    expect(auto.partitions.length).toBe(3);
    expect((await metadata(["bad name"], true)).topics[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const all = await metadata(null);
    expect(all.topics.map((t) => t.name)).toContain("adm-auto-yes");
    expect(all.brokers).toEqual([{ nodeId: 111, host: "127.0.0.1", port: b.broker.port, rack: null }]);
    // v0: an empty list means every topic.
    expect((await metadata([], false, 0)).topics.length).toBeGreaterThan(0);
  });

  test("delete by name and by id; unknown ones", async () => {
    const id = (await create("adm-del-id")).topics[0]!.topicId;
    await create("adm-del-name");
    const r = await c.request(ApiKey.DeleteTopics, 6, {
      topics: [
        { name: null, topicId: id! },
        { name: "adm-del-name", topicId: ZERO },
        { name: "adm-del-missing", topicId: ZERO },
        { name: null, topicId: "11111111-2222-3333-4444-555555555555" },
      ],
      timeoutMs: 1000,
    });
    expect(r.responses.map((x) => x.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_ID]);
    expect(r.responses[0]!.name).toBe("adm-del-id");
    const old = await c.request(ApiKey.DeleteTopics, 3, { topicNames: ["adm-a"], timeoutMs: 1000 });
    expect(old.responses[0]!.errorCode).toBe(ErrorCode.NONE);
  });

  test("create partitions grows, never shrinks", async () => {
    await create("adm-grow", 1);
    const grow = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: "adm-grow", count: 4, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(grow.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await metadata(["adm-grow"])).topics[0]!.partitions.length).toBe(4);
    const shrink = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: "adm-grow", count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(shrink.results[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  });
});

describe("configs", () => {
  test("describe reports every topic config with Kafka's defaults", async () => {
    await create("cfg-a", 1, [{ name: "retention.ms", value: "1000" }]);
    const r = (await describeConfigs("cfg-a")).results[0]!;
    const byName = Object.fromEntries(r.configs.map((x) => [x.name, x]));
    expect(byName["retention.ms"]!.value).toBe("1000");
    expect(byName["retention.ms"]!.configSource).toBe(1);
    expect(byName["cleanup.policy"]!.value).toBe("delete");
    expect(byName["cleanup.policy"]!.configSource).toBe(5);
    expect(byName["max.message.bytes"]!.value).toBe("1048588");
    expect(byName["message.timestamp.type"]!.value).toBe("CreateTime");
    expect((await describeConfigs("cfg-missing")).results[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test("incremental alter: SET, DELETE, APPEND, SUBTRACT", async () => {
    await create("cfg-inc");
    const alter = (configs: Array<{ name: string; configOperation: number; value: string | null }>) =>
      c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: "cfg-inc", configs }], validateOnly: false });
    expect((await alter([{ name: "retention.bytes", configOperation: 0, value: "1024" }])).responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await alter([{ name: "cleanup.policy", configOperation: 2, value: "compact" }])).responses[0]!.errorCode).toBe(ErrorCode.NONE);
    let values = Object.fromEntries((await describeConfigs("cfg-inc")).results[0]!.configs.map((x) => [x.name, x.value]));
    expect(values["retention.bytes"]).toBe("1024");
    expect(values["cleanup.policy"]).toBe("delete,compact");
    await alter([{ name: "cleanup.policy", configOperation: 3, value: "delete" }, { name: "retention.bytes", configOperation: 1, value: null }]);
    values = Object.fromEntries((await describeConfigs("cfg-inc")).results[0]!.configs.map((x) => [x.name, x.value]));
    expect(values["cleanup.policy"]).toBe("compact");
    expect(values["retention.bytes"]).toBe("-1");
    expect((await alter([{ name: "retention.ms", configOperation: 2, value: "5" }])).responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
  });

  test("legacy alter replaces the whole set", async () => {
    await create("cfg-legacy", 1, [{ name: "retention.ms", value: "1000" }]);
    const r = await c.request(ApiKey.AlterConfigs, 2, {
      resources: [{ resourceType: 2, resourceName: "cfg-legacy", configs: [{ name: "max.message.bytes", value: "5000" }] }],
      validateOnly: false,
    });
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    const values = Object.fromEntries((await describeConfigs("cfg-legacy")).results[0]!.configs.map((x) => [x.name, x.value]));
    expect(values["max.message.bytes"]).toBe("5000");
    expect(values["retention.ms"]).toBe("604800000");
  });
});

describe("cluster", () => {
  test("api versions lists what the dispatcher serves", async () => {
    const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "test", clientSoftwareVersion: "1.0" });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    const produce = r.apiKeys.find((k) => k.apiKey === ApiKey.Produce)!;
    expect([produce.minVersion, produce.maxVersion]).toEqual([0, 11]);
  });

  test("describe cluster names this broker", async () => {
    const r = await c.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expect(r.clusterId).toBe("test-cluster");
    expect(r.brokers[0]!.port).toBe(b.broker.port);
  });

  test("describe topic partitions paginates with a cursor", async () => {
    await create("dtp-a", 3);
    await create("dtp-b", 2);
    const first = await c.request(ApiKey.DescribeTopicPartitions, 0, { topics: [{ name: "dtp-a" }, { name: "dtp-b" }], responsePartitionLimit: 4, cursor: null });
    expect(first.topics.map((t) => [t.name, t.partitions.length])).toEqual([["dtp-a", 3], ["dtp-b", 1]]);
    expect(first.nextCursor).toEqual({ topicName: "dtp-b", partitionIndex: 1 });
    const second = await c.request(ApiKey.DescribeTopicPartitions, 0, { topics: [{ name: "dtp-a" }, { name: "dtp-b" }], responsePartitionLimit: 4, cursor: first.nextCursor });
    expect(second.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([["dtp-b", [1]]]);
    expect(second.nextCursor).toBeNull();
  });
});
