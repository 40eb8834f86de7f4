// An idempotent librdkafka producer (python3-confluent-kafka) keeps producing while its broker
// is SIGKILLed and restarted on the same store: requests in flight at the kill are retried
// with their original sequence numbers, and the store's idempotence check (durable, in the
// same atomic step as the append) acknowledges the ones already written without writing
// them again. Every acknowledged record must be in the log exactly once. With Debian's librdkafka and the
// current build, whose idempotent producer speaks newer Produce and InitProducerId versions.
import { afterAll, expect, test } from "bun:test";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { LIBRDKAFKAS } from "../harness/librdkafka.ts";
import { PYTHON, python } from "../harness/python.ts";

const RECORDS = 60_000;
const KILL_AFTER_ACKS = 5_000;

// Prints "acked <n>" after every 1000 acknowledgements (flushed, so the test can act on it),
// then one JSON line: every acknowledged value and every delivery failure.
const PRODUCE = String.raw`
import json, sys
from confluent_kafka import Producer
bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
acked, failed = [], []
def report(err, msg):
    if err is None:
        acked.append(int(msg.value()))
        if len(acked) % 1000 == 0:
            print("acked %d" % len(acked), flush=True)
    else:
        failed.append(str(err))
p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 2,
              "batch.num.messages": 200, "message.timeout.ms": 120000, "reconnect.backoff.ms": 50,
              "reconnect.backoff.max.ms": 200})
for i in range(count):
    while True:
        try:
            p.produce(topic, str(i).encode(), partition=0, on_delivery=report)
            break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
left = p.flush(150)
print(json.dumps({"acked": acked, "failed": failed, "unflushed": left}), flush=True)
`;

const CONSUME = String.raw`
import json, sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "idempotent-check", "enable.auto.commit": False,
              "enable.partition.eof": True})
c.assign([TopicPartition(sys.argv[2], 0, 0)])
values = []
while True:
    m = c.poll(20)
    if m is None:
        raise SystemExit("no end of partition within 20 s")
    if m.error():
        if m.error().code() == -191:  # _PARTITION_EOF
            break
        raise SystemExit(str(m.error()))
    values.append(int(m.value()))
c.close()
print(json.dumps(values))
`;

const brokers: RunningBroker[] = [];
afterAll(async () => {
  for (const b of brokers) await b.stop("SIGKILL");
});

/** Lines of a child's stdout, as they arrive. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    yield* parts;
  }
  if (pending !== "") yield pending;
}

for (const lib of LIBRDKAFKAS) {
  test(`${lib.name}: SIGKILL and restart mid-stream: every acknowledged record is in the log exactly once`, async () => {
    const first = await startBroker();
    brokers.push(first);
    const create = await python(
      `import sys\nfrom confluent_kafka.admin import AdminClient, NewTopic\na = AdminClient({"bootstrap.servers": sys.argv[1]})\na.create_topics([NewTopic("idempotent-restart", 1, 1)])["idempotent-restart"].result(20)`,
      [first.url],
      { env: lib.env },
    );
    expect(create.exitCode, create.stderr).toBe(0);

    const producer = Bun.spawn([PYTHON, "-c", PRODUCE, first.url, "idempotent-restart", String(RECORDS)], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...lib.env },
    });
    const bound = setTimeout(() => producer.kill("SIGKILL"), 180_000);
    const stderr = new Response(producer.stderr).text();
    let ackedAtKill = -1;
    let summary: { acked: number[]; failed: string[]; unflushed: number } | null = null;
    for await (const line of lines(producer.stdout)) {
      const progress = /^acked (\d+)$/.exec(line);
      if (progress && ackedAtKill < 0 && Number(progress[1]) >= KILL_AFTER_ACKS) {
        ackedAtKill = Number(progress[1]);
        expect(await first.stop("SIGKILL")).toBe(128 + 9);
        brokers.push(await startBroker({ storage: first.storage, port: first.port }));
      } else if (line.startsWith("{")) {
        summary = JSON.parse(line);
      }
    }
    clearTimeout(bound);
    expect(await producer.exited, await stderr).toBe(0);

    // The kill really happened mid-stream, not after the producer was done.
    expect(ackedAtKill).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(ackedAtKill).toBeLessThan(RECORDS);
    expect(summary).not.toBeNull();
    expect(summary!.failed).toEqual([]);
    expect(summary!.unflushed).toBe(0);
    expect(summary!.acked.length).toBe(RECORDS);

    const consumed = await python(CONSUME, [brokers.at(-1)!.url, "idempotent-restart"], { timeoutMs: 60_000, env: lib.env });
    expect(consumed.exitCode, consumed.stderr).toBe(0);
    const values: number[] = JSON.parse(consumed.stdout);
    const counts = new Map<number, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const notOnce = summary!.acked.filter((v) => counts.get(v) !== 1);
    expect(notOnce).toEqual([]);
    // Nothing else either: no duplicates of any record, and the log is in produce order.
    expect(values).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
  }, 240_000);
}
