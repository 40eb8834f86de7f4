// One consumer group, two broker processes sharing one SQLite file, each member connected to a
// different broker (each broker is its own member's coordinator): one consistent group. With Debian's
// librdkafka and the current build.
import { afterAll, beforeAll, test } from "bun:test";
import { join } from "node:path";
import { startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { expectGroupDelivery, GROUP_DELIVERY } from "../harness/group-delivery.ts";
import { LIBRDKAFKAS } from "../harness/librdkafka.ts";
import { python } from "../harness/python.ts";

let a: RunningBroker;
let b: RunningBroker;

beforeAll(async () => {
  const storage = `sqlite://${join(tempDir("tansu-groups-"), "shared.db")}`;
  a = await startBroker({ storage, env: { FETCH_POLL_MS: "50" } });
  b = await startBroker({ storage, env: { FETCH_POLL_MS: "50" } });
});
afterAll(async () => {
  await a.stop();
  await b.stop();
});

// GROUP_DELIVERY checks what Kafka guarantees the group.
const RUN = String.raw`
import sys, json, time
from confluent_kafka import Consumer, Producer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
first, second, topic = sys.argv[1:4]
admin = AdminClient({"bootstrap.servers": first})
admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])[topic].result()
p = Producer({"bootstrap.servers": second, "linger.ms": 0})
for i in range(200):
    p.produce(topic, key=str(i).encode(), value=("r%d" % i).encode())
p.flush(30)
consumers = {name: Consumer({"bootstrap.servers": url, "group.id": topic + "-group", "client.id": name, "auto.offset.reset": "earliest",
                             "enable.auto.commit": False, "session.timeout.ms": 6000, "heartbeat.interval.ms": 300})
             for name, url in (("on-first", first), ("on-second", second))}
for c in consumers.values():
    c.subscribe([topic])
deadline = time.time() + 90
while len(delivered) < 200 or any(len(c.assignment()) != 2 for c in consumers.values()):
    if time.time() > deadline:
        raise SystemExit("timed out: %d delivered" % len(delivered))
    for name, c in consumers.items():
        poll_once(name, c)
shares = {name: sorted(tp.partition for tp in c.assignment()) for name, c in consumers.items()}
for c in consumers.values():
    commit_positions(c)
group_offsets = consumers["on-first"].committed([TopicPartition(topic, p) for p in range(4)], timeout=20)
for c in consumers.values():
    c.close()
print(json.dumps({"delivered": delivered, "after_commit": after_commit, "shares": shares,
                  "group_offsets": sum(tp.offset for tp in group_offsets)}))
`;

for (const lib of LIBRDKAFKAS) {
  test(`${lib.name}: members on different brokers share one group: disjoint halves, every record delivered, none again once committed`, async () => {
    const run = await python(GROUP_DELIVERY + RUN, [a.url, b.url, `two-broker-group-${lib.version}`], { timeoutMs: 120_000, env: lib.env });
    expectGroupDelivery(run, 200, 4);
  }, 150_000);
}
