import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BROKER_BINARY, startBroker, tempDir, type StartBrokerOptions } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { CURRENT_LIBRDKAFKA, DEBIAN_LIBRDKAFKA, LIBRDKAFKAS, type Librdkafka } from "../harness/librdkafka.ts";
import { python } from "../harness/python.ts";
import { runCommand } from "../harness/run.ts";
import { startS3, type RunningS3 } from "../harness/s3.ts";
import { s3Env } from "../storage/s3-fixtures.ts";

// Scale to zero for real: the broker keeps nothing that matters in memory, so a process killed
// outright (a Fly machine stopped) or stopped gracefully (a redeploy) comes back on the same store
// with every acknowledged record, in order, at the same offsets. On the embedded SQLite default
// and on s3:// (what fly.toml deploys), against a real S3-compatible server; with Debian's librdkafka and
// the current build as the clients.

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

async function produce(lib: Librdkafka, bootstrap: string, topic: string, count: number, prefix: string): Promise<Produced> {
  const run = await python(PRODUCE, [bootstrap, topic, String(count), prefix], { timeoutMs: 90_000, env: lib.env });
  expect(run, "producer script failed").toMatchObject({ exitCode: 0, timedOut: false });
  return JSON.parse(run.stdout) as Produced;
}

/** Everything in partition 0 from the beginning to the end as [offset, value] pairs. */
async function consumeAll(lib: Librdkafka, bootstrap: string, topic: string): Promise<[number, string][]> {
  const run = await kcat(["-C", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-e", "-f", "%o %s\\n"], {
    timeoutMs: 60_000,
    env: lib.env,
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

/** Where a broker keeps its data: a storage URL and the environment it needs (default: a fresh SQLite file). */
type Store = Pick<StartBrokerOptions, "storage" | "env">;

/** The restart tests on the store `store()` names (a fresh one per call), with each librdkafka as the client. */
function restartTests(store: () => Promise<Store>): void {
  for (const lib of LIBRDKAFKAS) describe(lib.name, () => restartTestsWith(lib, store));
}

function restartTestsWith(lib: Librdkafka, store: () => Promise<Store>): void {
  test("after SIGKILL a broker on the same store serves every acknowledged record in order and continues the offsets", async () => {
    const { storage, env } = await store();
    const first = await startBroker({ storage, env });
    const produced = await produce(lib, first.url, "restart-after-kill", RECORDS, "kill");
    expect(produced).toEqual({ acked: expectedRecords("kill", RECORDS), failed: [], unflushed: 0 });
    expect(await first.stop("SIGKILL")).toBe(128 + 9);

    const second = await startBroker({ storage: first.storage, port: first.port, env });
    try {
      expect(await consumeAll(lib, second.url, "restart-after-kill")).toEqual(expectedRecords("kill", RECORDS));
      const more = await produce(lib, second.url, "restart-after-kill", 1, "again");
      expect(more).toEqual({ acked: [[RECORDS, "again-0"]], failed: [], unflushed: 0 });
    } finally {
      await second.stop("SIGKILL");
    }
  });

  test("SIGTERM exits 0 and a restarted broker serves every acknowledged record in order", async () => {
    const { storage, env } = await store();
    const first = await startBroker({ storage, env });
    const produced = await produce(lib, first.url, "restart-after-term", RECORDS, "term");
    expect(produced).toEqual({ acked: expectedRecords("term", RECORDS), failed: [], unflushed: 0 });
    expect(await first.stop("SIGTERM"), first.logs()).toBe(0);

    const second = await startBroker({ storage: first.storage, port: first.port, env });
    try {
      expect(await consumeAll(lib, second.url, "restart-after-term")).toEqual(produced.acked);
    } finally {
      expect(await second.stop("SIGTERM"), second.logs()).toBe(0);
    }
  });
}

describe("sqlite://", () => restartTests(async () => ({})));

describe("s3://", () => {
  let s3: RunningS3;
  let buckets = 0;
  // Starting Ceph takes seconds, more on a loaded machine: past the default hook timeout.
  beforeAll(async () => {
    s3 = await startS3();
  }, 300_000);
  afterAll(() => s3?.stop());

  /** A store in a bucket of its own. */
  const freshBucket = async (): Promise<Store> => {
    const bucket = `restart-${++buckets}`;
    await s3.createBucket(bucket);
    return { storage: `s3://${bucket}/tansu/`, env: s3Env(s3) };
  };
  describe("one broker at a time", () => restartTests(freshBucket));

  test("two brokers on one bucket, one client on each librdkafka: contiguous offsets and every acknowledged record kept once", async () => {
    const store = await freshBucket();
    const a = await startBroker(store);
    const b = await startBroker(store);
    try {
      // Both producers write to partition 0 of one topic at once; one creates it, the other finds it exists.
      const [viaA, viaB] = await Promise.all([
        produce(DEBIAN_LIBRDKAFKA, a.url, "shared-bucket", 300, "via-a"),
        produce(CURRENT_LIBRDKAFKA, b.url, "shared-bucket", 300, "via-b"),
      ]);
      for (const produced of [viaA, viaB]) expect(produced).toMatchObject({ failed: [], unflushed: 0 });
      const acked = [...viaA.acked, ...viaB.acked].sort(([x], [y]) => x - y);
      expect(acked.map(([offset]) => offset)).toEqual(Array.from({ length: 600 }, (_, i) => i));
      // Each broker serves the same log: what both producers were acknowledged, at those offsets.
      expect(await consumeAll(DEBIAN_LIBRDKAFKA, a.url, "shared-bucket")).toEqual(acked);
      expect(await consumeAll(CURRENT_LIBRDKAFKA, b.url, "shared-bucket")).toEqual(acked);
    } finally {
      await a.stop("SIGTERM");
      await b.stop("SIGTERM");
    }
  });

  test("a broker pointed at a missing bucket exits 1 with one line naming it", async () => {
    const run = await runCommand([BROKER_BINARY, "broker", "--storage-engine", "s3://no-such-bucket/", "--listener-url", "tcp://127.0.0.1:0"], {
      env: s3Env(s3),
      cwd: tempDir("tansu-no-bucket-"),
      timeoutMs: 60_000,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^error: s3 bucket "no-such-bucket" at http:\/\/127\.0\.0\.1:\d+ is not reachable: [^\n]+\n$/);
  });
});
