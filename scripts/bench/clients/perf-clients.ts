// The two producers the throughput benchmarks drive a broker with, run the same way and reporting
// the same JSON: `tansu perf produce` (dist/tansu) and a librdkafka program in C (rdkafka-perf.c),
// compiled here against the librdkafka 2.15 that scripts/build-librdkafka.sh builds; and the
// produce sink that answers without storing (sink/produce-sink.ts), for each client's ceiling.
import { join, resolve } from "node:path";
import { BROKER_BINARY, freePort } from "../../../test/harness/broker.ts";
import { spawnListening, type ListeningProcess } from "../../../test/harness/listening-process.ts";
import { runChecked } from "../../../test/harness/run.ts";

const REPO = resolve(import.meta.dir, "../../..");
const LIBRDKAFKA = join(REPO, "node_modules/.cache/tansu-librdkafka/install");

export interface ProduceRun {
  records: number;
  errors: number;
  seconds: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  avgLatencyMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ProduceSettings {
  topic: string;
  records: number;
  recordSize: number;
  /** Records/s in total; -1 for as fast as possible. */
  throughput: number;
  batchBytes: number;
  lingerMs: number;
  /** Producers (tansu perf: connections of one process; librdkafka: processes). */
  producers: number;
}

/** Compiles rdkafka-perf.c into `dir` (building librdkafka first when it is missing); the binary's path. */
export async function buildRdkafkaPerf(dir: string): Promise<string> {
  await runChecked(["bash", join(REPO, "scripts/build-librdkafka.sh")], { timeoutMs: 1_800_000 });
  const binary = join(dir, "rdkafka-perf");
  await runChecked(
    ["cc", "-O2", "-o", binary, join(import.meta.dir, "rdkafka-perf.c"), `-I${LIBRDKAFKA}/include`, `-L${LIBRDKAFKA}/lib`, "-lrdkafka", `-Wl,-rpath,${LIBRDKAFKA}/lib`],
    { timeoutMs: 120_000 },
  );
  return binary;
}

function parseRun(stdout: string, what: string): ProduceRun {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  try {
    const run = JSON.parse(line) as ProduceRun;
    if (run.errors > 0) throw new Error(`${run.errors} records failed`);
    return run;
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}; output: ${stdout}`, { cause: error });
  }
}

/** `tansu perf produce` against `brokers`. */
export async function tansuPerf(brokers: string[], s: ProduceSettings): Promise<ProduceRun> {
  const argv = [BROKER_BINARY, "perf", "produce", s.topic, "--broker", brokers.join(","), "--records", String(s.records)]
    .concat(["--record-size", String(s.recordSize), "--throughput", String(s.throughput), "--producers", String(s.producers)])
    .concat(["--batch-size", String(s.batchBytes), "--linger-ms", String(s.lingerMs), "--json"]);
  const { stdout } = await runChecked(argv, { timeoutMs: 600_000 });
  return parseRun(stdout, "tansu perf produce");
}

/** `producers` rdkafka-perf processes, each with its share of the records and of the rate, against `brokers` in turn. */
export async function rdkafkaPerf(binary: string, brokers: string[], s: ProduceSettings): Promise<ProduceRun> {
  const share = Math.floor(s.records / s.producers);
  const runs = await Promise.all(
    Array.from({ length: s.producers }, async (_, i) => {
      const argv = [binary, brokers[i % brokers.length]!, s.topic, String(share), String(s.recordSize), "all", String(s.lingerMs), String(s.batchBytes)];
      if (s.throughput > 0) argv.push(String(s.throughput / s.producers));
      return parseRun((await runChecked(argv, { timeoutMs: 600_000 })).stdout, "rdkafka-perf");
    }),
  );
  // Processes started together: the slowest one's time is the run's.
  const seconds = Math.max(...runs.map((r) => r.seconds));
  const records = share * s.producers;
  return {
    records,
    errors: 0,
    seconds,
    recordsPerSecond: records / seconds,
    mbPerSecond: (records * s.recordSize) / 2 ** 20 / seconds,
    avgLatencyMs: runs.reduce((sum, r) => sum + r.avgLatencyMs, 0) / runs.length,
    // Percentiles of the union are not those of the parts; the worst part bounds them.
    p50Ms: Math.max(...runs.map((r) => r.p50Ms)),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
  };
}

/** The produce sink on a free port, `partitions` per topic. */
export async function startSink(partitions: number): Promise<{ address: string; process: ListeningProcess }> {
  const port = freePort();
  const process = await spawnListening([globalThis.process.execPath, join(import.meta.dir, "../sink/produce-sink.ts"), "--port", String(port), "--partitions", String(partitions)]);
  return { address: `127.0.0.1:${port}`, process };
}
