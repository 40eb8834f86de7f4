// ACLs against the compiled broker with SASL: what a principal without rights gets from
// python confluent-kafka (librdkafka) on produce, fetch, group join, offset commit,
// transactions and topic creation; rights granted with `tansu acl` and with kafka-python's
// AdminClient; prefixed and deny rules; super users; mTLS principals; two brokers on one store.
// On sqlite://, and on postgres://, where a connection's Produces may overlap (the ACL check
// still comes first).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BROKER_BINARY, startBroker, type RunningBroker } from "../harness/broker.ts";
import { issue, makeCa } from "../harness/certs.ts";
import { python } from "../harness/python.ts";
import { runChecked, runCommand } from "../harness/run.ts";
import { describeStores } from "../harness/stores.ts";

const TOPIC_AUTHORIZATION_FAILED = 29;
const GROUP_AUTHORIZATION_FAILED = 30;
const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53;

// One check per step, each printing the Kafka error code librdkafka reported (0: it worked).
const PROBE = String.raw`
import sys, json
from confluent_kafka import Producer, Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, conf, steps = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3].split(",")
conf = dict(conf, **{"bootstrap.servers": bootstrap})
out = {}
def code(e): return e.args[0].code()
for step in steps:
    kind, _, arg = step.partition(":")
    if kind == "create":
        try:
            a = AdminClient(conf)  # held: a collected client fails its futures
            a.create_topics([NewTopic(arg, 1, 1)])[arg].result(10); out[step] = 0
        except KafkaException as e: out[step] = code(e)
    elif kind == "produce":
        res = []
        p = Producer(dict(conf, **{"message.timeout.ms": 5000}))
        p.produce(arg, b"x", on_delivery=lambda err, msg: res.append(err.code() if err else 0))
        p.flush(10); out[step] = res[0] if res else "no delivery report"
    elif kind in ("fetch", "commit"):
        c = Consumer(dict(conf, **{"group.id": "acl-group", "enable.auto.commit": False}))
        if kind == "fetch":
            c.assign([TopicPartition(arg, 0, 0)])
            out[step] = "nothing"
            for _ in range(20):
                m = c.poll(0.5)
                if m is not None:
                    out[step] = m.error().code() if m.error() else 0; break
        else:
            try:
                c.commit(offsets=[TopicPartition(arg, 0, 1)], asynchronous=False); out[step] = 0
            except KafkaException as e: out[step] = code(e)
        c.close()
    elif kind == "join":
        c = Consumer(dict(conf, **{"group.id": arg, "auto.offset.reset": "earliest"}))
        c.subscribe(["acl-topic"])
        out[step] = "nothing"
        for _ in range(20):
            m = c.poll(0.5)
            if m is not None:
                out[step] = m.error().code() if m.error() else 0; break
            if c.assignment(): out[step] = 0; break
        c.close()
    elif kind == "txn":
        t = Producer(dict(conf, **{"transactional.id": arg}))
        try:
            t.init_transactions(10); out[step] = 0
        except KafkaException as e: out[step] = code(e)
print(json.dumps(out))
`;

const sasl = (user: string) => ({ "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256", "sasl.username": user, "sasl.password": `${user}-pw` });

async function probe(bootstrap: string, conf: Record<string, string>, steps: string[]): Promise<Record<string, number | string>> {
  const result = await python(PROBE, [bootstrap, JSON.stringify(conf), steps.join(",")], { timeoutMs: 90_000 });
  if (result.exitCode !== 0) throw new Error(`probe failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

// kafka-python's AdminClient, as a super user: CreateAcls, DescribeAcls and DeleteAcls.
const ADMIN = String.raw`
import sys, json
from kafka.admin import KafkaAdminClient, ACL, ACLFilter, ResourcePattern, ResourcePatternFilter, ACLOperation, ACLPermissionType, ResourceType, ACLResourcePatternType
bootstrap, action = sys.argv[1], sys.argv[2]
a = KafkaAdminClient(bootstrap_servers=bootstrap, security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN", sasl_plain_username="admin", sasl_plain_password="admin-pw")
def acl(principal, op, topic, pattern="LITERAL", permission="ALLOW"):
    return ACL(principal, "*", ACLOperation[op], ACLPermissionType[permission], ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType[pattern]))
if action == "create":
    spec = json.loads(sys.argv[3])
    result = a.create_acls([acl(*s) for s in spec])
    print(json.dumps({"failed": [str(e) for _, e in result["failed"]], "succeeded": len(result["succeeded"])}))
elif action == "describe":
    acls, error = a.describe_acls(ACLFilter(principal=None, host=None, operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(ResourceType.TOPIC, sys.argv[3], ACLResourcePatternType.MATCH)))
    print(json.dumps(sorted([x.principal, x.operation.name, x.permission_type.name, x.resource_pattern.resource_name, x.resource_pattern.pattern_type.name] for x in acls)))
elif action == "delete":
    result = a.delete_acls([ACLFilter(principal=sys.argv[4], host=None, operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(ResourceType.TOPIC, sys.argv[3], ACLResourcePatternType.ANY))])
    print(json.dumps([len(matched) for _, matched, error in result]))
`;

async function admin(bootstrap: string, ...args: string[]): Promise<unknown> {
  const result = await python(ADMIN, [bootstrap, ...args], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) throw new Error(`admin failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

let storage: string;
let broker: RunningBroker;
const brokerArgs = ["--sasl-mechanisms", "PLAIN,SCRAM-SHA-256", "--authorizer", "acl", "--super-users", "User:admin;User:ops"];
// ACL changes made through another broker apply within SECURITY_CACHE_MS.
const env = { SECURITY_CACHE_MS: "200" };
const adminX = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=SCRAM-SHA-256", "-X", "sasl.username=admin", "-X", "sasl.password=admin-pw"];
const tansuAcl = (...args: string[]) => runCommand([BROKER_BINARY, "acl", ...args, "--broker", broker.url, ...adminX]);

describeStores((fresh) => {
  beforeAll(async () => {
    storage = (await fresh()).storage!;
    for (const user of ["admin", "alice", "bob"]) await runChecked([BROKER_BINARY, "user", "create", user, "--password", `${user}-pw`, "--storage-engine", storage]);
    broker = await startBroker({ storage, args: brokerArgs, env });
  }, 60_000);
  afterAll(() => broker.stop());

  test("a super user may do everything without any ACL", async () => {
    expect(await probe(broker.url, sasl("admin"), ["create:acl-topic", "produce:acl-topic", "fetch:acl-topic", "commit:acl-topic", "join:admin-group", "txn:admin-txn"])).toEqual({
      "create:acl-topic": 0,
      "produce:acl-topic": 0,
      "fetch:acl-topic": 0,
      "commit:acl-topic": 0,
      "join:admin-group": 0,
      "txn:admin-txn": 0,
    });
  }, 90_000);

  describe("alice, granted rights step by step with tansu acl", () => {
    test("without ACLs: topic, group and transactional id authorization errors", async () => {
      expect(await probe(broker.url, sasl("alice"), ["create:alice-topic", "produce:acl-topic", "join:acl-group", "txn:acl-txn"])).toEqual({
        "create:alice-topic": TOPIC_AUTHORIZATION_FAILED,
        "produce:acl-topic": TOPIC_AUTHORIZATION_FAILED,
        "join:acl-group": GROUP_AUTHORIZATION_FAILED,
        "txn:acl-txn": TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      });
    }, 90_000);

    test("READ on the group and DESCRIBE on the topic: Fetch and OffsetCommit refuse the topic", async () => {
      const added = await tansuAcl("add", "--allow-principal", "User:alice", "--operation", "Read", "--group", "acl-group");
      expect(added.stderr).toBe("");
      expect(added.stdout).toContain("ResourcePattern(resourceType=GROUP, name=acl-group, patternType=LITERAL)");
      // Without DESCRIBE, Metadata hides the topic and librdkafka never fetches; with it, Fetch itself refuses.
      expect((await tansuAcl("add", "--allow-principal", "User:alice", "--operation", "Describe", "--topic", "acl-topic")).exitCode).toBe(0);
      expect(await probe(broker.url, sasl("alice"), ["fetch:acl-topic", "commit:acl-topic"])).toEqual({
        "fetch:acl-topic": TOPIC_AUTHORIZATION_FAILED,
        "commit:acl-topic": TOPIC_AUTHORIZATION_FAILED,
      });
    }, 90_000);

    test("--producer and --consumer on the topic, WRITE on the transactional id: everything works", async () => {
      expect((await tansuAcl("add", "--allow-principal", "User:alice", "--producer", "--consumer", "--topic", "acl-topic", "--group", "acl-group")).exitCode).toBe(0);
      expect((await tansuAcl("add", "--allow-principal", "User:alice", "--operation", "Write", "--operation", "Describe", "--transactional-id", "acl-txn")).exitCode).toBe(0);
      expect(await probe(broker.url, sasl("alice"), ["produce:acl-topic", "fetch:acl-topic", "commit:acl-topic", "join:acl-group", "txn:acl-txn"])).toEqual({
        "produce:acl-topic": 0,
        "fetch:acl-topic": 0,
        "commit:acl-topic": 0,
        "join:acl-group": 0,
        "txn:acl-txn": 0,
      });
      const listed = await tansuAcl("list", "--topic", "acl-topic");
      expect(listed.stdout).toContain("(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)");
      expect(listed.stdout).toContain("(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)");
    }, 90_000);

    test("a prefixed rule covers the topics it prefixes and no other", async () => {
      expect((await tansuAcl("add", "--allow-principal", "User:alice", "--operation", "Create", "--operation", "Write", "--topic", "alice-", "--resource-pattern-type", "prefixed")).exitCode).toBe(0);
      expect(await probe(broker.url, sasl("alice"), ["create:alice-made", "produce:alice-made", "create:bob-made"])).toEqual({
        "create:alice-made": 0,
        "produce:alice-made": 0,
        "create:bob-made": TOPIC_AUTHORIZATION_FAILED,
      });
    }, 90_000);

    test("DENY wins over ALLOW, also over User:*", async () => {
      expect((await tansuAcl("add", "--allow-principal", "User:*", "--operation", "Read", "--topic", "shared")).exitCode).toBe(0);
      expect((await tansuAcl("add", "--deny-principal", "User:alice", "--operation", "Read", "--topic", "shared")).exitCode).toBe(0);
      expect((await probe(broker.url, sasl("admin"), ["produce:shared"]))["produce:shared"]).toBe(0);
      expect(await probe(broker.url, sasl("alice"), ["fetch:shared"])).toEqual({ "fetch:shared": TOPIC_AUTHORIZATION_FAILED });
      // bob may read it through User:*; the group needs its own rule.
      expect((await tansuAcl("add", "--allow-principal", "User:bob", "--operation", "Read", "--group", "acl-group")).exitCode).toBe(0);
      expect(await probe(broker.url, sasl("bob"), ["fetch:shared"])).toEqual({ "fetch:shared": 0 });
    }, 90_000);

    test("tansu acl remove takes the rights away again", async () => {
      const removed = await tansuAcl("remove", "--allow-principal", "User:alice", "--operation", "Read", "--group", "acl-group");
      expect(removed.stdout).toContain("Removed ACL");
      expect(await probe(broker.url, sasl("alice"), ["join:acl-group"])).toEqual({ "join:acl-group": GROUP_AUTHORIZATION_FAILED });
      const refused = await runCommand([BROKER_BINARY, "acl", "add", "--allow-principal", "User:alice", "--topic", "x", "--broker", broker.url, ...adminX.map((a) => a.replace("admin", "alice"))]);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr + refused.stdout).toContain("CLUSTER_AUTHORIZATION_FAILED");
    }, 90_000);
  });

  test("kafka-python's AdminClient creates, describes and deletes ACLs", async () => {
    // bob may write to it, not create it.
    expect(await probe(broker.url, sasl("admin"), ["create:bob-topic"])).toEqual({ "create:bob-topic": 0 });
    expect(await admin(broker.url, "create", JSON.stringify([["User:bob", "WRITE", "bob-", "PREFIXED"], ["User:bob", "DESCRIBE", "bob-topic"]]))).toEqual({ failed: [], succeeded: 2 });
    expect(await admin(broker.url, "describe", "bob-topic")).toEqual([
      ["User:bob", "DESCRIBE", "ALLOW", "bob-topic", "LITERAL"],
      ["User:bob", "WRITE", "ALLOW", "bob-", "PREFIXED"],
    ]);
    expect(await probe(broker.url, sasl("bob"), ["produce:bob-topic"])).toEqual({ "produce:bob-topic": 0 });
    expect(await admin(broker.url, "delete", "bob-", "User:bob")).toEqual([1]);
    expect(await probe(broker.url, sasl("bob"), ["produce:bob-topic"])).toEqual({ "produce:bob-topic": TOPIC_AUTHORIZATION_FAILED });
  }, 90_000);

  test("two brokers on one store enforce an ACL created through either", async () => {
    const other = await startBroker({ storage, args: brokerArgs, env });
    try {
      const until = async (bootstrap: string, wanted: number) => {
        const deadline = Date.now() + 20_000;
        let got: number | string = "never probed";
        while (Date.now() < deadline && got !== wanted) got = (await probe(bootstrap, sasl("bob"), ["produce:two-brokers"]))["produce:two-brokers"]!;
        return got;
      };
      expect(await until(other.url, TOPIC_AUTHORIZATION_FAILED)).toBe(TOPIC_AUTHORIZATION_FAILED);
      expect(await admin(other.url, "create", JSON.stringify([["User:bob", "ALL", "two-brokers"]]))).toEqual({ failed: [], succeeded: 1 });
      expect(await until(broker.url, 0)).toBe(0);
      expect(await admin(broker.url, "delete", "two-brokers", "User:bob")).toEqual([1]);
      expect(await until(other.url, TOPIC_AUTHORIZATION_FAILED)).toBe(TOPIC_AUTHORIZATION_FAILED);
    } finally {
      await other.stop();
    }
  }, 120_000);

  test("an mTLS client's principal is its certificate subject", async () => {
    const ca = await makeCa("acl-ca");
    const server = await issue(ca, "/CN=localhost", "server");
    const client = await issue(ca, "/O=Acme/OU=eng/CN=writer", "client");
    const stranger = await issue(ca, "/CN=stranger", "client");
    const tlsBroker = await startBroker({
      storage,
      tls: true,
      args: ["--authorizer", "acl", "--tls-cert-file", server.cert, "--tls-key-file", server.key, "--tls-ca-file", ca.cert],
      env,
    });
    try {
      const granted = await runCommand([BROKER_BINARY, "acl", "add", "--allow-principal", "User:CN=writer,OU=eng,O=Acme", "--operation", "Write", "--topic", "mtls-topic", "--broker", broker.url, ...adminX]);
      expect(granted.exitCode).toBe(0);
      const tls = (cert: { cert: string; key: string }) => ({ "security.protocol": "SSL", "ssl.ca.location": ca.cert, "ssl.certificate.location": cert.cert, "ssl.key.location": cert.key });
      expect((await probe(broker.url, sasl("admin"), ["create:mtls-topic"]))["create:mtls-topic"]).toBe(0);
      const deadline = Date.now() + 20_000;
      let written: number | string = "never probed";
      while (Date.now() < deadline && written !== 0) written = (await probe(tlsBroker.tlsUrl!, tls(client), ["produce:mtls-topic"]))["produce:mtls-topic"]!;
      expect(written).toBe(0);
      expect(await probe(tlsBroker.tlsUrl!, tls(stranger), ["produce:mtls-topic"])).toEqual({ "produce:mtls-topic": TOPIC_AUTHORIZATION_FAILED });
    } finally {
      await tlsBroker.stop();
    }
  }, 120_000);
});
