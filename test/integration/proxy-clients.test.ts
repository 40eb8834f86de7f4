// `tansu proxy` in front of two tansu brokers sharing one SQLite store: kcat, python confluent-kafka (Debian's
// librdkafka and a current one for KIP-848), kafkajs and @platformatic/kafka produce, consume, use consumer
// groups and transactions through it, and never learn an upstream address: not in the metadata they are
// given, and (for the clients that log their connections) not in any connection they make.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { BROKER_BINARY, startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { freePortRange } from "../harness/free-port.ts";
import { GROUP_DELIVERY } from "../harness/group-delivery.ts";
import { kcat } from "../harness/kcat.ts";
import { spawnListening } from "../harness/listening-process.ts";
import { startProxy, type RunningProxy } from "../harness/proxy.ts";
import { CURRENT_LIBRDKAFKA } from "../harness/librdkafka.ts";
import { python } from "../harness/python.ts";
import { rawSocket } from "../harness/raw-socket.ts";
import { until } from "../harness/until.ts";
import { fetchPartition, visibleValues } from "../broker/transactions/txn-requests.ts";

let a: RunningBroker;
let b: RunningBroker;
let proxy: RunningProxy;

beforeAll(async () => {
  const storage = `sqlite://${join(tempDir("tansu-proxied-"), "shared.db")}`;
  a = await startBroker({ storage, env: { FETCH_POLL_MS: "50" } });
  b = await startBroker({ storage, env: { FETCH_POLL_MS: "50" } });
  proxy = await startProxy([a.url, b.url]);
});
afterAll(async () => {
  // Graceful stop: SIGTERM, exit 0.
  expect(await proxy.stop()).toBe(0);
  await a.stop();
  await b.stop();
});

/** Text that names an upstream broker's address. */
function upstreamAddresses(text: string): string[] {
  return [a.url, b.url].filter((url) => text.includes(url));
}

function expectProxyPorts(ports: number[]) {
  expect(ports.length).toBeGreaterThan(0);
  for (const port of ports) expect(proxy.ports).toContain(port);
}

describe("kcat", () => {
  test("produces, consumes and sees only the proxy", async () => {
    const produced = await kcat(["-b", proxy.url, "-t", "px-kcat", "-P", "-d", "broker"], { input: "one\ntwo\nthree\n" });
    expect(produced.exitCode).toBe(0);
    const consumed = await kcat(["-b", proxy.url, "-t", "px-kcat", "-C", "-e", "-o", "beginning", "-d", "broker"]);
    expect(consumed.exitCode).toBe(0);
    expect(consumed.stdout.trim().split("\n")).toEqual(["one", "two", "three"]);
    const metadata = await kcat(["-b", proxy.url, "-L", "-J"]);
    const brokers = JSON.parse(metadata.stdout).brokers as Array<{ name: string }>;
    expectProxyPorts(brokers.map((broker) => Number(broker.name.split(":")[1])));
    // -d broker logs every connection librdkafka makes.
    expect(produced.stderr).toContain(`Connecting to ipv4#${proxy.url}`);
    expect(upstreamAddresses(produced.stderr + consumed.stderr + metadata.stdout)).toEqual([]);
  });

  test("malformed frames close only their connection; the proxy keeps serving", async () => {
    const bad = await rawSocket(proxy.port);
    bad.socket.write(new Uint8Array([0, 0, 0, 2, 0xff, 0xff]));
    await bad.closed;
    const metadata = await kcat(["-b", proxy.url, "-L", "-t", "px-kcat"]);
    expect(metadata.exitCode).toBe(0);
    expect(proxy.logs()).toContain("closing connection from");
  });
});

// One script for both librdkafka builds: metadata, idempotent produce, a group of two, a transaction.
const PYTHON_RUN = String.raw`
import sys, json, time
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, topic, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
common = {"bootstrap.servers": bootstrap, "debug": "broker"}
admin = AdminClient(common)
admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])[topic].result(30)
brokers = sorted("%s:%d" % (b.host, b.port) for b in admin.list_topics(timeout=30).brokers.values())

producer = Producer({**common, "enable.idempotence": True, "linger.ms": 5})
for i in range(200):
    producer.produce(topic, key=str(i).encode(), value=("r%d" % i).encode())
if producer.flush(60) != 0: raise SystemExit("records left unacknowledged")

consumers = {}
for name in ["one", "two"]:
    c = Consumer({**common, "group.id": topic + "-group", "client.id": name, "auto.offset.reset": "earliest", "enable.auto.commit": False, **settings})
    c.subscribe([topic])
    consumers[name] = c
deadline = time.time() + 90
while len(delivered) < 200:
    if time.time() > deadline: raise SystemExit("timed out: %d of 200 delivered" % len(delivered))
    for name, c in consumers.items(): poll_once(name, c)
shares = {n: sorted(tp.partition for tp in c.assignment()) for n, c in consumers.items()}
for c in consumers.values(): c.close()

tx = Producer({**common, "transactional.id": topic + "-txn"})
tx.init_transactions(30)
for outcome in ["commit", "abort"]:
    tx.begin_transaction()
    for i in range(5): tx.produce(topic + "-txn", ("%s-%d" % (outcome, i)).encode(), partition=0)
    if outcome == "commit": tx.commit_transaction(30)
    else:
        tx.flush(30)
        tx.abort_transaction(30)
reader = Consumer({**common, "group.id": topic + "-reader", "isolation.level": "read_committed", "enable.partition.eof": True, "auto.offset.reset": "earliest"})
reader.assign([TopicPartition(topic + "-txn", 0, 0)])
committed = []
while True:
    m = reader.poll(20)
    if m is None: raise SystemExit("no end of the transactional topic within 20 s")
    if m.error():
        if m.error().code() == -191: break  # _PARTITION_EOF
        raise SystemExit(str(m.error()))
    committed.append(m.value().decode())
reader.close()
print(json.dumps({"brokers": brokers, "delivered": len(delivered), "after_commit": after_commit, "shares": shares, "committed": committed}))
`;

async function pythonRun(topic: string, settings: Record<string, string | number>, env: Record<string, string> = {}) {
  const run = await python(GROUP_DELIVERY + PYTHON_RUN, [proxy.url, topic, JSON.stringify(settings)], { timeoutMs: 150_000, env });
  expect(run.stderr).not.toContain("Traceback");
  expect(run.exitCode).toBe(0);
  const out = JSON.parse(run.stdout) as { brokers: string[]; delivered: number; after_commit: unknown[]; shares: Record<string, number[]>; committed: string[] };
  expectProxyPorts(out.brokers.map((address) => Number(address.split(":")[1])));
  expect(out.delivered).toBe(200);
  expect(out.after_commit).toEqual([]);
  expect(Object.values(out.shares).flat().sort()).toEqual([0, 1, 2, 3]);
  expect(out.committed).toEqual(["commit-0", "commit-1", "commit-2", "commit-3", "commit-4"]);
  expect(run.stderr).toContain(`Connecting to ipv4#${proxy.url}`);
  expect(upstreamAddresses(run.stderr)).toEqual([]);
}

describe("python confluent-kafka", () => {
  test("classic group, idempotent producer and a transaction", () => pythonRun("px-py", { "session.timeout.ms": 6000, "heartbeat.interval.ms": 300 }), 160_000);

  test(
    "KIP-848 group (librdkafka 2.15), idempotent producer and a transaction",
    () => pythonRun("px-py848", { "group.protocol": "consumer" }, CURRENT_LIBRDKAFKA.env),
    160_000,
  );
});

/** Reads a partition through the proxy the way a read_committed (or not) consumer would see it. */
async function visible(topic: string, readCommitted: boolean): Promise<string[]> {
  const c = await KafkaConnection.connect(proxy.url, "px-check");
  try {
    return visibleValues(await fetchPartition(c, topic, 0, readCommitted));
  } finally {
    c.close();
  }
}

test("kafkajs: metadata, produce, a consumer group and a transaction", async () => {
  const logged: string[] = [];
  const kafka = new Kafka({
    brokers: [proxy.url],
    clientId: "px-kafkajs",
    logLevel: logLevel.DEBUG,
    logCreator: () => (entry) => void logged.push(JSON.stringify(entry.log)),
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "px-kjs", numPartitions: 2 }, { topic: "px-kjs-txn", numPartitions: 1 }] });
  const cluster = await admin.describeCluster();
  expectProxyPorts(cluster.brokers.map((broker) => broker.port));
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: "px-kjs", messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  await producer.disconnect();

  const seen = new Set<string>();
  const consumer = kafka.consumer({ groupId: "px-kjs-group", sessionTimeout: 6_000, heartbeatInterval: 300 });
  await consumer.connect();
  await consumer.subscribe({ topic: "px-kjs", fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
  await until(() => seen.size === 50, "kafkajs to consume all 50 records", 60_000);
  await consumer.disconnect();

  const txProducer = kafka.producer({ transactionalId: "px-kjs-txn", idempotent: true, maxInFlightRequests: 1 });
  await txProducer.connect();
  const committed = await txProducer.transaction();
  await committed.send({ topic: "px-kjs-txn", messages: [{ partition: 0, value: "kept" }] });
  await committed.commit();
  const aborted = await txProducer.transaction();
  await aborted.send({ topic: "px-kjs-txn", messages: [{ partition: 0, value: "dropped" }] });
  await aborted.abort();
  await txProducer.disconnect();
  expect(await visible("px-kjs-txn", true)).toEqual(["kept"]);

  expect(logged.join("\n")).toContain(proxy.url);
  expect(upstreamAddresses(logged.join("\n"))).toEqual([]);
}, 120_000);

describe("@platformatic/kafka", () => {
  for (const groupProtocol of ["classic", "consumer"] as const) {
    test(`metadata, produce, a ${groupProtocol} group and a transaction`, async () => {
      const topic = `px-plt-${groupProtocol}`;
      const admin = new Admin({ clientId: "px-plt", bootstrapBrokers: [proxy.url] });
      await admin.createTopics({ topics: [topic, `${topic}-txn`], partitions: 2, replicas: 1 });
      const metadata = await admin.metadata({ topics: [topic] });
      expectProxyPorts([...metadata.brokers.values()].map((broker) => broker.port));
      await admin.close();

      const producer = new Producer({ clientId: "px-plt", bootstrapBrokers: [proxy.url], serializers: stringSerializers });
      await producer.send({ messages: Array.from({ length: 40 }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}` })) });
      await producer.close();

      const seen = new Set<string>();
      const consumer = new Consumer({
        groupId: `${topic}-group`,
        clientId: "px-plt",
        bootstrapBrokers: [proxy.url],
        deserializers: stringDeserializers,
        ...(groupProtocol === "consumer" ? { groupProtocol } : { sessionTimeout: 6_000, heartbeatInterval: 300 }),
      });
      const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: true });
      stream.on("data", (message) => void seen.add(message.value));
      await until(() => seen.size === 40, "@platformatic/kafka to consume all 40 records", 60_000);
      await stream.close();
      await consumer.close();

      const tx = new Producer({ clientId: "px-plt-txn", bootstrapBrokers: [proxy.url], serializers: stringSerializers, idempotent: true, transactionalId: `${topic}-txn` });
      const kept = await tx.beginTransaction();
      await kept.send({ messages: [{ topic: `${topic}-txn`, partition: 0, value: "kept" }] });
      await kept.commit();
      const dropped = await tx.beginTransaction();
      await dropped.send({ messages: [{ topic: `${topic}-txn`, partition: 0, value: "dropped" }] });
      await dropped.abort();
      await tx.close();
      expect(await visible(`${topic}-txn`, true)).toEqual(["kept"]);
    }, 120_000);
  }
});

test("the proxy reads its options from the environment and .env, and refuses bad ones", async () => {
  const dir = tempDir("tansu-proxy-env-");
  const port = freePortRange(3);
  writeFileSync(join(dir, ".env"), [`UPSTREAM=tcp://${a.url}`, `LISTENER_URL=tcp://127.0.0.1:${port}`, "BROKER_PORT_COUNT=2"].join("\n"));
  const fromEnv = await spawnListening([BROKER_BINARY, "proxy"], { cwd: dir, env: { ADVERTISED_LISTENER_URL: `tcp://127.0.0.1:${port}` } });
  try {
    expect(fromEnv.logs()).toContain(`listening on 127.0.0.1:${port}, broker ports ${port + 1}-${port + 2}`);
    const metadata = await kcat(["-b", `127.0.0.1:${port}`, "-L", "-J"]);
    expect(JSON.parse(metadata.stdout).brokers.map((broker: { name: string }) => broker.name)).toEqual([`127.0.0.1:${port + 1}`]);
  } finally {
    expect(await fromEnv.stop()).toBe(0);
  }
  for (const [args, message] of [
    [[], "--upstream is required"],
    [["--upstream", "http://x:1"], "tcp://"],
    [["--upstream", a.url, "--broker-port-count", "0"], "--broker-port-count"],
    [["--upstream", a.url, "--listener-url", "tcp://127.0.0.1:0"], "no room for"],
  ] as const) {
    const proc = Bun.spawn([BROKER_BINARY, "proxy", ...args], { stdout: "pipe", stderr: "pipe", cwd: tempDir("tansu-proxy-bad-") });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(code).not.toBe(0);
    expect(out + err).toContain(message);
  }
}, 60_000);
