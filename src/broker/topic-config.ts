// Topic configs as Kafka reports them: every key with its default, its type for
// DescribeConfigs, and validation for the ones tansu honours.

import { DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_COMMIT_RECORDS, invalidPartitioning } from "../lake/topic-settings.ts";

export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;
export const ConfigSource = { DYNAMIC_TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

const LONG_MAX = "9223372036854775807";

interface ConfigDef {
  defaultValue: string;
  type: number;
  /** Returns an error message for an invalid value. */
  validate?: (value: string) => string | null;
}

const long = (min: bigint) => (v: string) => {
  if (!/^-?\d+$/.test(v)) return `must be a long`;
  return BigInt(v) < min ? `must be at least ${min}` : null;
};
const int = (min: number) => (v: string) => {
  if (!/^-?\d+$/.test(v) || Number(v) > 2147483647 || Number(v) < -2147483648) return `must be an int`;
  return Number(v) < min ? `must be at least ${min}` : null;
};
const oneOf = (...values: string[]) => (v: string) =>
  values.includes(v) ? null : `must be one of ${values.join(", ")}`;
const boolean = oneOf("true", "false");
const cleanupPolicy = (v: string) => {
  const parts = v.split(",").map((s) => s.trim());
  return parts.length > 0 && parts.every((p) => p === "delete" || p === "compact")
    ? null
    : "must be a list of delete, compact";
};
const ratio = (v: string) => {
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? null : "must be a double between 0 and 1";
};

export const TOPIC_CONFIGS: Readonly<Record<string, ConfigDef>> = {
  "cleanup.policy": { defaultValue: "delete", type: ConfigType.LIST, validate: cleanupPolicy },
  "compression.type": {
    defaultValue: "producer",
    type: ConfigType.STRING,
    validate: oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
  },
  "delete.retention.ms": { defaultValue: "86400000", type: ConfigType.LONG, validate: long(0n) },
  "file.delete.delay.ms": { defaultValue: "60000", type: ConfigType.LONG, validate: long(0n) },
  "flush.messages": { defaultValue: LONG_MAX, type: ConfigType.LONG, validate: long(1n) },
  "flush.ms": { defaultValue: LONG_MAX, type: ConfigType.LONG, validate: long(0n) },
  "follower.replication.throttled.replicas": { defaultValue: "", type: ConfigType.LIST },
  "index.interval.bytes": { defaultValue: "4096", type: ConfigType.INT, validate: int(0) },
  "leader.replication.throttled.replicas": { defaultValue: "", type: ConfigType.LIST },
  "local.retention.bytes": { defaultValue: "-2", type: ConfigType.LONG, validate: long(-2n) },
  "local.retention.ms": { defaultValue: "-2", type: ConfigType.LONG, validate: long(-2n) },
  "max.compaction.lag.ms": { defaultValue: LONG_MAX, type: ConfigType.LONG, validate: long(1n) },
  "max.message.bytes": { defaultValue: "1048588", type: ConfigType.INT, validate: int(0) },
  "message.downconversion.enable": { defaultValue: "true", type: ConfigType.BOOLEAN, validate: boolean },
  "message.timestamp.after.max.ms": { defaultValue: LONG_MAX, type: ConfigType.LONG, validate: long(0n) },
  "message.timestamp.before.max.ms": { defaultValue: LONG_MAX, type: ConfigType.LONG, validate: long(0n) },
  "message.timestamp.difference.max.ms": { defaultValue: LONG_MAX, type: ConfigType.LONG, validate: long(0n) },
  "message.timestamp.type": {
    defaultValue: "CreateTime",
    type: ConfigType.STRING,
    validate: oneOf("CreateTime", "LogAppendTime"),
  },
  "min.cleanable.dirty.ratio": { defaultValue: "0.5", type: ConfigType.DOUBLE, validate: ratio },
  "min.compaction.lag.ms": { defaultValue: "0", type: ConfigType.LONG, validate: long(0n) },
  "min.insync.replicas": { defaultValue: "1", type: ConfigType.INT, validate: int(1) },
  preallocate: { defaultValue: "false", type: ConfigType.BOOLEAN, validate: boolean },
  "remote.storage.enable": { defaultValue: "false", type: ConfigType.BOOLEAN, validate: boolean },
  "retention.bytes": { defaultValue: "-1", type: ConfigType.LONG, validate: long(-1n) },
  "retention.ms": { defaultValue: "604800000", type: ConfigType.LONG, validate: long(-1n) },
  "segment.bytes": { defaultValue: "1073741824", type: ConfigType.INT, validate: int(14) },
  "segment.index.bytes": { defaultValue: "10485760", type: ConfigType.INT, validate: int(4) },
  "segment.jitter.ms": { defaultValue: "0", type: ConfigType.LONG, validate: long(0n) },
  "segment.ms": { defaultValue: "604800000", type: ConfigType.LONG, validate: long(1n) },
  "unclean.leader.election.enable": { defaultValue: "false", type: ConfigType.BOOLEAN, validate: boolean },
  // Topics as tables (src/lake); an empty format means the broker's --lake-format.
  "tansu.lake.format": { defaultValue: "", type: ConfigType.STRING, validate: oneOf("", "parquet", "iceberg", "delta") },
  "tansu.lake.enable": { defaultValue: "true", type: ConfigType.BOOLEAN, validate: boolean },
  "tansu.lake.sink": { defaultValue: "false", type: ConfigType.BOOLEAN, validate: boolean },
  "tansu.lake.partition": { defaultValue: "", type: ConfigType.STRING, validate: invalidPartitioning },
  "tansu.lake.commit.interval.ms": { defaultValue: String(DEFAULT_COMMIT_INTERVAL_MS), type: ConfigType.LONG, validate: long(1n) },
  "tansu.lake.commit.records": { defaultValue: String(DEFAULT_COMMIT_RECORDS), type: ConfigType.INT, validate: int(1) },
};

export class InvalidConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidConfigError";
  }
}

/** @throws InvalidConfigError for an unknown key or an invalid value. */
export function validateTopicConfig(name: string, value: string | null): void {
  const def = TOPIC_CONFIGS[name];
  if (!def) throw new InvalidConfigError(`Unknown topic config name: ${name}`);
  if (value === null) throw new InvalidConfigError(`Null value not supported for topic config ${name}`);
  const problem = def.validate?.(value);
  if (problem) throw new InvalidConfigError(`Invalid value ${value} for configuration ${name}: ${problem}`);
}

/** The effective value of a config: the topic's own, else Kafka's default. */
export function topicConfig(configs: Record<string, string>, name: keyof typeof TOPIC_CONFIGS & string): string {
  return configs[name] ?? TOPIC_CONFIGS[name]!.defaultValue;
}

/** Whether the topic's cleanup.policy includes `policy` ("delete" for retention, "compact"). */
export function hasCleanupPolicy(configs: Record<string, string>, policy: "delete" | "compact"): boolean {
  return topicConfig(configs, "cleanup.policy").split(",").map((p) => p.trim()).includes(policy);
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
