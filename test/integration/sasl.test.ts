// SASL against the compiled broker: users created with `tansu user` in the store, then kcat,
// python confluent-kafka (librdkafka 2.0 and 2.15) and kafka-python over SASL_PLAINTEXT and
// SASL_SSL with PLAIN and both SCRAMs; bad credentials refused while others are served.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { BROKER_BINARY, startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { issue, makeCa, type Ca } from "../harness/certs.ts";
import { kcat } from "../harness/kcat.ts";
import { CURRENT_LIBRDKAFKA, DEBIAN_LIBRDKAFKA, LIBRDKAFKAS, type Librdkafka } from "../harness/librdkafka.ts";
import { python } from "../harness/python.ts";
import { runChecked, runCommand } from "../harness/run.ts";
import { confluentListTopics, confluentRoundTrip, EXPECTED_ROUNDTRIP } from "../harness/secure-clients.ts";

const MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
const tansu = (...args: string[]) => runCommand([BROKER_BINARY, ...args]);

let ca: Ca;
let broker: RunningBroker;

beforeAll(async () => {
  ca = await makeCa("sasl-test-ca");
  const server = await issue(ca, "/CN=localhost", "server");
  const storage = `sqlite://${join(tempDir("tansu-sasl-"), "tansu.db")}`;
  // The first users go straight into the store, before any broker runs.
  await runChecked([BROKER_BINARY, "user", "create", "alice", "--password", "alice-secret", "--storage-engine", storage]);
  await runChecked([BROKER_BINARY, "user", "create", "alice", "--password", "alice-secret", "--mechanism", "SCRAM-SHA-512", "--iterations", "8192", "--storage-engine", storage]);
  broker = await startBroker({
    storage,
    tls: true,
    args: ["--sasl-mechanisms", MECHANISMS.join(","), "--tls-cert-file", server.cert, "--tls-key-file", server.key],
  });
}, 60_000);
afterAll(() => broker.stop());

const sasl = (mechanism: string, password = "alice-secret", user = "alice") => ({
  "security.protocol": "SASL_PLAINTEXT",
  "sasl.mechanism": mechanism,
  "sasl.username": user,
  "sasl.password": password,
});
const saslSsl = (mechanism: string) => ({ ...sasl(mechanism), "security.protocol": "SASL_SSL", "ssl.ca.location": ca.cert });

describe("kcat", () => {
  for (const mechanism of MECHANISMS) {
    test(`${mechanism} over SASL_PLAINTEXT and SASL_SSL`, async () => {
      const topic = `kcat-${mechanism}`;
      const x = (conf: Record<string, string>) => Object.entries(conf).flatMap(([k, v]) => ["-X", `${k}=${v}`]);
      const produced = await kcat(["-b", broker.url, ...x(sasl(mechanism)), "-t", topic, "-P"], { input: "a\nb\n" });
      expect(produced.stderr).not.toContain("ERROR");
      const consumed = await kcat(["-b", broker.tlsUrl!, ...x(saslSsl(mechanism)), "-t", topic, "-C", "-e", "-o", "beginning"]);
      expect(consumed.stderr).not.toContain("ERROR");
      expect(consumed.stdout.trim().split("\n")).toEqual(["a", "b"]);
    });
  }
});

describe("python confluent-kafka: produce, consume in a group, commit", () => {
  for (const lib of LIBRDKAFKAS) {
    test(`${lib.name}, every mechanism, SASL_PLAINTEXT and SASL_SSL`, async () => {
      const runs = MECHANISMS.flatMap((mechanism) =>
        [sasl(mechanism), saslSsl(mechanism)].map(async (conf) => {
          const topic = `py-${lib.name.replace(/\W/g, "")}-${mechanism}-${conf["security.protocol"]}`;
          const { result, out } = await confluentRoundTrip(conf["security.protocol"] === "SASL_SSL" ? broker.tlsUrl! : broker.url, topic, conf, lib.env);
          return { topic, out: out ?? result.stderr };
        }),
      );
      for (const { topic, out } of await Promise.all(runs)) expect([topic, out]).toEqual([topic, expect.objectContaining(EXPECTED_ROUNDTRIP)]);
    }, 120_000);
  }
});

test("kafka-python with PLAIN and both SCRAMs", async () => {
  const script = String.raw`
import sys, json
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
out = {}
for mech in ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]:
    conf = dict(bootstrap_servers=sys.argv[1], security_protocol="SASL_PLAINTEXT", sasl_mechanism=mech, sasl_plain_username="alice", sasl_plain_password="alice-secret")
    topic = "kafka-python-" + mech
    p = KafkaProducer(**conf)
    for i in range(5): p.send(topic, ("%s-%d" % (mech, i)).encode())
    p.flush(); p.close()
    c = KafkaConsumer(**conf)
    c.assign([TopicPartition(topic, 0)])
    c.seek_to_beginning()
    got = []
    for _ in range(20):
        for records in c.poll(timeout_ms=500).values(): got += [r.value.decode() for r in records]
        if len(got) >= 5: break
    out[mech] = sorted(got)
    c.close()
print(json.dumps(out))
`;
  const result = await python(script, [broker.url], { timeoutMs: 60_000 });
  expect(result.stderr).not.toContain("Traceback");
  expect(JSON.parse(result.stdout)).toEqual(Object.fromEntries(MECHANISMS.map((m) => [m, [0, 1, 2, 3, 4].map((i) => `${m}-${i}`)])));
}, 60_000);

test("a wrong password, an unknown user and a missing mechanism are refused; the broker serves others meanwhile", async () => {
  const refused = await Promise.all([
    ...MECHANISMS.map((m) => confluentListTopics(broker.url, sasl(m, "wrong"))),
    ...MECHANISMS.map((m) => confluentListTopics(broker.url, sasl(m, "alice-secret", "mallory"))),
    confluentListTopics(broker.url, sasl("SCRAM-SHA-512", "alice-secret", "nobody")),
    confluentListTopics(broker.url, { "security.protocol": "PLAINTEXT" }),
  ]);
  for (const { listed } of refused) expect(listed).toBe(false);
  expect(refused[0]!.log).toContain("Invalid username or password");
  expect(refused[1]!.log).toContain("Invalid user credentials");
  expect(broker.logs()).toContain("Metadata request before SASL authentication");
  expect((await confluentListTopics(broker.url, sasl("SCRAM-SHA-256"))).listed).toBe(true);
}, 60_000);

test("tansu user through the broker, with -X properties and --command-config", async () => {
  const x = ["-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanism=SCRAM-SHA-256", "-X", "sasl.username=alice", "-X", "sasl.password=alice-secret", "-X", `ssl.ca.location=${ca.cert}`];
  const created = await tansu("user", "create", "bob", "--password", "bob-secret", "--mechanism", "SCRAM-SHA-512", "--broker", broker.tlsUrl!, ...x);
  expect(created.stderr).toBe("");
  expect(created.exitCode).toBe(0);
  expect((await confluentListTopics(broker.url, sasl("SCRAM-SHA-512", "bob-secret", "bob"))).listed).toBe(true);

  const config = join(tempDir("tansu-client-"), "client.properties");
  writeFileSync(
    config,
    ["# Kafka tools' client properties", "security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN", 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";'].join("\n"),
  );
  const listed = await tansu("user", "list", "--broker", broker.url, "--command-config", config);
  expect(listed.exitCode).toBe(0);
  expect(listed.stdout).toContain("alice\tSCRAM-SHA-256=iterations=4096,SCRAM-SHA-512=iterations=8192");
  expect(listed.stdout).toContain("bob\tSCRAM-SHA-512=iterations=4096");

  expect((await tansu("user", "delete", "bob", "--broker", broker.url, "--command-config", config)).exitCode).toBe(0);
  expect((await confluentListTopics(broker.url, sasl("SCRAM-SHA-512", "bob-secret", "bob"))).listed).toBe(false);
  const again = await tansu("user", "delete", "bob", "--broker", broker.url, "--command-config", config);
  expect(again.exitCode).toBe(1);
  expect(again.stderr + again.stdout).toContain("user bob does not exist");

  const badLogin = await tansu("user", "list", "--broker", broker.url, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN", "-X", "sasl.username=alice", "-X", "sasl.password=nope");
  expect(badLogin.exitCode).toBe(1);
  expect(badLogin.stderr + badLogin.stdout).toContain("Invalid username or password");
}, 60_000);

test("re-authentication (KIP-368): librdkafka 2.15 renews its session and keeps its connection; 2.0 cannot and is disconnected", async () => {
  const reauth = await startBroker({ storage: broker.storage, args: ["--sasl-mechanisms", "SCRAM-SHA-256", "--connections-max-reauth-ms", "1000"] });
  try {
    const script = String.raw`
import sys, json, time
from confluent_kafka import Producer
acked = []
p = Producer({"bootstrap.servers": sys.argv[1], "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256",
              "sasl.username": "alice", "sasl.password": "alice-secret", "client.id": sys.argv[2]})
for i in range(30):  # three seconds: past three session lifetimes
    p.produce("reauth-" + sys.argv[2], b"x", on_delivery=lambda err, msg: acked.append(err is None))
    time.sleep(0.1)
    p.poll(0)
p.flush(15)
print(json.dumps({"acked": sum(acked)}))
`;
    const clientId = (lib: Librdkafka) => lib.name.replace(/\W/g, "");
    const [current, old] = await Promise.all(
      [CURRENT_LIBRDKAFKA, DEBIAN_LIBRDKAFKA].map((lib) => python(script, [reauth.url, clientId(lib)], { env: lib.env, timeoutMs: 60_000 })),
    );
    // Both delivered everything; only the old client was cut off when its session ran out.
    expect(JSON.parse(current!.stdout)).toEqual({ acked: 30 });
    expect(JSON.parse(old!.stdout)).toEqual({ acked: 30 });
    const expired = (client: string) => reauth.logs().includes(`from client ${client} after the SASL session expired`);
    expect([expired(clientId(CURRENT_LIBRDKAFKA)), expired(clientId(DEBIAN_LIBRDKAFKA))]).toEqual([false, true]);
  } finally {
    await reauth.stop();
  }
}, 90_000);

test("tansu perf produces and consumes over SASL_SSL with -X properties", async () => {
  const x = ["-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanism=SCRAM-SHA-512", "-X", "sasl.username=alice", "-X", "sasl.password=alice-secret", "-X", `ssl.ca.location=${ca.cert}`];
  const produced = await tansu("perf", "produce", "perf-sasl", "--records", "500", "--record-size", "100", "--json", "--broker", broker.tlsUrl!, ...x);
  expect(produced.stderr).toBe("");
  expect(JSON.parse(produced.stdout)).toMatchObject({ records: 500, errors: 0 });
  const consumed = await tansu("perf", "consume", "perf-sasl", "--records", "500", "--json", "--broker", broker.tlsUrl!, ...x);
  expect(JSON.parse(consumed.stdout)).toMatchObject({ records: 500, timedOut: false });

  const refused = await tansu("perf", "produce", "perf-sasl", "--records", "1", "--record-size", "1", "--broker", broker.tlsUrl!, ...x.slice(0, -4), "-X", "sasl.password=nope", "-X", `ssl.ca.location=${ca.cert}`);
  expect(refused.exitCode).toBe(1);
  expect(refused.stderr).toContain("SCRAM-SHA-512 authentication to 127.0.0.1");
  expect(refused.stderr).toContain("Invalid user credentials");
}, 60_000);
