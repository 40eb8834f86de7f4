// python3-confluent-kafka (librdkafka) consumer groups against the binary: three consumers on a
// six-partition topic rebalancing as they join and leave, eagerly and cooperatively, with Debian's
// librdkafka and the current build; KIP-848 groups with the current build (Debian's predates them);
// every record consumed once; committed offsets surviving a broker restart.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { expectGroupDelivery, GROUP_DELIVERY } from "../harness/group-delivery.ts";
import { CURRENT_LIBRDKAFKA, LIBRDKAFKAS, type Librdkafka } from "../harness/librdkafka.ts";
import { python } from "../harness/python.ts";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ env: { FETCH_POLL_MS: "50" } });
});
afterAll(() => broker.stop());

// One process drives three consumers from one thread, so the test decides exactly when each
// joins and leaves; GROUP_DELIVERY checks what Kafka guarantees the group.
const GROUP_RUN = String.raw`
import sys, json, time
from confluent_kafka import Consumer, Producer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, topic, group = sys.argv[1:4]
settings = json.loads(sys.argv[4])
admin = AdminClient({"bootstrap.servers": bootstrap})
admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])[topic].result()
producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
def produce(start, end):
    for i in range(start, end):
        producer.produce(topic, key=str(i).encode(), value=("r%d" % i).encode())
    producer.flush(30)

consumers = {}
def start(name):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": name, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, **settings})
    c.subscribe([topic])
    consumers[name] = c
def stop(name):
    consumers.pop(name).close()
def pump_until(done, timeout=60):
    deadline = time.time() + timeout
    while not done():
        if time.time() > deadline:
            missing = [i for i in range(600) if "r%d" % i not in delivered]
            raise SystemExit("timed out: %d delivered, missing %s, assignments %s" % (len(delivered), missing[:20], assignments()))
        for name, c in list(consumers.items()):
            poll_once(name, c)
def assignments():
    return {n: sorted(tp.partition for tp in c.assignment()) for n, c in consumers.items()}
def balanced(count):
    return lambda: len(consumers) == count and all(len(p) == 6 // count for p in assignments().values())

produce(0, 300)
start("a")
pump_until(lambda: len(delivered) >= 50)
start("b")
pump_until(balanced(2))
start("c")
pump_until(balanced(3))
shares = assignments()
produce(300, 600)
pump_until(lambda: len(delivered) >= 450)
stop("a")
pump_until(balanced(2))
stop("b")
pump_until(lambda: len(delivered) >= 600 and balanced(1)())
# The last member owns every partition now: commit its positions (covering any record whose own
# commit failed in a rebalance) and read back what the group holds.
commit_positions(consumers["c"])
group_offsets = consumers["c"].committed([TopicPartition(topic, p) for p in range(6)], timeout=20)
stop("c")
print(json.dumps({"delivered": delivered, "after_commit": after_commit, "shares": shares,
                  "group_offsets": sum(tp.offset for tp in group_offsets)}))
`;

async function runGroup(lib: Librdkafka, topic: string, settings: Record<string, string | number>) {
  const run = await python(GROUP_DELIVERY + GROUP_RUN, [broker.url, topic, `${topic}-group`, JSON.stringify(settings)], { timeoutMs: 180_000, env: lib.env });
  const out = expectGroupDelivery(run, 600, 6);
  // Three members, two partitions each.
  expect(Object.values(out.shares).map((p) => p.length)).toEqual([2, 2, 2]);
  for (let i = 0; i < 600; i++) expect(out.delivered[`r${i}`]).toBeDefined();
}

const CLASSIC = { "session.timeout.ms": 6000, "heartbeat.interval.ms": 300 };
const COMMITTED = String.raw`
import sys, json
from confluent_kafka import Consumer, TopicPartition
bootstrap, topic, group = sys.argv[1:4]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
got = c.committed([TopicPartition(topic, p) for p in range(6)], timeout=20)
print(json.dumps(sorted([tp.partition, tp.offset] for tp in got)))
c.close()
`;

for (const lib of LIBRDKAFKAS) {
  describe(lib.name, () => {
    const eager = `py-eager-${lib.version}`;

    test("three consumers join and leave with eager rebalancing (range)", () => runGroup(lib, eager, { ...CLASSIC, "partition.assignment.strategy": "range" }), 200_000);

    test(
      "three consumers join and leave with cooperative rebalancing (cooperative-sticky)",
      () => runGroup(lib, `py-coop-${lib.version}`, { ...CLASSIC, "partition.assignment.strategy": "cooperative-sticky" }),
      200_000,
    );

    if (lib === CURRENT_LIBRDKAFKA) {
      test(
        "KIP-848: three consumers with group.protocol=consumer and server-side assignment",
        () => runGroup(lib, `py-kip848-${lib.version}`, { "group.protocol": "consumer", "group.remote.assignor": "uniform" }),
        600_000,
      );
    }

    test("committed offsets survive a broker restart", async () => {
      const before = await python(COMMITTED, [broker.url, eager, `${eager}-group`], { env: lib.env });
      expect(before.exitCode).toBe(0);
      const offsets = JSON.parse(before.stdout) as Array<[number, number]>;
      // All 600 records were committed: the offsets add up to the record count.
      expect(offsets.reduce((sum, [, offset]) => sum + offset, 0)).toBe(600);

      await broker.stop();
      broker = await startBroker({ storage: broker.storage, port: broker.port, env: { FETCH_POLL_MS: "50" } });
      const after = await python(COMMITTED, [broker.url, eager, `${eager}-group`], { env: lib.env });
      expect(after.exitCode).toBe(0);
      expect(JSON.parse(after.stdout)).toEqual(offsets);
    }, 60_000);
  });
}
