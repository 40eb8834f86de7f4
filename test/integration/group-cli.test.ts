// `tansu group` against groups made by real clients: a classic group (Debian's librdkafka) and a
// KIP-848 group (librdkafka 2.15, group.protocol=consumer). Describe shows what the client
// committed and the member that owns each partition; seek refuses an active group, changes
// nothing with --dry-run, and moves a stopped group so its next consumer starts where asked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BROKER_BINARY, startBroker, type RunningBroker } from "../harness/broker.ts";
import { CURRENT_LIBRDKAFKA, DEBIAN_LIBRDKAFKA, type Librdkafka } from "../harness/librdkafka.ts";
import { PYTHON } from "../harness/python.ts";
import { runCommand } from "../harness/run.ts";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ env: { FETCH_POLL_MS: "50" } });
});
afterAll(() => broker.stop());

// Creates a two-partition topic with 5 records in each, joins the group, commits 3 on partition 0
// and 1 on partition 1, reports its assignment and then waits for a line on stdin before leaving.
const MEMBER = String.raw`
import sys, json
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, topic, group = sys.argv[1:4]
settings = json.loads(sys.argv[4])
admin = AdminClient({"bootstrap.servers": bootstrap})
admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result()
p = Producer({"bootstrap.servers": bootstrap})
for i in range(10):
    p.produce(topic, value=b"r%d" % i, partition=i % 2)
if p.flush(30) != 0: sys.exit("unacknowledged records")
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "cli-test-member", "auto.offset.reset": "earliest",
              "enable.auto.commit": False, **settings})
c.subscribe([topic])
import time
deadline = time.time() + 60
while len(c.assignment()) < 2:
    if time.time() > deadline: sys.exit("no assignment of both partitions within 60 s: %s" % c.assignment())
    c.poll(0.1)
c.commit(offsets=[TopicPartition(topic, 0, 3), TopicPartition(topic, 1, 1)], asynchronous=False)
print(json.dumps({"assigned": sorted(tp.partition for tp in c.assignment())}), flush=True)
sys.stdin.readline()
c.close()
`;

// A new member of the group: the offset of the first record it receives from each partition.
const NEXT_CONSUMER = String.raw`
import sys, json, time
from confluent_kafka import Consumer
bootstrap, topic, group = sys.argv[1:4]
settings = json.loads(sys.argv[4])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False, **settings})
c.subscribe([topic])
first = {}
deadline = time.time() + 60
while len(first) < 2:
    if time.time() > deadline: sys.exit("records from only %s within 60 s" % first)
    m = c.poll(0.2)
    if m is None or m.error(): continue
    first.setdefault(str(m.partition()), m.offset())
c.close()
print(json.dumps(first))
`;

async function tansuGroup(args: string[]) {
  return runCommand([BROKER_BINARY, "group", ...args, "--broker", broker.url], { timeoutMs: 30_000 });
}

async function describeJson(group: string) {
  const run = await tansuGroup(["describe", group, "--format", "json"]);
  expect(run.stderr).toBe("");
  expect(run.exitCode).toBe(0);
  return JSON.parse(run.stdout) as {
    type: string;
    state: string;
    members: Array<{ memberId: string; clientId: string }>;
    partitions: Array<{ topic: string; partition: number; currentOffset: number | null; logEndOffset: number; lag: number | null; memberId: string | null }>;
  };
}

function groupTests(kind: string, type: "classic" | "consumer", settings: () => Record<string, string | number>, lib: Librdkafka) {
  describe(`${kind} (${lib.name})`, () => {
    const topic = `cli-${type}`;
    const group = `cli-${type}-group`;

    test("describe shows the live member and what it committed; seek refuses the active group", async () => {
      const member = Bun.spawn([PYTHON, "-c", MEMBER, broker.url, topic, group, JSON.stringify(settings())], {
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, ...lib.env },
      });
      const timer = setTimeout(() => member.kill("SIGKILL"), 120_000);
      try {
        const reader = member.stdout.getReader();
        const { value } = await reader.read();
        if (!value) throw new Error(`member exited early: ${await new Response(member.stderr).text()}`);
        expect(JSON.parse(new TextDecoder().decode(value))).toEqual({ assigned: [0, 1] });

        const d = await describeJson(group);
        expect(d.type).toBe(type);
        expect(d.state).toBe("Stable");
        expect(d.members.map((m) => m.clientId)).toEqual(["cli-test-member"]);
        const memberId = d.members[0]!.memberId;
        expect(memberId).not.toBe("");
        expect(d.partitions.map((p) => [p.topic, p.partition, p.currentOffset, p.logEndOffset, p.lag, p.memberId])).toEqual([
          [topic, 0, 3, 5, 2, memberId],
          [topic, 1, 1, 5, 4, memberId],
        ]);

        const listed = await tansuGroup(["list"]);
        expect(listed.exitCode).toBe(0);
        expect(listed.stdout).toMatch(new RegExp(`^${group}\\s+${type}\\s+Stable$`, "m"));

        const refused = await tansuGroup(["seek", group, "--to-earliest"]);
        expect(refused.exitCode).toBe(1);
        expect(refused.stderr.trim().split("\n")).toHaveLength(1);
        expect(refused.stderr).toContain(`group ${group} is Stable with 1 member(s)`);

        member.stdin.write("leave\n");
        await member.stdin.end();
        reader.releaseLock();
        expect(await member.exited).toBe(0);
      } finally {
        clearTimeout(timer);
        member.kill();
      }
    }, 150_000);

    test("seek --dry-run changes nothing; seek moves the stopped group and its next consumer starts there", async () => {
      const dry = await tansuGroup(["seek", group, "--to-earliest", "--dry-run"]);
      expect(dry.exitCode).toBe(0);
      expect(dry.stdout).toMatch(new RegExp(`${group}\\s+${topic}\\s+0\\s+3\\s+0`));
      expect(dry.stdout).toContain("Dry run: nothing was committed.");
      expect((await describeJson(group)).partitions.map((p) => p.currentOffset)).toEqual([3, 1]);

      const moved = await tansuGroup(["seek", group, "--to-offset", "4", "--topic", `${topic}:0`]);
      expect(moved.exitCode).toBe(0);
      const shifted = await tansuGroup(["seek", group, "--shift-by", "1", "--topic", `${topic}:1`]);
      expect(shifted.exitCode).toBe(0);
      const d = await describeJson(group);
      expect(d.state).toBe("Empty");
      expect(d.partitions.map((p) => p.currentOffset)).toEqual([4, 2]);

      const next = await runCommand([PYTHON, "-c", NEXT_CONSUMER, broker.url, topic, group, JSON.stringify(settings())], { timeoutMs: 90_000, env: lib.env });
      expect(next.stderr).not.toContain("Traceback");
      expect(next.exitCode).toBe(0);
      expect(JSON.parse(next.stdout)).toEqual({ "0": 4, "1": 2 });
    }, 120_000);

    test("delete removes the stopped group; describing it then fails in one line", async () => {
      const deleted = await tansuGroup(["delete", group]);
      expect(deleted.exitCode).toBe(0);
      const gone = await tansuGroup(["describe", group]);
      expect(gone.exitCode).toBe(1);
      expect(gone.stderr.trim()).toMatch(new RegExp(`group ${group} does not exist$`));
    });
  });
}

groupTests("classic group", "classic", () => ({ "session.timeout.ms": 6000, "heartbeat.interval.ms": 300 }), DEBIAN_LIBRDKAFKA);

groupTests("KIP-848 consumer group", "consumer", () => ({ "group.protocol": "consumer" }), CURRENT_LIBRDKAFKA);

test("seek with no target, or two, is a one-line error", async () => {
  for (const args of [["seek", "g"], ["seek", "g", "--to-earliest", "--to-latest"]]) {
    const run = await tansuGroup(args);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim()).toMatch(/give exactly one of --to-earliest/);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  }
});
