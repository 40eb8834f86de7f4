// Transactions with python3-confluent-kafka (librdkafka) against the binary: commit and abort
// seen through read_committed and read_uncommitted consumers, consume-transform-produce with
// send_offsets_to_transaction, and fencing of a zombie producer instance. With Debian's librdkafka and the
// current build (each against a broker of its own), which speak different transaction API versions.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { LIBRDKAFKAS, type Librdkafka } from "../harness/librdkafka.ts";
import { python } from "../harness/python.ts";

// Shared by the scripts below: topic creation and reading a whole topic to its end.
const COMMON = String.raw`
import json, sys
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap = sys.argv[1]
admin = AdminClient({"bootstrap.servers": bootstrap})

def create(topic, partitions=1):
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(20)

def read_all(topic, partitions, isolation):
    """Every value of the topic, partition by partition, up to each partition's end."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader-" + isolation, "enable.auto.commit": False,
                  "isolation.level": isolation, "enable.partition.eof": True})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    values, ended = [], set()
    while len(ended) < partitions:
        m = c.poll(20)
        if m is None:
            raise SystemExit("no end of partition within 20 s")
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                ended.add(m.partition())
                continue
            raise SystemExit(str(m.error()))
        values.append(m.value().decode())
    c.close()
    return sorted(values)
`;

const COMMIT_AND_ABORT = String.raw`
create("py-txn", 2)
p = Producer({"bootstrap.servers": bootstrap, "transactional.id": "py-txn", "transaction.timeout.ms": 60000})
p.init_transactions(30)
for outcome in ["commit", "abort", "commit"]:
    p.begin_transaction()
    for i in range(10):
        p.produce("py-txn", ("%s-%d" % (outcome, i)).encode(), partition=i % 2)
    if outcome == "commit":
        p.commit_transaction(30)
    else:
        p.flush(30)
        p.abort_transaction(30)
print(json.dumps({"committed": read_all("py-txn", 2, "read_committed"),
                  "uncommitted": read_all("py-txn", 2, "read_uncommitted")}))
`;

const CONSUME_TRANSFORM_PRODUCE = String.raw`
create("py-ctp-in")
create("py-ctp-out")
feeder = Producer({"bootstrap.servers": bootstrap})
for i in range(20):
    feeder.produce("py-ctp-in", str(i).encode(), partition=0)
feeder.flush(30)

group = "py-ctp"
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                     "isolation.level": "read_committed"})
consumer.assign([TopicPartition("py-ctp-in", 0, 0)])
producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": "py-ctp"})
producer.init_transactions(30)

def step(outcome):
    """Consumes 10 records, produces them doubled, and sends the consumer's position with the transaction."""
    got = []
    while len(got) < 10:
        m = consumer.poll(20)
        if m is None:
            raise SystemExit("input ran dry")
        if not m.error():
            got.append(int(m.value()))
    producer.begin_transaction()
    for v in got:
        producer.produce("py-ctp-out", str(v * 2).encode(), partition=0)
    producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30)
    if outcome == "commit":
        producer.commit_transaction(30)
    else:
        producer.abort_transaction(30)

step("commit")
step("abort")
consumer.close()

check = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
committed = check.committed([TopicPartition("py-ctp-in", 0)], timeout=20)[0].offset
check.close()
print(json.dumps({"out": read_all("py-ctp-out", 1, "read_committed"), "committedOffset": committed}))
`;

const FENCING = String.raw`
create("py-fence")
zombie = Producer({"bootstrap.servers": bootstrap, "transactional.id": "py-fence"})
zombie.init_transactions(30)
zombie.begin_transaction()
zombie.produce("py-fence", b"zombie", partition=0)
zombie.flush(30)

successor = Producer({"bootstrap.servers": bootstrap, "transactional.id": "py-fence"})
successor.init_transactions(30)
successor.begin_transaction()
successor.produce("py-fence", b"successor", partition=0)
successor.commit_transaction(30)

try:
    zombie.commit_transaction(30)
    fenced = "committed"
except KafkaException as e:
    fenced = {"fatal": e.args[0].fatal(), "error": e.args[0].name()}
print(json.dumps({"fenced": fenced, "committed": read_all("py-fence", 1, "read_committed")}))
`;

async function run(lib: Librdkafka, broker: RunningBroker, script: string): Promise<any> {
  const result = await python(COMMON + script, [broker.url], { timeoutMs: 120_000, env: lib.env });
  expect(result, result.stderr).toMatchObject({ exitCode: 0, timedOut: false });
  return JSON.parse(result.stdout);
}

for (const lib of LIBRDKAFKAS) {
  describe(lib.name, () => {
    let broker: RunningBroker;
    beforeAll(async () => {
      broker = await startBroker();
    });
    afterAll(() => broker.stop());

    test("commit and abort: a read_committed consumer sees only committed records", async () => {
      const out = await run(lib, broker, COMMIT_AND_ABORT);
      const values = (outcome: string) => Array.from({ length: 10 }, (_, i) => `${outcome}-${i}`);
      expect(out.committed).toEqual([...values("commit"), ...values("commit")].sort());
      expect(out.uncommitted).toEqual([...values("abort"), ...values("commit"), ...values("commit")].sort());
    }, 150_000);

    test("consume-transform-produce: offsets sent to a committed transaction are committed, an aborted one's are not", async () => {
      const out = await run(lib, broker, CONSUME_TRANSFORM_PRODUCE);
      expect(out.out).toEqual(Array.from({ length: 10 }, (_, i) => String(i * 2)).sort());
      expect(out.committedOffset).toBe(10);
    }, 150_000);

    test("a second instance with the same transactional.id fences the first, whose records are aborted", async () => {
      const out = await run(lib, broker, FENCING);
      // librdkafka folds PRODUCER_FENCED and INVALID_PRODUCER_EPOCH from the coordinator into its own _FENCED.
      expect(out.fenced).toEqual({ fatal: true, error: "_FENCED" });
      expect(out.committed).toEqual(["successor"]);
    }, 150_000);
  });
}
