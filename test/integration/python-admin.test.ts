// python3-confluent-kafka (librdkafka) AdminClient, producer and consumer against the binary, with Debian's
// librdkafka and the current build.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { LIBRDKAFKAS } from "../harness/librdkafka.ts";
import { python } from "../harness/python.ts";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker();
});
afterAll(() => broker.stop());

const ADMIN = String.raw`
import sys, json
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource
from confluent_kafka import KafkaException
a = AdminClient({"bootstrap.servers": sys.argv[1]})
topic = sys.argv[2]
out = {}
a.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1, config={"retention.ms": "12345"})])[topic].result()
try:
    a.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result()
    out["again"] = "created twice"
except KafkaException as e:
    out["again"] = e.args[0].code()
try:
    a.create_topics([NewTopic("bad topic!", num_partitions=1, replication_factor=1)])["bad topic!"].result()
except KafkaException as e:
    out["invalid"] = e.args[0].code()
md = a.list_topics(timeout=10)
out["listed"] = topic in md.topics and len(md.topics[topic].partitions)
r = ConfigResource(ConfigResource.Type.TOPIC, topic)
cfg = list(a.describe_configs([r]).values())[0].result()
out["retention.ms"] = [cfg["retention.ms"].value, cfg["retention.ms"].is_default]
out["cleanup.policy"] = [cfg["cleanup.policy"].value, cfg["cleanup.policy"].is_default]
list(a.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={"cleanup.policy": "compact"})]).values())[0].result()
cfg = list(a.describe_configs([r]).values())[0].result()
out["altered"] = [cfg["cleanup.policy"].value, cfg["retention.ms"].value]
list(a.create_partitions([NewPartitions(topic, 5)]).values())[0].result()
out["partitions"] = len(a.list_topics(timeout=10).topics[topic].partitions)
a.delete_topics([topic])[topic].result()
out["deleted"] = topic not in a.list_topics(timeout=10).topics
print(json.dumps(out))
`;

const PRODUCE_CONSUME = String.raw`
import sys, json
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, topic = sys.argv[1], sys.argv[2]
acked = []
def report(err, msg):
    if err is None: acked.append((msg.partition(), msg.offset()))
p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "compression.type": "lz4"})
for i in range(200):
    p.produce(topic, key=("k%d" % i).encode(), value=("v%d" % i).encode(), headers=[("n", str(i).encode())], on_delivery=report)
p.flush(30)
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
c.assign([TopicPartition(topic, 0, 0)])
got = []
while len(got) < 200:
    m = c.poll(10)
    if m is None: break
    if m.error(): continue
    got.append([m.offset(), m.key().decode(), m.value().decode(), m.headers()[0][1].decode()])
c.close()
print(json.dumps({"acked": len(acked), "got": got}))
`;

for (const lib of LIBRDKAFKAS) {
  describe(lib.name, () => {
    test("AdminClient: create, describe, alter and delete topics and configs", async () => {
      const result = await python(ADMIN, [broker.url, `py-admin-${lib.version}`], { env: lib.env });
      expect(result.exitCode, result.stderr).toBe(0);
      const out = JSON.parse(result.stdout);
      expect(out).toEqual({
        again: 36, // TOPIC_ALREADY_EXISTS
        invalid: 17, // INVALID_TOPIC_EXCEPTION
        listed: 3,
        "retention.ms": ["12345", false],
        "cleanup.policy": ["delete", true],
        altered: ["compact", "604800000"],
        partitions: 5,
        deleted: true,
      });
    });

    test("producer and consumer: every acknowledged record read back in order", async () => {
      const result = await python(PRODUCE_CONSUME, [broker.url, `py-records-${lib.version}`], { env: lib.env });
      expect(result.exitCode, result.stderr).toBe(0);
      const out = JSON.parse(result.stdout);
      expect(out.acked).toBe(200);
      expect(out.got).toEqual(Array.from({ length: 200 }, (_, i) => [i, `k${i}`, `v${i}`, String(i)]));
    });
  });
}
