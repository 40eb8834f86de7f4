// Two broker processes sharing one store (a SQLite file, a PostgreSQL database): the store, not a broker, is
// the source of truth. The two producers use the store's librdkafka builds (librdkafkasFor: Debian's and the
// current one on sqlite://), as independent applications would.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { decodeRecordBatches } from "../../src/protocol/record-batch.ts";
import { freePort, startBroker, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { librdkafkasFor } from "../harness/librdkafka.ts";
import { python } from "../harness/python.ts";
import { describeStores } from "../harness/stores.ts";

const PRODUCER = String.raw`
import sys, json
from confluent_kafka import Producer
bootstrap, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
acked = []
def report(err, msg):
    if err is None: acked.append([msg.offset(), msg.value().decode()])
p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 0, "batch.num.messages": 7})
for i in range(n):
    p.produce("shared", partition=0, value=("%s-%d" % (tag, i)).encode(), on_delivery=report)
    p.poll(0)
p.flush(60)
print(json.dumps(acked))
`;

describeStores((fresh, engine) => {
  let a: RunningBroker;
  let b: RunningBroker;
  beforeAll(async () => {
    const store = await fresh();
    // sqlite:// brokers learn of each other's appends by re-reading the store, which a short poll keeps
    // prompt; postgres:// ones are told by NOTIFY, so their re-read is too rare to matter in a test.
    const env = { ...store.env, FETCH_POLL_MS: engine === "postgres" ? "600000" : "50" };
    // a counts metrics, which wraps its store in the timing decorator: the wake-up must get through that too.
    a = await startBroker({ ...store, env, args: ["--http-listener-url", `http://127.0.0.1:${freePort()}`] });
    b = await startBroker({ ...store, env });
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
  });

  const libs = librdkafkasFor(engine);
  const [libA, libB] = [libs[0]!, libs.at(-1)!];
  const names = [...new Set([libA.name, libB.name])].join(" and ");

  test(`idempotent producers (${names}) through both brokers, concurrently to one partition: contiguous offsets, each acknowledged record once`, async () => {
    const created = await kcat(["-b", a.url, "-L", "-t", "shared"]);
    expect(created.exitCode).toBe(0);
    const n = 500;
    const [fromA, fromB] = await Promise.all([
      python(PRODUCER, [a.url, "a", String(n)], { timeoutMs: 90_000, env: libA.env }),
      python(PRODUCER, [b.url, "b", String(n)], { timeoutMs: 90_000, env: libB.env }),
    ]);
    expect(fromA.exitCode, fromA.stderr).toBe(0);
    expect(fromB.exitCode, fromB.stderr).toBe(0);
    const acked = [...JSON.parse(fromA.stdout), ...JSON.parse(fromB.stdout)] as Array<[number, string]>;
    expect(acked.length).toBe(2 * n);

    // Read everything back through either broker: offsets contiguous, each acknowledged record once.
    const consumed = await kcat(["-b", b.url, "-t", "shared", "-p", "0", "-C", "-e", "-o", "beginning", "-f", "%o %s\n"], { timeoutMs: 60_000 });
    expect(consumed.exitCode).toBe(0);
    const rows = consumed.stdout.trim().split("\n").map((line) => line.split(" ") as [string, string]);
    expect(rows.map(([offset]) => Number(offset))).toEqual(Array.from({ length: 2 * n }, (_, i) => i));
    const byOffset = new Map(rows.map(([offset, value]) => [Number(offset), value]));
    for (const [offset, value] of acked) expect(byOffset.get(offset)).toBe(value);
    expect(new Set(rows.map(([, value]) => value)).size).toBe(2 * n);
    // Each producer's records in the order it sent them (librdkafka keeps up to 5 requests in flight).
    for (const tag of ["a", "b"]) {
      const sequence = rows.filter(([, value]) => value.startsWith(`${tag}-`)).map(([, value]) => Number(value.slice(2)));
      expect(sequence).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  test("a long poll on one broker returns when a record is produced through the other", async () => {
    await kcat(["-b", a.url, "-L", "-t", "cross"]);
    const connection = await KafkaConnection.connect(a.url);
    try {
      // Ten minutes: if the broker never noticed the record, the test times out and fails.
      const pending = connection.request(ApiKey.Fetch, 12, {
        replicaId: -1, maxWaitMs: 600_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: "cross", topicId: "00000000-0000-0000-0000-000000000000", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: "",
      });
      const produced = await kcat(["-b", b.url, "-t", "cross", "-P"], { input: "through-b\n" });
      expect(produced.exitCode).toBe(0);
      const response = await pending;
      const records = decodeRecordBatches(response.responses[0]!.partitions[0]!.records!);
      expect(new TextDecoder().decode(records[0]!.records[0]!.value!)).toBe("through-b");
    } finally {
      connection.close();
    }
  });
});
