// What librdkafka applications do first, against the compiled broker on every engine, with Debian's
// librdkafka 2.0 and the current build (2.15): list every topic (2.15's all-topics Metadata carries bytes
// past its fields), produce to a compacted topic with keyless records (Kafka names each offending record),
// create topics and partitions with a manual replica assignment, and set deprecated topic configs.
// Exact codes and messages at the protocol level: test/broker/{connection,produce-fetch,replica-assignment,
// topic-configs}.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { LIBRDKAFKAS, type Librdkafka } from "../harness/librdkafka.ts";
import { python } from "../harness/python.ts";
import { startS3, type RunningS3 } from "../harness/s3.ts";
import { s3Env } from "../storage/s3-fixtures.ts";

const NODE_ID = 111;
let s3: RunningS3;
const brokers: Record<string, RunningBroker> = {};

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket("compat");
  brokers["memory://"] = await startBroker({ storage: "memory://" });
  brokers["sqlite://"] = await startBroker();
  brokers["s3://"] = await startBroker({ storage: "s3://compat/tansu/", env: s3Env(s3) });
}, 120_000);
afterAll(async () => {
  for (const broker of Object.values(brokers)) await broker.stop();
  await s3?.stop();
});

const PRELUDE = String.raw`
import sys, json
from confluent_kafka import Producer, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource
bootstrap, topic = sys.argv[1], sys.argv[2]
admin = AdminClient({"bootstrap.servers": bootstrap})
def error_of(future):
    try:
        future.result(20)
        return None
    except KafkaException as e:
        return e.args[0].name()
`;

// list_topics() with no topic is an all-topics Metadata request; librdkafka also sends one while it waits
// for a new topic to appear.
const LIST_TOPICS = String.raw`
admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(20)
listed = [admin.list_topics(timeout=10) for _ in range(3)]
print(json.dumps({"brokers": sorted(listed[-1].brokers), "partitions": len(listed[-1].topics[topic].partitions)}))
`;

// 100 records, every tenth without a key, to a compacted topic: first in one batch, then one batch each.
const KEYLESS = String.raw`
admin.create_topics([NewTopic(topic, 1, 1, config={"cleanup.policy": "compact"})])[topic].result(20)
def produce(settings):
    results = {}
    def report(err, msg):
        results[int(msg.value())] = "ok" if err is None else err.name()
    p = Producer({"bootstrap.servers": bootstrap, **settings})
    p.list_topics(topic, timeout=10)  # the partition's leader is known before the first record is queued
    for i in range(100):
        p.produce(topic, value=str(i).encode(), key=None if i % 10 == 0 else b"k%d" % i, partition=0, on_delivery=report)
    assert p.flush(30) == 0
    return [results[i] for i in range(100)]
print(json.dumps({"one_batch": produce({"linger.ms": 2000, "batch.num.messages": 1000}),
                  "batch_each": produce({"linger.ms": 0, "batch.num.messages": 1})}))
`;

const ASSIGNMENT = String.raw`
node = int(sys.argv[3])
out = {}
out["create"] = error_of(admin.create_topics([NewTopic(topic, 2, replica_assignment=[[node], [node]])])[topic])
out["unknown_node"] = error_of(admin.create_topics([NewTopic(topic + "-x", 2, replica_assignment=[[node], [node + 1]])])[topic + "-x"])
out["twice"] = error_of(admin.create_topics([NewTopic(topic + "-y", 1, replica_assignment=[[node, node]])])[topic + "-y"])
out["grow"] = error_of(list(admin.create_partitions([NewPartitions(topic, 3, replica_assignment=[[node]])]).values())[0])
out["grow_unknown"] = error_of(list(admin.create_partitions([NewPartitions(topic, 4, replica_assignment=[[node + 5]])]).values())[0])
listed = admin.list_topics(timeout=10).topics
out["partitions"] = {t: sorted(p.replicas for p in listed[t].partitions.values()) for t in listed if t.startswith(topic)}
print(json.dumps(out))
`;

// Kafka 3.x clients still set message.format.version; AlterConfigs replaces a topic's whole set.
const DEPRECATED_CONFIGS = String.raw`
admin.create_topics([NewTopic(topic, 1, 1, config={"message.format.version": "2.8"})])[topic].result(20)
resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
def described(names):
    entries = list(admin.describe_configs([resource]).values())[0].result(20)
    return {n: {"value": entries[n].value, "source": entries[n].source, "read_only": entries[n].is_read_only,
                "synonyms": [[s.name, s.value, s.source] for s in entries[n].synonyms.values()]} for n in names}
out = {"created": described(["message.format.version", "retention.ms", "cleanup.policy"])}
out["altered"] = error_of(list(admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={
    "message.format.version": "3.0-IV1", "message.timestamp.difference.max.ms": "60000", "cleanup.policy": "compact"})]).values())[0])
out["after"] = described(["message.format.version", "message.timestamp.difference.max.ms", "cleanup.policy"])
out["bad_version"] = error_of(list(admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={
    "message.format.version": "9.9"})]).values())[0])
print(json.dumps(out))
`;

const TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;

async function run(lib: Librdkafka, broker: RunningBroker, script: string, args: string[]): Promise<any> {
  const result = await python(PRELUDE + script, [broker.url, ...args], { env: lib.env, timeoutMs: 60_000 });
  expect(result, `${lib.name}: ${result.stderr}`).toMatchObject({ exitCode: 0, timedOut: false });
  return JSON.parse(result.stdout);
}

const ENGINES = ["memory://", "sqlite://", "s3://"] as const;
for (const engine of ENGINES) {
  for (const lib of LIBRDKAFKAS) {
    describe(`${engine} with ${lib.name}`, () => {
      const topic = `compat-${engine.replace("://", "")}-${lib.version.replaceAll(".", "-")}`;

      test("listing every topic keeps the connection (2.15's all-topics Metadata has bytes past its fields)", async () => {
        expect(await run(lib, brokers[engine]!, LIST_TOPICS, [`${topic}-list`])).toEqual({ brokers: [NODE_ID], partitions: 2 });
        expect(brokers[engine]!.logs()).not.toContain("closing connection");
      });

      test("keyless records to a compacted topic: exactly the offending records fail when librdkafka can tell", async () => {
        const out = await run(lib, brokers[engine]!, KEYLESS, [`${topic}-keyless`]);
        const keyless = (i: number) => i % 10 === 0;
        // librdkafka 2.0 predates per-record errors (KIP-467 in clients): it fails the whole batch with the partition error.
        const sameBatch = lib.version.startsWith("2.0.") ? "INVALID_RECORD" : "_INVALID_DIFFERENT_RECORD";
        expect(out.one_batch).toEqual(Array.from({ length: 100 }, (_, i) => (keyless(i) ? "INVALID_RECORD" : sameBatch)));
        // One record per batch: only the keyless ones are refused.
        expect(out.batch_each).toEqual(Array.from({ length: 100 }, (_, i) => (keyless(i) ? "INVALID_RECORD" : "ok")));
      });

      test("manual replica assignments naming this broker create topics and partitions; others are refused", async () => {
        const out = await run(lib, brokers[engine]!, ASSIGNMENT, [`${topic}-assigned`, String(NODE_ID)]);
        expect(out).toEqual({
          create: null,
          unknown_node: "INVALID_REPLICA_ASSIGNMENT",
          twice: "INVALID_REPLICA_ASSIGNMENT",
          grow: null,
          grow_unknown: "INVALID_REPLICA_ASSIGNMENT",
          partitions: { [`${topic}-assigned`]: [[NODE_ID], [NODE_ID], [NODE_ID]] },
        });
      });

      test("deprecated topic configs Kafka 3.9 still accepts are set and described as Kafka describes them", async () => {
        const out = await run(lib, brokers[engine]!, DEPRECATED_CONFIGS, [`${topic}-configs`]);
        // Kafka lists the topic's own value first, then the broker config it would otherwise inherit.
        const own = (name: string, value: string) => [name, value, TOPIC_CONFIG];
        const broker = (name: string, value: string) => [name, value, DEFAULT_CONFIG];
        const set = (name: string, value: string, brokerName: string, brokerValue: string) => ({
          value,
          source: TOPIC_CONFIG,
          read_only: false,
          synonyms: [own(name, value), broker(brokerName, brokerValue)],
        });
        expect(out).toEqual({
          created: {
            "message.format.version": set("message.format.version", "2.8", "log.message.format.version", "3.0-IV1"),
            // Kafka lists no synonym for retention.ms: its broker default lives in log.retention.hours.
            "retention.ms": { value: "604800000", source: DEFAULT_CONFIG, read_only: false, synonyms: [] },
            "cleanup.policy": { value: "delete", source: DEFAULT_CONFIG, read_only: false, synonyms: [broker("log.cleanup.policy", "delete")] },
          },
          altered: null,
          after: {
            "message.format.version": set("message.format.version", "3.0-IV1", "log.message.format.version", "3.0-IV1"),
            "message.timestamp.difference.max.ms": set(
              "message.timestamp.difference.max.ms",
              "60000",
              "log.message.timestamp.difference.max.ms",
              "9223372036854775807",
            ),
            "cleanup.policy": set("cleanup.policy", "compact", "log.cleanup.policy", "delete"),
          },
          bad_version: "INVALID_CONFIG",
        });
      });
    });
  }
}
