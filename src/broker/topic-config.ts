// Topic configs as Kafka 3.9 accepts and reports them (LogConfig): every key with its type, default,
// validator and the broker config Kafka reports as its synonym. tansu honours retention.ms,
// retention.bytes, cleanup.policy, max.message.bytes and message.timestamp.type; the rest are accepted
// and reported as Kafka does, several of them (message.format.version, the segment and flush settings)
// no-ops there too.

import {
  ConfigType,
  formatConfigValue,
  InvalidConfigError,
  invalidValue,
  listOf,
  oneOf,
  parseConfigValue,
  range,
  type Validator,
  type ValueType,
} from "./config-def.ts";
import { DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_COMMIT_RECORDS, invalidPartitioning } from "../lake/topic-settings.ts";

export { ConfigType, InvalidConfigError } from "./config-def.ts";

/** DescribeConfigs config_source: TOPIC_CONFIG is 1 on the wire. */
export const ConfigSource = { DYNAMIC_TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

interface TopicConfigDef {
  type: ValueType;
  defaultValue: string;
  validate?: Validator;
  /**
   * The broker config Kafka lists as this key's synonym (with its default, as DEFAULT_CONFIG) in DescribeConfigs.
   * Absent where Kafka lists none: keys without a broker equivalent, and segment.ms, segment.jitter.ms, flush.ms
   * and retention.ms, whose broker equivalents have no default of their own (log.retention.ms falls back to
   * log.retention.hours), so Kafka drops them from the list.
   */
  synonym?: string;
}

const LONG_MAX = "9223372036854775807";
const { BOOLEAN, STRING, INT, LONG, DOUBLE, LIST } = ConfigType;

// message.format.version (MetadataVersionValidator): a release with the number of its inter-broker protocol
// versions ("3.0" has 3.0-IV0 and 3.0-IV1; 0 for releases named without one). 4.0 was not yet production in 3.9.
const RELEASES: Record<string, number> = {
  "0.8.0": 0, "0.8.1": 0, "0.8.2": 0, "0.9.0": 0, "0.10.0": 2, "0.10.1": 3, "0.10.2": 1, "0.11.0": 3, "1.0": 1, "1.1": 1,
  "2.0": 2, "2.1": 3, "2.2": 2, "2.3": 2, "2.4": 2, "2.5": 1, "2.6": 1, "2.7": 3, "2.8": 2, "3.0": 2, "3.1": 1, "3.2": 1,
  "3.3": 4, "3.4": 1, "3.5": 3, "3.6": 3, "3.7": 5, "3.8": 1, "3.9": 1, "4.0": 2,
};
const METADATA_VERSIONS = new Set(
  Object.entries(RELEASES).flatMap(([release, ivs]) => [
    ...(release === "4.0" ? [] : [release]),
    ...Array.from({ length: ivs }, (_, iv) => `${release}-IV${iv}`),
  ]),
);

/** MetadataVersion.fromVersionString: "3.9.0" and "3.9" name 3.9; "0.10.0.1" names 0.10.0. */
const metadataVersion: Validator = (name, value) => {
  const version = value as string;
  const segments = version.split(".");
  const kept = version.startsWith("0.") ? 3 : 2;
  const key = kept >= segments.length ? version : segments.slice(0, kept).join(".");
  if (!METADATA_VERSIONS.has(key)) throw invalidValue(name, version, `Version ${version} is not a valid version`);
};

/** ThrottledReplicaListValidator: "*" or partition:broker pairs. */
const throttledReplicas: Validator = (name, value) => {
  const items = (value as string[]).map((s) => s.trim());
  if (items.every((s) => /^(\d+:\d+)?$/.test(s)) || items.join("") === "*") return;
  throw invalidValue(
    name,
    `[${items.join(", ")}]`,
    `${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`,
  );
};

/** CompressionType.GZIP.levelValidator: 1 to 9, or -1 (Deflater's default). */
const gzipLevel: Validator = (name, value, formatted) => {
  const level = value as number;
  if (level > 9 || (level < 1 && level !== -1)) throw invalidValue(name, formatted, "Value must be between 1 and 9 or equal to -1");
};

/** tansu.lake.partition: the table partitioning the lake understands (src/lake/topic-settings.ts). */
const lakePartitioning: Validator = (name, value, formatted) => {
  const problem = invalidPartitioning(value as string);
  if (problem) throw invalidValue(name, formatted, problem);
};

export const TOPIC_CONFIGS: Readonly<Record<string, TopicConfigDef>> = {
  "cleanup.policy": { type: LIST, defaultValue: "delete", validate: listOf("compact", "delete"), synonym: "log.cleanup.policy" },
  "compression.gzip.level": { type: INT, defaultValue: "-1", validate: gzipLevel, synonym: "compression.gzip.level" },
  "compression.lz4.level": { type: INT, defaultValue: "9", validate: range(1, 17), synonym: "compression.lz4.level" },
  "compression.type": {
    type: STRING,
    defaultValue: "producer",
    validate: oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
    synonym: "compression.type",
  },
  "compression.zstd.level": { type: INT, defaultValue: "3", validate: range(-131072, 22), synonym: "compression.zstd.level" },
  "delete.retention.ms": { type: LONG, defaultValue: "86400000", validate: range(0), synonym: "log.cleaner.delete.retention.ms" },
  "file.delete.delay.ms": { type: LONG, defaultValue: "60000", validate: range(0), synonym: "log.segment.delete.delay.ms" },
  "flush.messages": { type: LONG, defaultValue: LONG_MAX, validate: range(1), synonym: "log.flush.interval.messages" },
  "flush.ms": { type: LONG, defaultValue: LONG_MAX, validate: range(0) },
  "follower.replication.throttled.replicas": { type: LIST, defaultValue: "", validate: throttledReplicas },
  "index.interval.bytes": { type: INT, defaultValue: "4096", validate: range(0), synonym: "log.index.interval.bytes" },
  "leader.replication.throttled.replicas": { type: LIST, defaultValue: "", validate: throttledReplicas },
  "local.retention.bytes": { type: LONG, defaultValue: "-2", validate: range(-2), synonym: "log.local.retention.bytes" },
  "local.retention.ms": { type: LONG, defaultValue: "-2", validate: range(-2), synonym: "log.local.retention.ms" },
  "max.compaction.lag.ms": { type: LONG, defaultValue: LONG_MAX, validate: range(1), synonym: "log.cleaner.max.compaction.lag.ms" },
  "max.message.bytes": { type: INT, defaultValue: "1048588", validate: range(0), synonym: "message.max.bytes" },
  "message.downconversion.enable": { type: BOOLEAN, defaultValue: "true", synonym: "log.message.downconversion.enable" },
  // Deprecated since 3.0 and ignored by Kafka 3.x, but still accepted and reported.
  "message.format.version": { type: STRING, defaultValue: "3.0-IV1", validate: metadataVersion, synonym: "log.message.format.version" },
  "message.timestamp.after.max.ms": { type: LONG, defaultValue: LONG_MAX, validate: range(0), synonym: "log.message.timestamp.after.max.ms" },
  "message.timestamp.before.max.ms": { type: LONG, defaultValue: LONG_MAX, validate: range(0), synonym: "log.message.timestamp.before.max.ms" },
  // Deprecated in 3.6 for the before/after pair; still accepted.
  "message.timestamp.difference.max.ms": {
    type: LONG,
    defaultValue: LONG_MAX,
    validate: range(0),
    synonym: "log.message.timestamp.difference.max.ms",
  },
  "message.timestamp.type": {
    type: STRING,
    defaultValue: "CreateTime",
    validate: oneOf("CreateTime", "LogAppendTime"),
    synonym: "log.message.timestamp.type",
  },
  "min.cleanable.dirty.ratio": { type: DOUBLE, defaultValue: "0.5", validate: range(0, 1), synonym: "log.cleaner.min.cleanable.ratio" },
  "min.compaction.lag.ms": { type: LONG, defaultValue: "0", validate: range(0), synonym: "log.cleaner.min.compaction.lag.ms" },
  "min.insync.replicas": { type: INT, defaultValue: "1", validate: range(1), synonym: "min.insync.replicas" },
  preallocate: { type: BOOLEAN, defaultValue: "false", synonym: "log.preallocate" },
  "remote.log.copy.disable": { type: BOOLEAN, defaultValue: "false" },
  "remote.log.delete.on.disable": { type: BOOLEAN, defaultValue: "false" },
  "remote.storage.enable": { type: BOOLEAN, defaultValue: "false" },
  "retention.bytes": { type: LONG, defaultValue: "-1", synonym: "log.retention.bytes" },
  "retention.ms": { type: LONG, defaultValue: "604800000", validate: range(-1) },
  "segment.bytes": { type: INT, defaultValue: "1073741824", validate: range(14), synonym: "log.segment.bytes" },
  "segment.index.bytes": { type: INT, defaultValue: "10485760", validate: range(4), synonym: "log.index.size.max.bytes" },
  "segment.jitter.ms": { type: LONG, defaultValue: "0", validate: range(0) },
  "segment.ms": { type: LONG, defaultValue: "604800000", validate: range(1) },
  "unclean.leader.election.enable": { type: BOOLEAN, defaultValue: "false", synonym: "unclean.leader.election.enable" },
  // tansu's own: how keys and values of a topic with a schema are framed (auto: plain for --schema-registry
  // files, Confluent's wire format for registered subjects).
  "tansu.schema.wire.format": { type: STRING, defaultValue: "auto", validate: oneOf("auto", "plain", "confluent") },
  // Topics as tables (src/lake); an empty format means the broker's --lake-format.
  "tansu.lake.format": { type: STRING, defaultValue: "", validate: oneOf("", "parquet", "iceberg", "delta") },
  "tansu.lake.enable": { type: BOOLEAN, defaultValue: "true" },
  "tansu.lake.sink": { type: BOOLEAN, defaultValue: "false" },
  "tansu.lake.partition": { type: STRING, defaultValue: "", validate: lakePartitioning },
  "tansu.lake.commit.interval.ms": { type: LONG, defaultValue: String(DEFAULT_COMMIT_INTERVAL_MS), validate: range(1) },
  "tansu.lake.commit.records": { type: INT, defaultValue: String(DEFAULT_COMMIT_RECORDS), validate: range(1) },
};

/**
 * Parses and validates one topic config as Kafka does and returns the value in Kafka's canonical form
 * (trimmed, "TRUE" as "true", "compact, delete" as "compact,delete").
 * @throws InvalidConfigError for an unknown key or an invalid value
 */
export function validateTopicConfig(name: string, value: string | null): string {
  const def = TOPIC_CONFIGS[name];
  if (!def) throw new InvalidConfigError(`Unknown topic config name: ${name}`);
  if (value === null) throw new InvalidConfigError(`Null value not supported for topic configs: ${name}`);
  const parsed = parseConfigValue(name, def.type, value);
  const formatted = formatConfigValue(def.type, parsed);
  def.validate?.(name, parsed, formatted);
  return formatted;
}

/**
 * The checks Kafka makes across a topic's whole config set (LogConfig.validate), on the explicit configs
 * after a change. This broker has no tiered storage, like a Kafka whose remote.log.storage.system.enable is false.
 * @throws InvalidConfigError
 */
export function validateTopicConfigSet(configs: Record<string, string>): void {
  const minLag = BigInt(topicConfig(configs, "min.compaction.lag.ms"));
  const maxLag = BigInt(topicConfig(configs, "max.compaction.lag.ms"));
  if (minLag > maxLag) {
    throw new InvalidConfigError(`conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`);
  }
  if (topicConfig(configs, "remote.storage.enable") === "true") {
    throw new InvalidConfigError("Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.");
  }
}

/** The effective value of a config: the topic's own, else Kafka's default. */
export function topicConfig(configs: Record<string, string>, name: keyof typeof TOPIC_CONFIGS & string): string {
  return configs[name] ?? TOPIC_CONFIGS[name]!.defaultValue;
}

/** Whether the topic's cleanup.policy includes `policy` ("delete" for retention, "compact"). */
export function hasCleanupPolicy(configs: Record<string, string>, policy: "delete" | "compact"): boolean {
  return topicConfig(configs, "cleanup.policy").split(",").map((p) => p.trim()).includes(policy);
}

/** Whether the topic's records go only to its lake table (tansu.lake.sink=true). */
export function isLakeSink(configs: Record<string, string>): boolean {
  return topicConfig(configs, "tansu.lake.sink") === "true";
}

export function isListConfig(name: string): boolean {
  return TOPIC_CONFIGS[name]?.type === ConfigType.LIST;
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic name rules; returns the problem, or null for a valid name. */
export function invalidTopicName(name: string | null | undefined): string | null {
  if (!name) return "Topic name is empty";
  if (name === "." || name === "..") return `Topic name cannot be "." or ".."`;
  if (name.length > 249) return "Topic name is longer than 249 characters";
  if (!LEGAL_TOPIC.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}
