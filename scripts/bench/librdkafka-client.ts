// The librdkafka side of the broker benchmarks: python3-confluent-kafka produces `records` values
// of `valueBytes` to one partition (acks=all, no compression) through dist/tansu, then consumes
// them back; the seconds each took.
import { startBroker } from "../../test/harness/broker.ts";
import { python } from "../../test/harness/python.ts";

const CLIENT = String.raw`
import sys, time, json
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, topic, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
value = b"x" * size
p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "batch.num.messages": 10000, "acks": "all", "compression.type": "none"})
t0 = time.perf_counter()
for i in range(n):
    while True:
        try:
            p.produce(topic, value); break
        except BufferError:
            p.poll(0.01)
if p.flush(300) != 0: sys.exit("records left unacknowledged")
produce_s = time.perf_counter() - t0
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench", "enable.auto.commit": False, "fetch.max.bytes": 52428800})
c.assign([TopicPartition(topic, 0, 0)])
got = 0
t0 = time.perf_counter()
while got < n:
    if time.perf_counter() - t0 > 300: sys.exit("consumed only %d of %d records" % (got, n))
    for m in c.consume(10000, 5.0):
        if m.error() is None: got += 1
consume_s = time.perf_counter() - t0
c.close()
print(json.dumps({"produce_s": produce_s, "consume_s": consume_s}))
`;

export interface ClientTiming {
  produce_s: number;
  consume_s: number;
}

/** The client against a broker already running at `bootstrap`. */
export async function librdkafkaClient(bootstrap: string, records: number, valueBytes: number): Promise<ClientTiming> {
  const client = await python(CLIENT, [bootstrap, "bench", String(records), String(valueBytes)], { timeoutMs: 900_000 });
  if (client.exitCode !== 0) throw new Error(`client failed: ${client.stderr}`);
  return JSON.parse(client.stdout) as ClientTiming;
}

/** One run against a fresh broker on `storage` (the harness's launcher: free port, waits for its "listening" line). */
export async function librdkafkaRun(storage: string, records: number, valueBytes: number): Promise<ClientTiming> {
  const broker = await startBroker({ storage });
  try {
    return await librdkafkaClient(broker.url, records, valueBytes);
  } finally {
    await broker.stop();
  }
}
