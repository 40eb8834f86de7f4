// The topic configs that steer a topic's table, and their defaults. Kept free of the lake's
// libraries so the broker can validate these configs without loading them.

import { parsePartitioning, type PartitionTerm } from "./partitioning.ts";

export const LAKE_FORMATS = ["parquet", "iceberg", "delta"] as const;
export type LakeFormat = (typeof LAKE_FORMATS)[number];

/** Rows per commit and the longest a row waits to be committed, when a topic does not say. */
export const DEFAULT_COMMIT_RECORDS = 100_000;
export const DEFAULT_COMMIT_INTERVAL_MS = 10_000;

export const LAKE_TOPIC_CONFIGS = {
  format: "tansu.lake.format",
  enable: "tansu.lake.enable",
  sink: "tansu.lake.sink",
  partition: "tansu.lake.partition",
  commitIntervalMs: "tansu.lake.commit.interval.ms",
  commitRecords: "tansu.lake.commit.records",
} as const;

export interface TopicLakeSettings {
  enabled: boolean;
  /** Records go only to the table (the broker keeps no log for the topic). */
  sink: boolean;
  format: LakeFormat;
  partitioning: PartitionTerm[];
  commitIntervalMs: number;
  commitRecords: number;
}

/** A topic's settings from its configs; `format` is the broker's --lake-format. */
export function topicLakeSettings(configs: Record<string, string>, format: LakeFormat): TopicLakeSettings {
  const value = (name: string) => configs[name];
  const positive = (name: string, fallback: number) => {
    const number = Number(value(name) ?? fallback);
    return Number.isSafeInteger(number) && number > 0 ? number : fallback;
  };
  const topicFormat = value(LAKE_TOPIC_CONFIGS.format);
  return {
    enabled: value(LAKE_TOPIC_CONFIGS.enable) !== "false",
    sink: value(LAKE_TOPIC_CONFIGS.sink) === "true",
    format: topicFormat && (LAKE_FORMATS as readonly string[]).includes(topicFormat) ? (topicFormat as LakeFormat) : format,
    partitioning: parsePartitioning(value(LAKE_TOPIC_CONFIGS.partition) ?? ""),
    commitIntervalMs: positive(LAKE_TOPIC_CONFIGS.commitIntervalMs, DEFAULT_COMMIT_INTERVAL_MS),
    commitRecords: positive(LAKE_TOPIC_CONFIGS.commitRecords, DEFAULT_COMMIT_RECORDS),
  };
}

/** For topic config validation: the problem with a tansu.lake.partition value, or null. */
export function invalidPartitioning(text: string): string | null {
  try {
    parsePartitioning(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
