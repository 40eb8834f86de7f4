// python3-confluent-kafka (librdkafka) consumer groups against the binary: three consumers on a
// six-partition topic rebalancing as they join and leave, eagerly and cooperatively; every
// record consumed once; committed offsets surviving a broker restart.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { python } from "../harness/python.ts";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ env: { FETCH_POLL_MS: "50" } });
});
afterAll(() => broker.stop());

// One process drives three consumers from one thread, so the test decides exactly when each
// joins and leaves. A record counts as consumed once its offset commit succeeded: a record
// whose commit failed (its partition moved in a rebalance) may legitimately come again, but a
// committed one must never be delivered to the group a second time.
const GROUP_RUN = String.raw`
import sys, json, time
from confluent_kafka import Consumer, Producer, KafkaException
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

committed = {}     # value -> consumers whose commit of it succeeded
failed_commits = 0
consumers = {}
largest_group = 0
def start(name):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": name, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, **settings})
    c.subscribe([topic])
    consumers[name] = c
def stop(name):
    consumers.pop(name).close()
def pump_until(done, timeout=60):
    global failed_commits, largest_group
    deadline = time.time() + timeout
    while not done():
        if time.time() > deadline:
            raise SystemExit("timed out: %d committed, assignments %s" % (len(committed), assignments()))
        for name, c in list(consumers.items()):
            m = c.poll(0.02)
            if m is None or m.error():
                continue
            try:
                c.commit(message=m, asynchronous=False)
                committed.setdefault(m.value().decode(), []).append(name)
            except KafkaException:
                failed_commits += 1
        sizes = [len(c.assignment()) for c in consumers.values()]
        if len(sizes) == 3 and sorted(sizes) == [2, 2, 2]:
            largest_group = 3
def assignments():
    return {n: sorted(tp.partition for tp in c.assignment()) for n, c in consumers.items()}
def balanced(count):
    return lambda: len(consumers) == count and all(len(p) == 6 // count for p in assignments().values())

produce(0, 300)
start("a")
pump_until(lambda: len(committed) >= 50)
start("b")
pump_until(balanced(2))
start("c")
pump_until(balanced(3))
shares = assignments()
produce(300, 600)
pump_until(lambda: len(committed) >= 450)
stop("a")
pump_until(balanced(2))
stop("b")
pump_until(lambda: len(committed) >= 600 and balanced(1)())
stop("c")
print(json.dumps({"committed": committed, "failed_commits": failed_commits, "shares": shares}))
`;

async function runGroup(topic: string, settings: Record<string, string | number>, env: Record<string, string> = {}) {
  const run = await python(GROUP_RUN, [broker.url, topic, `${topic}-group`, JSON.stringify(settings)], { timeoutMs: 180_000, env });
  expect(run.stderr).not.toContain("Traceback");
  expect(run.exitCode).toBe(0);
  const out = JSON.parse(run.stdout) as { committed: Record<string, string[]>; shares: Record<string, number[]> };
  // Three members, two partitions each, no partition twice.
  expect(Object.values(out.shares).map((p) => p.length)).toEqual([2, 2, 2]);
  expect(Object.values(out.shares).flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
  // Every record once.
  expect(Object.keys(out.committed).length).toBe(600);
  const twice = Object.entries(out.committed).filter(([, by]) => by.length !== 1);
  expect(twice).toEqual([]);
  for (let i = 0; i < 600; i++) expect(out.committed[`r${i}`]).toBeDefined();
}

const CLASSIC = { "session.timeout.ms": 6000, "heartbeat.interval.ms": 300 };

test("three consumers join and leave with eager rebalancing (range)", () => runGroup("py-eager", { ...CLASSIC, "partition.assignment.strategy": "range" }), 200_000);

test(
  "three consumers join and leave with cooperative rebalancing (cooperative-sticky)",
  () => runGroup("py-coop", { ...CLASSIC, "partition.assignment.strategy": "cooperative-sticky" }),
  200_000,
);

test(
  "KIP-848: three consumers with group.protocol=consumer and server-side assignment",
  async () => {
    const lib = await librdkafkaWithKip848();
    await runGroup("py-kip848", { "group.protocol": "consumer", "group.remote.assignor": "uniform" }, { LD_LIBRARY_PATH: lib });
  },
  600_000,
);

const COMMITTED = String.raw`
import sys, json
from confluent_kafka import Consumer, TopicPartition
bootstrap, topic, group = sys.argv[1:4]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
got = c.committed([TopicPartition(topic, p) for p in range(6)], timeout=20)
print(json.dumps(sorted([tp.partition, tp.offset] for tp in got)))
c.close()
`;

test("committed offsets survive a broker restart", async () => {
  const before = await python(COMMITTED, [broker.url, "py-eager", "py-eager-group"]);
  expect(before.exitCode).toBe(0);
  const offsets = JSON.parse(before.stdout) as Array<[number, number]>;
  // All 600 records were committed: the offsets add up to the record count.
  expect(offsets.reduce((sum, [, offset]) => sum + offset, 0)).toBe(600);

  await broker.stop();
  broker = await startBroker({ storage: broker.storage, port: broker.port, env: { FETCH_POLL_MS: "50" } });
  const after = await python(COMMITTED, [broker.url, "py-eager", "py-eager-group"]);
  expect(after.exitCode).toBe(0);
  expect(JSON.parse(after.stdout)).toEqual(offsets);
}, 60_000);

// Debian's librdkafka (2.0) predates KIP-848; scripts/build-librdkafka.sh (run by `npm test`
// through scripts/install-test-deps.sh) builds a current one that Debian's python3-confluent-kafka
// loads through LD_LIBRARY_PATH.
const LIBRDKAFKA_LIB = resolve(import.meta.dir, "../../node_modules/.cache/tansu-librdkafka/install/lib");

async function librdkafkaWithKip848(): Promise<string> {
  if (!existsSync(join(LIBRDKAFKA_LIB, "librdkafka.so.1"))) {
    throw new Error(`no KIP-848 capable librdkafka in ${LIBRDKAFKA_LIB}: run scripts/build-librdkafka.sh`);
  }
  return LIBRDKAFKA_LIB;
}
