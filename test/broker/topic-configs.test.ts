// Topic configs as Kafka 3.9 accepts and reports them, written from its LogConfig, ConfigDef and ConfigHelper:
// the whole key list with defaults and types, deprecated keys that are no-ops (message.format.version),
// values in Kafka's canonical form, Kafka's validation messages, and DescribeConfigs' source and synonyms.
// librdkafka's AdminClient end to end in test/integration/librdkafka-compat.test.ts.
import { describe, expect, test } from "bun:test";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { connectionForFile } from "./in-process-broker.ts";

const c = connectionForFile();

const LONG_MAX = "9223372036854775807";
const [BOOLEAN, STRING, INT, LONG, DOUBLE, LIST] = [1, 2, 3, 5, 6, 7];
const TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;

// Kafka 3.9's LogConfig: every topic config, its default and type, and the broker config ConfigHelper lists as
// its DEFAULT_CONFIG synonym (null where it lists none).
const KAFKA_3_9: Record<string, [string, number, string | null]> = {
  "cleanup.policy": ["delete", LIST, "log.cleanup.policy"],
  "compression.gzip.level": ["-1", INT, "compression.gzip.level"],
  "compression.lz4.level": ["9", INT, "compression.lz4.level"],
  "compression.type": ["producer", STRING, "compression.type"],
  "compression.zstd.level": ["3", INT, "compression.zstd.level"],
  "delete.retention.ms": ["86400000", LONG, "log.cleaner.delete.retention.ms"],
  "file.delete.delay.ms": ["60000", LONG, "log.segment.delete.delay.ms"],
  "flush.messages": [LONG_MAX, LONG, "log.flush.interval.messages"],
  "flush.ms": [LONG_MAX, LONG, null],
  "follower.replication.throttled.replicas": ["", LIST, null],
  "index.interval.bytes": ["4096", INT, "log.index.interval.bytes"],
  "leader.replication.throttled.replicas": ["", LIST, null],
  "local.retention.bytes": ["-2", LONG, "log.local.retention.bytes"],
  "local.retention.ms": ["-2", LONG, "log.local.retention.ms"],
  "max.compaction.lag.ms": [LONG_MAX, LONG, "log.cleaner.max.compaction.lag.ms"],
  "max.message.bytes": ["1048588", INT, "message.max.bytes"],
  "message.downconversion.enable": ["true", BOOLEAN, "log.message.downconversion.enable"],
  "message.format.version": ["3.0-IV1", STRING, "log.message.format.version"],
  "message.timestamp.after.max.ms": [LONG_MAX, LONG, "log.message.timestamp.after.max.ms"],
  "message.timestamp.before.max.ms": [LONG_MAX, LONG, "log.message.timestamp.before.max.ms"],
  "message.timestamp.difference.max.ms": [LONG_MAX, LONG, "log.message.timestamp.difference.max.ms"],
  "message.timestamp.type": ["CreateTime", STRING, "log.message.timestamp.type"],
  "min.cleanable.dirty.ratio": ["0.5", DOUBLE, "log.cleaner.min.cleanable.ratio"],
  "min.compaction.lag.ms": ["0", LONG, "log.cleaner.min.compaction.lag.ms"],
  "min.insync.replicas": ["1", INT, "min.insync.replicas"],
  preallocate: ["false", BOOLEAN, "log.preallocate"],
  "remote.log.copy.disable": ["false", BOOLEAN, null],
  "remote.log.delete.on.disable": ["false", BOOLEAN, null],
  "remote.storage.enable": ["false", BOOLEAN, null],
  "retention.bytes": ["-1", LONG, "log.retention.bytes"],
  "retention.ms": ["604800000", LONG, null],
  "segment.bytes": ["1073741824", INT, "log.segment.bytes"],
  "segment.index.bytes": ["10485760", INT, "log.index.size.max.bytes"],
  "segment.jitter.ms": ["0", LONG, null],
  "segment.ms": ["604800000", LONG, null],
  "unclean.leader.election.enable": ["false", BOOLEAN, "unclean.leader.election.enable"],
};

const create = (name: string, configs: Record<string, string> = {}) =>
  c()
    .request(ApiKey.CreateTopics, 7, {
      topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
      timeoutMs: 1000,
      validateOnly: false,
    })
    .then((r) => r.topics[0]!);

const describeTopic = async (name: string, keys: string[] | null = null) => {
  const r = await c().request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: name, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false });
  return Object.fromEntries(r.results[0]!.configs.map((x) => [x.name, x]));
};

const incremental = (name: string, configs: Array<{ name: string; configOperation: number; value: string | null }>) =>
  c().request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: name, configs }], validateOnly: false }).then((r) => r.responses[0]!);

const alter = (name: string, configs: Record<string, string>) =>
  c()
    .request(ApiKey.AlterConfigs, 2, {
      resources: [{ resourceType: 2, resourceName: name, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
      validateOnly: false,
    })
    .then((r) => r.responses[0]!);

/** Config names without tansu's own (`tansu.*`, e.g. tansu.schema.wire.format), which Kafka does not have. */
const kafkaNames = (names: string[]) => names.filter((n) => !n.startsWith("tansu.")).sort();

describe("the key list", () => {
  test("DescribeConfigs lists exactly Kafka 3.9's topic configs with their defaults, types and synonyms, plus tansu's own", async () => {
    expect((await create("tc-defaults")).errorCode).toBe(ErrorCode.NONE);
    const described = await describeTopic("tc-defaults");
    expect(kafkaNames(Object.keys(described))).toEqual(Object.keys(KAFKA_3_9).sort());
    for (const [name, [value, configType, synonym]] of Object.entries(KAFKA_3_9)) {
      // is_default exists only in v0 (below); v1+ carry config_source instead.
      const { isDefault: _, ...entry } = described[name]!;
      expect(entry).toEqual({
        name,
        value,
        readOnly: false,
        configSource: DEFAULT_CONFIG,
        isSensitive: false,
        synonyms: synonym === null ? [] : [{ name: synonym, value, source: DEFAULT_CONFIG }],
        configType,
        documentation: null,
      });
    }
  });

  test("CreateTopics reports every config of the new topic, sorted by name, its own as TOPIC_CONFIG", async () => {
    const created = await create("tc-created", { "retention.ms": "1000" });
    const names = created.configs!.map((x) => x.name);
    expect(names).toEqual([...names].sort());
    expect(kafkaNames(names)).toEqual(Object.keys(KAFKA_3_9).sort());
    expect(created.configs!.find((x) => x.name === "retention.ms")).toEqual({ name: "retention.ms", value: "1000", readOnly: false, configSource: TOPIC_CONFIG, isSensitive: false });
  });

  test("DescribeConfigs v0 marks defaults with is_default", async () => {
    await create("tc-v0", { "retention.ms": "1000" });
    const r = await c().request(ApiKey.DescribeConfigs, 0, { resources: [{ resourceType: 2, resourceName: "tc-v0", configurationKeys: ["retention.ms", "segment.ms"] }] });
    expect(r.results[0]!.configs.map((x) => [x.name, x.isDefault])).toEqual([["retention.ms", false], ["segment.ms", true]]);
  });

  test("a config set on the topic comes first among its synonyms, before the broker's default", async () => {
    await create("tc-synonyms", { "cleanup.policy": "compact", "retention.ms": "5000" });
    const described = await describeTopic("tc-synonyms", ["cleanup.policy", "retention.ms"]);
    expect(described["cleanup.policy"]).toMatchObject({
      value: "compact",
      configSource: TOPIC_CONFIG,
      synonyms: [
        { name: "cleanup.policy", value: "compact", source: TOPIC_CONFIG },
        { name: "log.cleanup.policy", value: "delete", source: DEFAULT_CONFIG },
      ],
    });
    expect(described["retention.ms"]).toMatchObject({ configSource: TOPIC_CONFIG, synonyms: [{ name: "retention.ms", value: "5000", source: TOPIC_CONFIG }] });
  });
});

describe("deprecated message.format.version (ignored since Kafka 3.0, still accepted)", () => {
  test("accepted by CreateTopics, AlterConfigs and IncrementalAlterConfigs in every form Kafka reads", async () => {
    expect((await create("tc-mfv", { "message.format.version": "2.8" })).errorCode).toBe(ErrorCode.NONE);
    expect((await describeTopic("tc-mfv"))["message.format.version"]).toMatchObject({ value: "2.8", configSource: TOPIC_CONFIG });
    for (const version of ["0.10.2", "0.10.0-IV1", "0.10.0.1", "3.0-IV1", "3.9", "3.9.0", "3.9-IV0", "4.0-IV1"]) {
      expect(await incremental("tc-mfv", [{ name: "message.format.version", configOperation: 0, value: version }])).toMatchObject({ errorCode: ErrorCode.NONE });
      expect((await describeTopic("tc-mfv", ["message.format.version"]))["message.format.version"]!.value).toBe(version);
    }
    expect(await alter("tc-mfv", { "message.format.version": "3.5-IV2" })).toMatchObject({ errorCode: ErrorCode.NONE });
    expect((await describeTopic("tc-mfv", ["message.format.version"]))["message.format.version"]!.value).toBe("3.5-IV2");
  });

  test("a version Kafka does not know is INVALID_CONFIG with Kafka's message", async () => {
    await create("tc-mfv-bad");
    for (const version of ["banana", "4.0", "3.10", "0.10", "3.0-IV9"]) {
      expect(await incremental("tc-mfv-bad", [{ name: "message.format.version", configOperation: 0, value: version }])).toMatchObject({
        errorCode: ErrorCode.INVALID_CONFIG,
        errorMessage: `Invalid value ${version} for configuration message.format.version: Version ${version} is not a valid version`,
      });
    }
  });
});

describe("values", () => {
  test("stored and reported in Kafka's canonical form", async () => {
    await create("tc-canonical", {
      preallocate: " TRUE ",
      "cleanup.policy": "compact , delete",
      "segment.bytes": "+0001048576",
      "min.cleanable.dirty.ratio": "1",
      "retention.bytes": "-5",
    });
    const described = await describeTopic("tc-canonical");
    expect(described.preallocate!.value).toBe("true");
    expect(described["cleanup.policy"]!.value).toBe("compact,delete");
    expect(described["segment.bytes"]!.value).toBe("1048576");
    expect(described["min.cleanable.dirty.ratio"]!.value).toBe("1.0");
    // retention.bytes has no lower bound in Kafka.
    expect(described["retention.bytes"]!.value).toBe("-5");
  });

  const refused: Array<[Record<string, string>, string]> = [
    [{ "retention.ms": "soon" }, "Invalid value soon for configuration retention.ms: Not a number of type LONG"],
    [{ "retention.ms": "-2" }, "Invalid value -2 for configuration retention.ms: Value must be at least -1"],
    [{ "segment.bytes": "2147483648" }, "Invalid value 2147483648 for configuration segment.bytes: Not a number of type INT"],
    [{ "min.cleanable.dirty.ratio": "2" }, "Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"],
    [{ preallocate: "yes" }, "Invalid value yes for configuration preallocate: Expected value to be either true or false"],
    [{ "cleanup.policy": "compact,forever" }, "Invalid value forever for configuration cleanup.policy: String must be one of: compact, delete"],
    [{ "compression.type": "brotli" }, "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"],
    [{ "compression.gzip.level": "0" }, "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1"],
    [{ "compression.zstd.level": "23" }, "Invalid value 23 for configuration compression.zstd.level: Value must be no more than 22"],
    [
      { "leader.replication.throttled.replicas": "0:111,x" },
      "Invalid value [0:111, x] for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...",
    ],
    [{ "min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5" }, "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"],
    [{ "remote.storage.enable": "true" }, "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage."],
    [{ "no.such.config": "1" }, "Unknown topic config name: no.such.config"],
  ];
  for (const [configs, errorMessage] of refused) {
    test(`refused with INVALID_CONFIG: ${JSON.stringify(configs)}`, async () => {
      expect(await create("tc-refused", configs)).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage });
    });
  }

  test("accepted as Kafka accepts them", async () => {
    const created = await create("tc-accepted", {
      "compression.gzip.level": "-1",
      "compression.zstd.level": "-131072",
      "leader.replication.throttled.replicas": "*",
      "follower.replication.throttled.replicas": "0:111,1:111",
      "remote.log.copy.disable": "true",
      "cleanup.policy": "",
    });
    expect(created.errorCode).toBe(ErrorCode.NONE);
  });

  test("APPEND and SUBTRACT only on list configs, with Kafka's message", async () => {
    await create("tc-append");
    expect(await incremental("tc-append", [{ name: "retention.ms", configOperation: 2, value: "5" }])).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: "Can't APPEND to key retention.ms because its type is not LIST.",
    });
    expect(await incremental("tc-append", [{ name: "leader.replication.throttled.replicas", configOperation: 2, value: "0:111" }])).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(await incremental("tc-append", [{ name: "leader.replication.throttled.replicas", configOperation: 2, value: "1:111" }])).toMatchObject({ errorCode: ErrorCode.NONE });
    expect((await describeTopic("tc-append"))["leader.replication.throttled.replicas"]!.value).toBe("0:111,1:111");
  });

  test("a change that breaks a rule across configs is refused and changes nothing", async () => {
    await create("tc-lag", { "max.compaction.lag.ms": "100" });
    expect(await incremental("tc-lag", [{ name: "min.compaction.lag.ms", configOperation: 0, value: "200" }])).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: "conflict topic config setting min.compaction.lag.ms (200) > max.compaction.lag.ms (100)",
    });
    expect((await describeTopic("tc-lag"))["min.compaction.lag.ms"]!.value).toBe("0");
  });
});
