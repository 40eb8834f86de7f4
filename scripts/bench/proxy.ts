// `tansu proxy` against the same upstream reached directly, in the same run: produce latency at a fixed rate,
// maximum produce throughput, and the proxy's resident memory under that load. The producer is a small C
// program on the librdkafka 2.15 build (scripts/bench/proxy-producer.c); the upstream is one tansu broker on
// memory://, the fastest store, so that the proxy's cost is not hidden behind the store's.
//
//   bun scripts/bench/proxy.ts [rounds] [rate] [seconds]
//
// After a warm-up of both paths, each round runs direct and proxied (alternating which goes first): RATE
// records/s for SECONDS (latency from produce() to the delivery report, first second excluded), then as fast as
// possible. A fresh topic per run, deleted after it, keeps the broker's memory flat. Reported: the median over
// rounds of each figure, and the proxy's peak resident memory (VmRSS, sampled every 50 ms) in each kind of run.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ZERO_UUID } from "../../src/protocol/reader.ts";
import { startBroker, tempDir } from "../../test/harness/broker.ts";
import { startProxy } from "../../test/harness/proxy.ts";
import { runChecked } from "../../test/harness/run.ts";
import { writeBenchmarkSection } from "./report.ts";

const ROUNDS = Number(process.argv[2] ?? 3);
const RATE = Number(process.argv[3] ?? 60_000);
const SECONDS = Number(process.argv[4] ?? 6);
/** Records of the maximum-throughput runs, in units of 100,000. */
const MAX_RUN = 10;
const VALUE_BYTES = 1024;

const LIBRDKAFKA = resolve(import.meta.dir, "../../node_modules/.cache/tansu-librdkafka/install");
if (!existsSync(join(LIBRDKAFKA, "lib/librdkafka.so.1"))) throw new Error(`no librdkafka in ${LIBRDKAFKA}: run scripts/build-librdkafka.sh`);
const producerBinary = join(tempDir("tansu-bench-proxy-"), "proxy-producer");
await runChecked([
  "cc", "-O2", "-o", producerBinary, join(import.meta.dir, "proxy-producer.c"),
  `-I${LIBRDKAFKA}/include`, `-L${LIBRDKAFKA}/lib`, `-Wl,-rpath,${LIBRDKAFKA}/lib`, "-lrdkafka",
]);

interface Run {
  records_per_s: number;
  p50_ms: number;
  p99_ms: number;
}

let topics = 0;
async function run(bootstrap: string, admin: KafkaConnection, rate: number, seconds: number): Promise<Run> {
  const topic = `bench-${topics++}`;
  try {
    const result = await runChecked([producerBinary, bootstrap, topic, String(rate), String(seconds), String(VALUE_BYTES)], { timeoutMs: 300_000 });
    return JSON.parse(result.stdout) as Run;
  } finally {
    await admin.request(ApiKey.DeleteTopics, 6, { topics: [{ name: topic, topicId: ZERO_UUID }], timeoutMs: 30_000 });
  }
}

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
  return kb / 1024;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const broker = await startBroker({ storage: "memory://" });
const proxy = await startProxy([broker.url]);
const admin = await KafkaConnection.connect(broker.url, "bench-admin");
const idleRss = rssMiB(proxy.pid);
let peakRss = idleRss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(proxy.pid))), 50);
/** Runs `work` and returns the proxy's peak RSS while it ran. */
async function watched<T>(work: () => Promise<T>): Promise<[T, number]> {
  peakRss = rssMiB(proxy.pid);
  const result = await work();
  return [result, peakRss];
}

const direct: { rate: Run[]; max: Run[] } = { rate: [], max: [] };
const proxied: { rate: Run[]; max: Run[] } = { rate: [], max: [] };
const rssAtRate: number[] = [];
const rssAtMax: number[] = [];
try {
  for (const bootstrap of [broker.url, proxy.url]) await run(bootstrap, admin, RATE, 2);
  for (let round = 0; round < ROUNDS; round++) {
    const paths = [[direct, broker.url], [proxied, proxy.url]] as const;
    for (const [into, bootstrap] of round % 2 === 0 ? paths : [...paths].reverse()) {
      const [atRate, rateRss] = await watched(() => run(bootstrap, admin, RATE, SECONDS));
      const [atMax, maxRss] = await watched(() => run(bootstrap, admin, 0, MAX_RUN));
      into.rate.push(atRate);
      into.max.push(atMax);
      if (into === proxied) {
        rssAtRate.push(rateRss);
        rssAtMax.push(maxRss);
      }
      console.log(`round ${round + 1} ${into === direct ? "direct " : "proxied"}: ${JSON.stringify({ rate: atRate, max: atMax })}`);
    }
  }
} finally {
  clearInterval(sampler);
  admin.close();
  await proxy.stop();
  await broker.stop();
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const d50 = median(direct.rate.map((r) => r.p50_ms));
const p50 = median(proxied.rate.map((r) => r.p50_ms));
const d99 = median(direct.rate.map((r) => r.p99_ms));
const p99 = median(proxied.rate.map((r) => r.p99_ms));
const dMax = median(direct.max.map((r) => r.records_per_s));
const pMax = median(proxied.max.map((r) => r.records_per_s));
const cpu = (await runChecked(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"])).stdout.trim();
const table = [
  `Command: \`npm run build && bun scripts/bench/proxy.ts ${ROUNDS} ${RATE} ${SECONDS}\` (${new Date().toISOString().slice(0, 10)}, ${cpu}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}).`,
  `Producer: C on librdkafka 2.15 (scripts/bench/proxy-producer.c), ${VALUE_BYTES} B records, one partition, acks=all, linger.ms=5, no compression.`,
  `Upstream: one \`tansu broker\` on memory://; proxied runs go through \`tansu proxy\` in front of it. Producer, proxy and broker share the cores.`,
  `Each figure is the median of ${ROUNDS} rounds after a warm-up. Latency: produce() to delivery report,`,
  `${RATE.toLocaleString("en")} records/s for ${SECONDS} s, the first second excluded; throughput: ${(MAX_RUN * 100_000).toLocaleString("en")} records as fast as they go.`,
  "",
  "| measure | direct | proxied | proxied vs direct | goal |",
  "| --- | ---: | ---: | ---: | --- |",
  `| p50 latency at ${RATE.toLocaleString("en")} rec/s (ms) | ${fmt(d50)} | ${fmt(p50)} | +${fmt(p50 - d50)} ms | |`,
  `| p99 latency at ${RATE.toLocaleString("en")} rec/s (ms) | ${fmt(d99)} | ${fmt(p99)} | +${fmt(p99 - d99)} ms | added p99 < 1 ms |`,
  `| max throughput (records/s) | ${Math.round(dMax).toLocaleString("en")} | ${Math.round(pMax).toLocaleString("en")} | ${fmt(pMax / dMax)} × | ≥ 0.8 × |`,
  `| proxy RSS idle (MiB) | | ${fmt(idleRss, 1)} | | |`,
  `| proxy RSS peak at ${RATE.toLocaleString("en")} rec/s (MiB) | | ${fmt(median(rssAtRate), 1)} | | ≤ 40 MiB |`,
  `| proxy RSS peak at max throughput (MiB) | | ${fmt(median(rssAtMax), 1)} | | ≤ 40 MiB |`,
].join("\n");
console.log(table);
writeBenchmarkSection("proxy", `## Proxy\n\n${table}`);
