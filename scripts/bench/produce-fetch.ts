// Produce and consume throughput of 1 KiB records from a librdkafka-based client
// (python3-confluent-kafka) against dist/tansu on memory:// and sqlite://, next to the
// storage floor: the same rows inserted straight into bun:sqlite in batches. On memory:// (the
// fastest path, where per-request overhead shows most) brokers with metrics off and on (the HTTP
// listener serving /metrics, scraped every SCRAPE_EVERY_MS meanwhile) alternate, ROUNDS runs each.
//
//   bun scripts/bench/produce-fetch.ts [records]
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { freePort, startBroker, tempDir } from "../../test/harness/broker.ts";
import { python } from "../../test/harness/python.ts";
import { writeBenchmarkSection } from "./report.ts";

const RECORDS = Number(process.argv[2] ?? 100_000);
const VALUE_BYTES = 1024;
const ROUNDS = 5;
// Far more often than Prometheus scrapes (15 s by default), so that a run of a second or two sees several.
const SCRAPE_EVERY_MS = 200;

const PYTHON = String.raw`
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

interface Timing {
  produce_s: number;
  consume_s: number;
}

/** One broker run (the harness's launcher: free port, waits for its "listening" line); with metrics, /metrics is scraped throughout. */
async function clientRun(storage: string, metrics = false): Promise<Timing> {
  const http = `http://127.0.0.1:${freePort()}`;
  const broker = await startBroker({ storage, args: metrics ? ["--http-listener-url", http] : [] });
  let scrapes = 0;
  // A first scrape before the client starts loads the lag machinery, as a running Prometheus would have.
  if (metrics) await fetch(`${http}/metrics`).then((r) => r.text());
  const scraper = metrics
    ? setInterval(() => {
        void fetch(`${http}/metrics`).then((r) => r.text()).then(() => scrapes++);
      }, SCRAPE_EVERY_MS)
    : undefined;
  try {
    const client = await python(PYTHON, [broker.url, "bench", String(RECORDS), String(VALUE_BYTES)], { timeoutMs: 900_000 });
    if (client.exitCode !== 0) throw new Error(`client failed: ${client.stderr}`);
    if (metrics && scrapes === 0) throw new Error("no /metrics scrape completed during the run");
    return JSON.parse(client.stdout) as Timing;
  } finally {
    clearInterval(scraper);
    await broker.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function sqliteFloor(dir: string): number {
  const db = new Database(join(dir, "floor.db"));
  db.exec("PRAGMA journal_mode=WAL; CREATE TABLE r (offset INTEGER PRIMARY KEY, value BLOB)");
  const insert = db.prepare("INSERT INTO r (offset, value) VALUES (?, ?)");
  const value = new Uint8Array(VALUE_BYTES).fill(120);
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert.run(i, value);
  });
  const t0 = performance.now();
  for (let i = 0; i < RECORDS; i += 1000) batch(i, Math.min(RECORDS, i + 1000));
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  return seconds;
}

const dir = tempDir("tansu-bench-");
const mb = (RECORDS * VALUE_BYTES) / 1e6;
const floor = sqliteFloor(dir);
const off: Timing[] = [];
const on: Timing[] = [];
// Alternated, so drift in the machine's load hits both alike.
for (let round = 0; round < ROUNDS; round++) {
  off.push(await clientRun("memory://"));
  on.push(await clientRun("memory://", true));
}
const memory = { produce_s: median(off.map((t) => t.produce_s)), consume_s: median(off.map((t) => t.consume_s)) };
const metered = { produce_s: median(on.map((t) => t.produce_s)), consume_s: median(on.map((t) => t.consume_s)) };
const sqlite = await clientRun(`sqlite://${join(dir, "bench.db")}`);
const row = (name: string, s: number) =>
  `| ${name} | ${Math.round(RECORDS / s).toLocaleString("en")} | ${(mb / s).toFixed(1)} | ${(floor / s).toFixed(2)} |`;
const spreadOf = (runs: Timing[], key: keyof Timing) => (Math.max(...runs.map((t) => t[key])) / Math.min(...runs.map((t) => t[key]))).toFixed(2);
const spread = (runs: Timing[], key: keyof Timing) => runs.map((t) => Math.round(RECORDS / t[key]).toLocaleString("en")).join(", ");
const table = [
  `Command: \`bun scripts/bench/produce-fetch.ts ${RECORDS}\` (${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores).`,
  `${RECORDS.toLocaleString("en")} records of ${VALUE_BYTES} B, python3-confluent-kafka (librdkafka) client, acks=all, no compression.`,
  `memory:// rows are medians of ${ROUNDS} runs with metrics off and ${ROUNDS} with metrics on, alternated; "metrics on" is a broker`,
  `with --http-listener-url (requests, traffic and storage calls counted) and /metrics scraped every ${SCRAPE_EVERY_MS} ms during the run.`,
  "",
  "| path | records/s | MB/s | ratio to the floor (higher is better) |",
  "| --- | ---: | ---: | ---: |",
  row("floor: bun:sqlite batched INSERT, 1,000 rows a transaction", floor),
  row("produce, memory://", memory.produce_s),
  row("consume, memory://", memory.consume_s),
  row("produce, memory://, metrics on", metered.produce_s),
  row("consume, memory://, metrics on", metered.consume_s),
  row("produce, sqlite://", sqlite.produce_s),
  row("consume, sqlite://", sqlite.consume_s),
  "",
  `Metrics on ÷ off (records/s, 1.00 = no cost): produce ${(memory.produce_s / metered.produce_s).toFixed(2)}, consume ${(memory.consume_s / metered.consume_s).toFixed(2)}.`,
  `Runs of one configuration differ by up to ${spreadOf(off, "produce_s")}× (produce, off) and ${spreadOf(on, "produce_s")}× (on) here: differences below that are noise.`,
  `Every run, records/s: produce off ${spread(off, "produce_s")}; on ${spread(on, "produce_s")}; consume off ${spread(off, "consume_s")}; on ${spread(on, "consume_s")}.`,
].join("\n");
console.log(table);
writeBenchmarkSection("produce-fetch", `## Produce and fetch\n\n${table}`);
