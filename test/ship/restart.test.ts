import { expect, test } from "bun:test";
import { startBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { python } from "../harness/python.ts";

// Scale to zero for real: the broker keeps nothing that matters in memory, so a process killed
// outright (a Fly machine stopped) or stopped gracefully (a redeploy) comes back on the same store
// with every acknowledged record, in order, at the same offsets.

const RECORDS = 1000;

// Creates the topic (one partition) unless it exists and produces `count` values "<prefix>-<i>" with acks=all and one
// request in flight, so acknowledgements arrive in produce order. Prints what was and was not acked.
const PRODUCE = `
import json, sys
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, topic, count, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
admin = AdminClient({"bootstrap.servers": bootstrap})  # must outlive its futures
for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
    try:
        future.result(timeout=20)
    except KafkaException as e:
        if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
acked, failed = [], []
def report(err, msg):
    if err is None:
        acked.append([msg.offset(), msg.value().decode()])
    else:
        failed.append(str(err))
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                     "max.in.flight.requests.per.connection": 1, "message.timeout.ms": 20000})
for i in range(count):
    producer.produce(topic, f"{prefix}-{i}".encode(), partition=0, on_delivery=report)
    producer.poll(0)
unflushed = producer.flush(30)
print(json.dumps({"acked": acked, "failed": failed, "unflushed": unflushed}))
`;

interface Produced {
  acked: [offset: number, value: string][];
  failed: string[];
  unflushed: number;
}

async function produce(bootstrap: string, topic: string, count: number, prefix: string): Promise<Produced> {
  const run = await python(PRODUCE, [bootstrap, topic, String(count), prefix], { timeoutMs: 90_000 });
  expect(run, "producer script failed").toMatchObject({ exitCode: 0, timedOut: false });
  return JSON.parse(run.stdout) as Produced;
}

/** Everything in partition 0 from the beginning to the end as [offset, value] pairs. */
async function consumeAll(bootstrap: string, topic: string): Promise<[number, string][]> {
  const run = await kcat(["-C", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-e", "-f", "%o %s\\n"], {
    timeoutMs: 60_000,
  });
  expect(run, "kcat consumer failed").toMatchObject({ exitCode: 0, timedOut: false });
  return run.stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const space = line.indexOf(" ");
      return [Number(line.slice(0, space)), line.slice(space + 1)];
    });
}

function expectedRecords(prefix: string, count: number, firstOffset = 0): [number, string][] {
  return Array.from({ length: count }, (_, i) => [firstOffset + i, `${prefix}-${i}`]);
}

test("after SIGKILL a broker on the same store serves every acknowledged record in order and continues the offsets", async () => {
  const first = await startBroker();
  const produced = await produce(first.url, "restart-after-kill", RECORDS, "kill");
  expect(produced).toEqual({ acked: expectedRecords("kill", RECORDS), failed: [], unflushed: 0 });
  expect(await first.stop("SIGKILL")).toBe(128 + 9);

  const second = await startBroker({ storage: first.storage, port: first.port });
  try {
    expect(await consumeAll(second.url, "restart-after-kill")).toEqual(expectedRecords("kill", RECORDS));
    const more = await produce(second.url, "restart-after-kill", 1, "again");
    expect(more).toEqual({ acked: [[RECORDS, "again-0"]], failed: [], unflushed: 0 });
  } finally {
    await second.stop("SIGKILL");
  }
});

test("SIGTERM exits 0 and a restarted broker serves every acknowledged record in order", async () => {
  const first = await startBroker();
  const produced = await produce(first.url, "restart-after-term", RECORDS, "term");
  expect(produced).toEqual({ acked: expectedRecords("term", RECORDS), failed: [], unflushed: 0 });
  expect(await first.stop("SIGTERM"), first.logs()).toBe(0);

  const second = await startBroker({ storage: first.storage, port: first.port });
  try {
    expect(await consumeAll(second.url, "restart-after-term")).toEqual(produced.acked);
  } finally {
    expect(await second.stop("SIGTERM"), second.logs()).toBe(0);
  }
});
