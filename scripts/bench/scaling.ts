// How throughput, p99 latency and memory change with the work: against partitions (1, 10, 100,
// 1000), against idle connections held open beside the producer (1, 10, 100, 1000), and against
// brokers sharing one store (1, 2, 3), for each storage engine given. The producer is librdkafka
// in C (scripts/bench/clients/rdkafka-perf.c; see the "Client ceiling" section for why), 1 KiB
// records, acks=all. Throughput comes from a run as fast as the producer goes; p99 from a run at a
// fixed rate below every engine's ceiling, since at full speed latency is mostly producer queueing.
// RSS is the broker's after the setup (topic created, connections open) and after the
// throughput run. Writes the "Scaling" section of docs/BENCHMARKS.md and docs/scaling.svg.
//
//   npm run build && bun scripts/bench/scaling.ts [--engines memory://,sqlite://,postgres://] [--records 200000]
//
// An engine is a storage URL; sqlite:// gets a fresh file per measurement, and postgres:// a fresh
// database on a throwaway PostgreSQL cluster the benchmark starts (test/harness/stores.ts). A store
// that several processes can share (sqlite://, postgres://, s3://) is also measured with 2 and 3
// brokers; memory:// is one broker's alone.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { encodeApiVersionsV0Request } from "../../test/harness/api-versions.ts";
import { startBroker, tempDir, type RunningBroker } from "../../test/harness/broker.ts";
import { startPostgresStores } from "../../test/harness/stores.ts";
import { buildRdkafkaPerf, rdkafkaPerf, type ProduceSettings } from "./clients/perf-clients.ts";
import { writeBenchmarkSection } from "./report.ts";
import { svgCharts, type Chart } from "./svg-chart.ts";

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const ENGINES = (option("--engines") ?? "memory://,sqlite://,postgres://").split(",");
const RECORDS = Number(option("--records") ?? 200_000);
const RECORD_SIZE = 1024;
const PARTITIONS = [1, 10, 100, 1000];
const CONNECTIONS = [1, 10, 100, 1000];
const BROKERS = [1, 2, 3];
/** The fixed-rate run for p99: below every engine's ceiling on this machine. */
const LATENCY_RATE = 2000;
const LATENCY_SECONDS = 5;
/** Partitions of the topic in the connection and broker runs. */
const DEFAULT_PARTITIONS = 3;
/** Producers (processes) in the broker runs, spread over the brokers. */
const SHARED_PRODUCERS = 3;
const SVG = resolve(import.meta.dir, "../../docs/scaling.svg");

const work = tempDir("tansu-scaling-");
const rdkafka = await buildRdkafkaPerf(work);
let stores = 0;
let topics = 0;

interface Point {
  engine: string;
  curve: "partitions" | "connections" | "brokers";
  x: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  p99Ms: number;
  rssSetupMiB: number | null;
  rssAfterMiB: number | null;
}
const points: Point[] = [];

const engineName = (url: string) => url.split("://")[0]!;
const shareable = (url: string) => engineName(url) !== "memory";
const postgres = ENGINES.some((url) => engineName(url) === "postgres") ? await startPostgresStores() : null;
/** A storage URL for one measurement: a fresh sqlite file or postgres database; other URLs as given. */
async function storeFor(url: string): Promise<string> {
  if (engineName(url) === "sqlite") return `sqlite://${join(work, `store-${++stores}.db`)}`;
  if (engineName(url) === "postgres") return (await postgres!.fresh()).storage;
  return url;
}

function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function createTopic(broker: RunningBroker, partitions: number): Promise<string> {
  const name = `scaling-${++topics}`;
  const connection = await KafkaConnection.connect(broker.url, "scaling");
  try {
    const response = await connection.request(ApiKey.CreateTopics, 7, {
      topics: [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: [] }],
      timeoutMs: 60_000,
      validateOnly: false,
    });
    if (response.topics[0]!.errorCode !== 0) throw new Error(`create ${name}: error ${response.topics[0]!.errorCode}`);
  } finally {
    connection.close();
  }
  return name;
}

/** `count` connections that each had their ApiVersions answered and then stay idle. */
async function idleConnections(broker: RunningBroker, count: number): Promise<Array<{ end(): void }>> {
  const open: Array<{ end(): void }> = [];
  for (let i = 0; i < count; i++) {
    let answered: () => void = () => {};
    const done = new Promise<void>((resolve) => (answered = resolve));
    const socket = await Bun.connect({ hostname: "127.0.0.1", port: broker.port, socket: { data: () => answered() } });
    socket.write(encodeApiVersionsV0Request(i + 1));
    await done;
    open.push(socket);
  }
  return open;
}

/** A throughput run then a fixed-rate run, on `brokers` (producers spread over them). */
async function produceRuns(brokers: RunningBroker[], topic: string, producers: number) {
  const settings = (records: number, throughput: number): ProduceSettings => ({
    topic,
    records,
    recordSize: RECORD_SIZE,
    throughput,
    batchBytes: 1_000_000,
    lingerMs: 5,
    producers,
  });
  const urls = brokers.map((b) => b.url);
  const fast = await rdkafkaPerf(rdkafka, urls, settings(RECORDS, -1));
  const paced = await rdkafkaPerf(rdkafka, urls, settings(LATENCY_RATE * LATENCY_SECONDS, LATENCY_RATE));
  return { fast, paced };
}

async function measure(engine: string, curve: Point["curve"], x: number) {
  const storage = await storeFor(engine);
  const brokerCount = curve === "brokers" ? x : 1;
  const brokers: RunningBroker[] = [];
  const connections: Array<{ end(): void }> = [];
  try {
    for (let i = 0; i < brokerCount; i++) brokers.push(await startBroker({ storage }));
    const topic = await createTopic(brokers[0]!, curve === "partitions" ? x : DEFAULT_PARTITIONS);
    if (curve === "connections") connections.push(...(await idleConnections(brokers[0]!, x)));
    const rssSetupMiB = curve === "brokers" ? null : rssMiB(brokers[0]!.pid);
    const { fast, paced } = await produceRuns(brokers, topic, curve === "brokers" ? SHARED_PRODUCERS : 1);
    const point: Point = {
      engine: engineName(engine),
      curve,
      x,
      recordsPerSecond: fast.recordsPerSecond,
      mbPerSecond: fast.mbPerSecond,
      p99Ms: paced.p99Ms,
      rssSetupMiB,
      rssAfterMiB: curve === "brokers" ? null : rssMiB(brokers[0]!.pid),
    };
    points.push(point);
    console.log(JSON.stringify(point));
  } finally {
    for (const c of connections) c.end();
    for (const b of brokers) await b.stop();
  }
}

for (const engine of ENGINES) {
  for (const p of PARTITIONS) await measure(engine, "partitions", p);
  for (const c of CONNECTIONS) await measure(engine, "connections", c);
  for (const b of BROKERS) if (b === 1 || shareable(engine)) await measure(engine, "brokers", b);
}

const engines = ENGINES.map(engineName);
const at = (engine: string, curve: Point["curve"], x: number) => points.find((p) => p.engine === engine && p.curve === curve && p.x === x);
const num = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? "—" : v.toFixed(digits));
function table(curve: Point["curve"], xs: number[], xName: string, withRss: boolean): string[] {
  const head = ["engine", xName, "records/s", "MB/s", `p99 ms at ${LATENCY_RATE.toLocaleString("en")}/s`, ...(withRss ? ["RSS after setup (MiB)", "RSS after run (MiB)"] : [])];
  const rows = engines.flatMap((e) =>
    xs
      .map((x) => at(e, curve, x))
      .filter((p): p is Point => p !== undefined)
      .map((p) => [e, String(p.x), Math.round(p.recordsPerSecond).toLocaleString("en"), num(p.mbPerSecond), num(p.p99Ms), ...(withRss ? [num(p.rssSetupMiB), num(p.rssAfterMiB)] : [])]),
  );
  return [`| ${head.join(" | ")} |`, `| ${head.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}

const chart = (curve: Point["curve"], xs: number[], xLabel: string, y: (p: Point) => number | null, yLabel: string, title: string): Chart => ({
  title,
  xLabel,
  yLabel,
  xs: xs.map(String),
  series: engines.map((e) => ({ name: `${e}://`, values: xs.map((x) => (at(e, curve, x) ? y(at(e, curve, x)!) : null)) })),
});
const charts: Chart[] = [
  chart("partitions", PARTITIONS, "partitions", (p) => p.recordsPerSecond, "records/s", "Throughput vs partitions"),
  chart("partitions", PARTITIONS, "partitions", (p) => p.p99Ms, `p99 ms at ${LATENCY_RATE}/s`, "p99 latency vs partitions"),
  chart("partitions", PARTITIONS, "partitions", (p) => p.rssSetupMiB, "MiB", "Broker RSS vs partitions (idle)"),
  chart("connections", CONNECTIONS, "idle connections", (p) => p.recordsPerSecond, "records/s", "Throughput vs idle connections"),
  chart("connections", CONNECTIONS, "idle connections", (p) => p.p99Ms, `p99 ms at ${LATENCY_RATE}/s`, "p99 latency vs idle connections"),
  chart("connections", CONNECTIONS, "idle connections", (p) => p.rssSetupMiB, "MiB", "Broker RSS vs connections (idle)"),
  chart("brokers", BROKERS, "brokers sharing one store", (p) => p.recordsPerSecond, "records/s", "Throughput vs brokers"),
  chart("brokers", BROKERS, "brokers sharing one store", (p) => p.p99Ms, `p99 ms at ${LATENCY_RATE}/s`, "p99 latency vs brokers"),
];
const date = new Date().toISOString().slice(0, 10);
const command = `npm run build && bun scripts/bench/scaling.ts --engines ${ENGINES.join(",")} --records ${RECORDS}`;
writeFileSync(SVG, svgCharts(charts, 3, `${command} (${date}, ${navigator.hardwareConcurrency} cores)`));

const section = [
  "## Scaling",
  "",
  `Command: \`${command}\` (${date}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}); chart: [docs/scaling.svg](scaling.svg).`,
  `Producer: librdkafka 2.15 in C (scripts/bench/clients/rdkafka-perf.c), ${RECORD_SIZE}-byte records, acks=all, batch.size 1,000,000, linger.ms 5.`,
  `records/s and MB/s: ${RECORDS.toLocaleString("en")} records as fast as the producer goes; p99: ${(LATENCY_RATE * LATENCY_SECONDS).toLocaleString("en")} records at`,
  `${LATENCY_RATE.toLocaleString("en")}/s, from handing a record to librdkafka to its acknowledgement. RSS: the broker's VmRSS after the topic was`,
  "created and the idle connections opened, and after the throughput run (memory:// holds every record in RAM, so its",
  "second figure grows with the data). Broker, producer and benchmark share the 2 cores, so more processes also means",
  "less CPU for each: the brokers curve shows what sharing a store costs on one machine, not a cluster's scaling.",
  "Each figure is one run on a machine shared with other work: an isolated spike is noise, not a trend.",
  "postgres:// is a throwaway PostgreSQL cluster (fsync off) on the same 2 cores, a fresh database per measurement;",
  "another engine is one more `--engines` entry (an s3:// URL, for instance).",
  "",
  `Against partitions (one producer, one broker):`,
  "",
  ...table("partitions", PARTITIONS, "partitions", true),
  "",
  `Against idle connections held open beside the producer (each answered one ApiVersions; topic of ${DEFAULT_PARTITIONS} partitions):`,
  "",
  ...table("connections", CONNECTIONS, "idle connections", true),
  "",
  `Against brokers sharing one store (${SHARED_PRODUCERS} producers spread over them; topic of ${DEFAULT_PARTITIONS} partitions; memory:// cannot be shared):`,
  "",
  ...table("brokers", BROKERS, "brokers", false),
].join("\n");
console.log(section);
writeBenchmarkSection("scaling", section);
await postgres?.stop();
