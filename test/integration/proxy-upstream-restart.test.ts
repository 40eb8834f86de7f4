// An upstream broker killed and restarted while a client produces through the proxy: the proxy closes the
// client's connections while the broker is gone, keeps running, and the same producer (python
// confluent-kafka, idempotent) delivers everything once the broker is back, without being restarted.
import { afterAll, expect, test } from "bun:test";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { startProxy, type RunningProxy } from "../harness/proxy.ts";
import { PYTHON } from "../harness/python.ts";
import { until } from "../harness/until.ts";

let broker: RunningBroker | undefined;
let proxy: RunningProxy | undefined;

afterAll(async () => {
  await proxy?.stop();
  await broker?.stop();
});

// Produces 300 records, says so, waits for "go" on stdin, queues 300 more and waits for all of them.
const PRODUCER = String.raw`
import sys, json
from confluent_kafka import Producer
bootstrap = sys.argv[1]
acked, errors = [], []
def report(err, msg):
    if err is None: acked.append(msg.value().decode())
    else: errors.append(str(err))
p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5, "reconnect.backoff.max.ms": 500})
def produce(start, end):
    for i in range(start, end):
        p.produce("restarts", ("r%d" % i).encode(), partition=0, on_delivery=report)
        p.poll(0)
produce(0, 300)
p.flush(60)
print("first half acked", len(acked), flush=True)
sys.stdin.readline()
produce(300, 600)
p.poll(0)
print("second half queued", flush=True)
left = p.flush(120)
print(json.dumps({"left": left, "acked": acked, "errors": errors}), flush=True)
`;

test("a producer rides out its upstream broker being killed and restarted behind the proxy", async () => {
  broker = await startBroker();
  proxy = await startProxy([broker.url]);
  const producer = Bun.spawn([PYTHON, "-c", PRODUCER, proxy.url], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  let out = "";
  void (async () => {
    for await (const chunk of producer.stdout) out += new TextDecoder().decode(chunk);
  })();
  const stderr = new Response(producer.stderr).text();
  try {
    await until(() => out.includes("first half acked 300"), "the first 300 records to be acknowledged", 60_000);

    const { storage, port } = broker;
    await broker.stop("SIGKILL");
    broker = undefined;
    // The proxy closes the client connections the broker served.
    await until(() => proxy!.logs().includes("closed: closing the client connection"), "the proxy to close the producer's connection", 60_000);
    producer.stdin.write("go\n");
    producer.stdin.flush();
    await until(() => out.includes("second half queued"), "the producer to queue the second half", 60_000);
    // The producer keeps trying while the broker is gone; the proxy turns it away, and keeps running.
    await until(() => proxy!.logs().includes("cannot reach upstream broker"), "the producer to retry through the proxy", 60_000);

    broker = await startBroker({ storage, port });
    expect(await producer.exited).toBe(0);
    const result = JSON.parse(out.trim().split("\n").at(-1)!) as { left: number; acked: string[]; errors: string[] };
    expect(result.errors).toEqual([]);
    expect(result.left).toBe(0);
    expect(new Set(result.acked).size).toBe(600);

    const consumed = await kcat(["-b", proxy.url, "-t", "restarts", "-p", "0", "-C", "-e", "-o", "beginning"], { timeoutMs: 60_000 });
    expect(consumed.exitCode).toBe(0);
    // Idempotence held across the restart: each record once, in order.
    expect(consumed.stdout.trim().split("\n")).toEqual(Array.from({ length: 600 }, (_, i) => `r${i}`));
  } finally {
    producer.kill();
    const errors = await stderr;
    if (producer.exitCode !== 0) console.error(errors);
  }
}, 180_000);
