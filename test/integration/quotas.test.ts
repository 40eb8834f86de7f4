// Client quotas against the compiled broker: set and read with @platformatic/kafka's
// AlterClientQuotas and DescribeClientQuotas, then a python confluent-kafka producer with a
// producer_byte_rate takes much longer for the same volume than an unthrottled one, and sees the
// throttle_time_ms the broker sends. The measure is a ratio between two runs on the same machine.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Admin } from "@platformatic/kafka";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { python } from "../harness/python.ts";

let broker: RunningBroker;

beforeAll(async () => {
  // Rates over two 1-second windows: a throttled client reaches its steady rate after a burst
  // of one window's worth rather than Kafka's default ten, which keeps the test short.
  broker = await startBroker({ env: { QUOTA_WINDOW_NUM: "2", SECURITY_CACHE_MS: "0" } });
});
afterAll(() => broker.stop());

const RATE = 100 * 1024;
const VOLUME = 6 * RATE;

const PRODUCE = String.raw`
import sys, json, time
from confluent_kafka import Producer
throttles = []
p = Producer({"bootstrap.servers": sys.argv[1], "client.id": sys.argv[2], "linger.ms": 5, "batch.size": 16384,
              "throttle_cb": lambda event: throttles.append(event.throttle_time)})
payload = b"x" * 10240
count = int(sys.argv[3]) // len(payload)
acked = []
started = time.monotonic()
for i in range(count):
    while True:
        try:
            p.produce("quota-topic", payload, on_delivery=lambda err, msg: acked.append(err is None)); break
        except BufferError:
            p.poll(0.05)
    p.poll(0)
p.flush(120)
print(json.dumps({"seconds": time.monotonic() - started, "acked": sum(acked), "count": count, "throttles": throttles}))
`;

async function produce(clientId: string): Promise<{ seconds: number; acked: number; count: number; throttles: number[] }> {
  const result = await python(PRODUCE, [broker.url, clientId, String(VOLUME)], { timeoutMs: 120_000 });
  if (result.exitCode !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

test("a producer_byte_rate set with AlterClientQuotas slows its client to the rate, with throttle_time_ms", async () => {
  const admin = new Admin({ clientId: "quota-admin", bootstrapBrokers: [broker.url] });
  try {
    await admin.alterClientQuotas({
      entries: [{ entities: [{ entityType: "client-id", entityName: "throttled" }], ops: [{ key: "producer_byte_rate", value: RATE, remove: false }] }],
    });
    const described = await admin.describeClientQuotas({ components: [{ entityType: "client-id", matchType: 0, match: "throttled" }] });
    expect(described).toEqual([{ entity: [{ entityType: "client-id", entityName: "throttled" }], values: [{ key: "producer_byte_rate", value: RATE }] }]);
  } finally {
    await admin.close();
  }
  const free = await produce("unthrottled");
  const slowed = await produce("throttled");
  expect([free.acked, slowed.acked]).toEqual([free.count, slowed.count]);
  expect(free.throttles).toEqual([]);
  expect(slowed.throttles.length).toBeGreaterThan(0);
  expect(Math.max(...slowed.throttles)).toBeGreaterThan(0);
  // 6 windows' worth at the rate, the first window's worth free: about five seconds, against well
  // under one unthrottled. The ratio, not either time, is what the test holds to.
  expect(slowed.seconds / free.seconds).toBeGreaterThan(3);
  console.log(`quota: ${VOLUME} bytes in ${free.seconds.toFixed(2)} s unthrottled, ${slowed.seconds.toFixed(2)} s at ${RATE} B/s`);
}, 120_000);
