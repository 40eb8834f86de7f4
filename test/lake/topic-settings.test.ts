// The tansu.lake.* topic configs: accepted and checked like Kafka's own topic configs, and what
// they make of a topic's table.

import { describe, expect, test } from "bun:test";
import { InvalidConfigError, TOPIC_CONFIGS, validateTopicConfig } from "../../src/broker/topic-config.ts";
import { topicLakeSettings } from "../../src/lake/topic-settings.ts";

describe("tansu.lake.* topic configs", () => {
  test("valid values are accepted, bad ones refused with the reason", () => {
    for (const [name, value] of [
      ["tansu.lake.format", "delta"],
      ["tansu.lake.enable", "false"],
      ["tansu.lake.sink", "true"],
      ["tansu.lake.partition", "day(timestamp), partition"],
      ["tansu.lake.commit.interval.ms", "500"],
      ["tansu.lake.commit.records", "1000"],
    ]) {
      expect(() => validateTopicConfig(name!, value!)).not.toThrow();
    }
    expect(() => validateTopicConfig("tansu.lake.format", "orc")).toThrow("Invalid value orc for configuration tansu.lake.format: String must be one of: , parquet, iceberg, delta");
    expect(() => validateTopicConfig("tansu.lake.partition", "bucket[4](id)")).toThrow(InvalidConfigError);
    expect(() => validateTopicConfig("tansu.lake.commit.records", "0")).toThrow("must be at least 1");
    expect(TOPIC_CONFIGS["tansu.lake.commit.records"]!.defaultValue).toBe("100000");
  });

  test("a topic's settings: its own where set, else the broker's format and the defaults", () => {
    expect(topicLakeSettings({}, "iceberg")).toEqual({
      enabled: true,
      sink: false,
      format: "iceberg",
      partitioning: [],
      commitIntervalMs: 10_000,
      commitRecords: 100_000,
    });
    expect(
      topicLakeSettings(
        {
          "tansu.lake.format": "delta",
          "tansu.lake.enable": "false",
          "tansu.lake.sink": "true",
          "tansu.lake.partition": "hour(timestamp)",
          "tansu.lake.commit.interval.ms": "250",
          "tansu.lake.commit.records": "50",
        },
        "iceberg",
      ),
    ).toEqual({ enabled: false, sink: true, format: "delta", partitioning: [{ transform: "hour", source: "timestamp" }], commitIntervalMs: 250, commitRecords: 50 });
  });
});
