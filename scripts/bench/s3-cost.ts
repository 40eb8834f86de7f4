// What a broker on s3:// costs in S3 requests, counted at the server: a counting proxy
// (test/harness/s3-counting-proxy.ts) sits between dist/tansu and a throwaway Ceph RGW. Scenarios,
// each measured over a window after a warm-up:
//   idle: the broker with nobody connected (its background work: retention, transaction sweep);
//   consumer: kcat consuming one partition from its end, with librdkafka's default
//     fetch.wait.max.ms (500 ms) and as a long poll (fetch.wait.max.ms 30000);
//   trickle: `tansu perf produce` sending one 100-byte record a second, each its own batch,
//     without and with batch_max_delay=2s in the storage URL; then four producers (connections)
//     doing the same into one partition, without and with batch_max_delay=1s.
// Then one Produce request's latency with 8 partitions against 1 (s3:// has real latency: the
// partitions are appended concurrently, so the ratio should be near 1, not near 8).
// Writes the "s3:// request cost" section of docs/BENCHMARKS.md.
//
//   npm run build && bun scripts/bench/s3-cost.ts [--seconds 60] [--compare PATH]
//
// --compare runs every scenario against a second build too (say, the one before a change).
import { basename, resolve } from "node:path";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { encodeRecordBatch } from "../../src/protocol/record-batch.ts";
import { BROKER_BINARY, startBroker, type RunningBroker } from "../../test/harness/broker.ts";
import { startCountingProxy, type CountingProxy, type S3Request } from "../../test/harness/s3-counting-proxy.ts";
import { runChecked } from "../../test/harness/run.ts";
import { startS3 } from "../../test/harness/s3.ts";
import { s3Env } from "../../test/storage/s3-fixtures.ts";
import { writeBenchmarkSection } from "./report.ts";

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
const SECONDS = Number(option("--seconds") ?? 60);
if (!Number.isFinite(SECONDS) || SECONDS < 5) throw new Error(`--seconds must be at least 5, got ${option("--seconds")}`);
const compare = option("--compare") && resolve(option("--compare")!);
const LATENCY_REQUESTS = 30;
const WIDE_PARTITIONS = 8;

interface Row {
  build: string;
  scenario: string;
  perMinute: Record<string, number>;
}

/** Requests per minute over the window, by kind of object. */
function perMinute(requests: S3Request[], seconds: number): Record<string, number> {
  const scale = 60 / seconds;
  const of = (match: (r: S3Request) => boolean) => Math.round(requests.filter(match).length * scale * 10) / 10;
  const get = (r: S3Request) => r.method === "GET";
  return {
    "GET head": of((r) => get(r) && r.path.endsWith("/head.json")),
    "GET catalog": of((r) => get(r) && r.path.endsWith("/topics.json")),
    "GET other": of((r) => get(r) && !r.path.endsWith("/head.json") && !r.path.endsWith("/topics.json")),
    "PUT batch": of((r) => r.method === "PUT" && r.path.includes("/batches/")),
    "PUT head (CAS)": of((r) => r.method === "PUT" && r.conditional && r.path.endsWith("/head.json")),
    "PUT other": of((r) => r.method === "PUT" && !r.path.includes("/batches/") && !r.path.endsWith("/head.json")),
    "LIST, HEAD, DELETE": of((r) => r.method === "LIST" || r.method === "HEAD" || r.method === "DELETE"),
    total: of(() => true),
    "GETs answered 304": of((r) => get(r) && r.status === 304),
  };
}

async function window(proxy: CountingProxy): Promise<Record<string, number>> {
  proxy.reset();
  const started = performance.now();
  await Bun.sleep(SECONDS * 1000);
  return perMinute(proxy.requests(), (performance.now() - started) / 1000);
}

/** A broker on a fresh prefix of the bucket, talking to S3 through `proxy`. */
async function brokerOn(binary: string, env: Record<string, string>, proxy: CountingProxy, prefix: string, query = ""): Promise<RunningBroker> {
  return startBroker({
    command: [binary],
    storage: `s3://tansu-cost/${prefix}/${query}`,
    env: { ...env, AWS_ENDPOINT_URL_S3: proxy.endpoint },
  });
}

function produceRequest(topic: string, partitions: number[]) {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [
      {
        name: topic,
        partitionData: partitions.map((index) => ({
          index,
          records: encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ offsetDelta: 0, value: new Uint8Array(100).fill(65) }] }),
        })),
      },
    ],
  };
}

/** Median ms of Produce requests carrying one batch for each of `partitions`. */
async function produceLatency(connection: KafkaConnection, topic: string, partitions: number[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < LATENCY_REQUESTS; i++) {
    const started = performance.now();
    const response = await connection.request(ApiKey.Produce, 9, produceRequest(topic, partitions));
    times.push(performance.now() - started);
    const errors = response.responses.flatMap((t) => t.partitionResponses).filter((p) => p.errorCode !== 0);
    if (errors.length > 0) throw new Error(`produce to ${topic}: error ${errors[0]!.errorCode}`);
  }
  return times.sort((a, b) => a - b)[times.length >> 1]!;
}

async function runBuild(binary: string, label: string, env: Record<string, string>, proxy: CountingProxy, rows: Row[], latencies: Array<{ build: string; one: number; wide: number }>) {
  const record = (scenario: string, counts: Record<string, number>) => {
    rows.push({ build: label, scenario, perMinute: counts });
    console.log(label, scenario, JSON.stringify(counts));
  };
  const prefix = `${basename(binary)}-${Date.now()}`;

  // Idle, then a consumer on one partition, on one broker.
  let broker = await brokerOn(binary, env, proxy, `${prefix}-consume`);
  try {
    await runChecked([BROKER_BINARY, "perf", "produce", "idle", "--broker", broker.url, "--records", "1", "--record-size", "100"]);
    record("idle broker, no client", await window(proxy));
    for (const [name, waitMs] of [["default", 500], ["long poll", 30_000]] as const) {
      const consumer = Bun.spawn(["kcat", "-b", broker.url, "-C", "-t", "idle", "-p", "0", "-o", "end", "-q", "-X", `fetch.wait.max.ms=${waitMs}`], {
        stdout: "ignore",
        stderr: "ignore",
      });
      try {
        // Connected and fetching: its first metadata and offset requests are not the idle cost.
        await Bun.sleep(3000);
        record(`consumer long-polling 1 partition, fetch.wait.max.ms ${waitMs} (${name})`, await window(proxy));
      } finally {
        consumer.kill();
        await consumer.exited;
      }
    }
  } finally {
    await broker.stop();
  }

  // A trickle: one record a second, without and with coalescing; then four producers each
  // sending one a second to the same partition.
  for (const [name, query, producers] of [
    ["producer, 1 batch of 1 record a second", "", 1],
    ["producer, 1 batch of 1 record a second, batch_max_delay=2s", "?batch_max_delay=2s", 1],
    ["4 producers on 1 partition, 1 batch a second each", "", 4],
    ["4 producers on 1 partition, 1 batch a second each, batch_max_delay=1s", "?batch_max_delay=1s", 4],
  ] as const) {
    try {
      broker = await brokerOn(binary, env, proxy, `${prefix}-trickle${query ? "-coalesced" : ""}`, query);
    } catch (error) {
      // A build from before the setting existed refuses the URL.
      console.log(label, `${name}: the broker did not start (${(error as Error).message.split("\n")[0]})`);
      continue;
    }
    try {
      await runChecked([BROKER_BINARY, "perf", "produce", "trickle", "--broker", broker.url, "--records", "1", "--record-size", "100"]);
      const records = (SECONDS + 2) * producers;
      const producer = runChecked(
        [BROKER_BINARY, "perf", "produce", "trickle", "--broker", broker.url, "--records", String(records), "--record-size", "100"]
          .concat(["--throughput", String(producers), "--producers", String(producers), "--json"]),
        { timeoutMs: (SECONDS + 60) * 1000 },
      );
      await Bun.sleep(1500);
      record(name, await window(proxy));
      await producer;
    } finally {
      await broker.stop();
    }
  }

  // One Produce request's latency: 8 partitions against 1.
  broker = await brokerOn(binary, env, proxy, `${prefix}-latency`);
  const connection = await KafkaConnection.connect(broker.url, "s3-cost");
  try {
    const created = await connection.request(ApiKey.CreateTopics, 7, {
      topics: [{ name: "wide", numPartitions: WIDE_PARTITIONS, replicationFactor: -1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    if (created.topics[0]!.errorCode !== 0) throw new Error(`create topic wide: error ${created.topics[0]!.errorCode}`);
    const all = Array.from({ length: WIDE_PARTITIONS }, (_, p) => p);
    await produceLatency(connection, "wide", all); // warm-up: every head read once
    const one = await produceLatency(connection, "wide", [0]);
    const wide = await produceLatency(connection, "wide", all);
    latencies.push({ build: label, one, wide });
    console.log(label, "produce latency", { one, wide });
  } finally {
    connection.close();
    await broker.stop();
  }
}

const s3 = await startS3();
const proxy = startCountingProxy(s3.endpoint);
const rows: Row[] = [];
const latencies: Array<{ build: string; one: number; wide: number }> = [];
try {
  await s3.createBucket("tansu-cost");
  const env = s3Env(s3);
  await runBuild(BROKER_BINARY, "this build", env, proxy, rows, latencies);
  if (compare) await runBuild(compare, `compared (${basename(compare)})`, env, proxy, rows, latencies);
} finally {
  proxy.stop();
  await s3.stop();
}

const columns = Object.keys(rows[0]!.perMinute);
const table = [
  "## s3:// request cost",
  "",
  `Command: \`npm run build && bun scripts/bench/s3-cost.ts --seconds ${SECONDS}${option("--compare") ? ` --compare ${option("--compare")}` : ""}\` (${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}).`,
  "S3 requests per minute reaching a throwaway Ceph RGW, counted by a proxy in front of it (test/harness/s3-counting-proxy.ts),",
  `over a ${SECONDS} s window per scenario, one broker (dist/tansu) on s3://, default settings unless named. "GETs answered 304": conditional`,
  "GETs (any object) answered Not Modified: billed as GETs, but without a body. The consumer is kcat (librdkafka) reading one partition from its end;",
  "the producers are `tansu perf produce` at 1 record/s each (acks=all, linger.ms 5: every record its own batch, 5 requests",
  "in flight). A broker handles one connection's requests one at a time, as Kafka does, so batch_max_delay can only merge",
  "appends that arrive on different connections (or partitions of one request); a single producer waiting on it batches",
  "records itself instead, two a request here, at the cost of latency.",
  "",
  `| build | scenario | ${columns.join(" | ")} |`,
  `| --- | --- | ${columns.map(() => "---:").join(" | ")} |`,
  ...rows.map((r) => `| ${r.build} | ${r.scenario} | ${columns.map((c) => r.perMinute[c]).join(" | ")} |`),
  "",
  `One Produce request (acks=all, one 100-byte record per partition) with ${WIDE_PARTITIONS} partitions against 1, median of ${LATENCY_REQUESTS}:`,
  "each partition's append is a PUT of the batch and a conditional PUT of its head, so appended one after another the",
  `request would take about ${WIDE_PARTITIONS} times as long. Concurrent, it takes what the server gives to requests in`,
  "parallel: this RGW, on the same two cores, does about twice as many PUTs with 32 in flight as with one (s3:// section).",
  "",
  `| build | 1 partition (ms) | ${WIDE_PARTITIONS} partitions (ms) | ratio |`,
  "| --- | ---: | ---: | ---: |",
  ...latencies.map((l) => `| ${l.build} | ${l.one.toFixed(1)} | ${l.wide.toFixed(1)} | ${(l.wide / l.one).toFixed(2)} |`),
].join("\n");
console.log(table);
writeBenchmarkSection("s3-cost", table);
