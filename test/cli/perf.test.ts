// `tansu perf produce` and `tansu perf consume` against a real broker: they move exactly the
// records asked for and report numbers that hang together. How fast is for scripts/bench.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { BROKER_BINARY, startBroker, type RunningBroker } from "../harness/broker.ts";
import { runCommand } from "../harness/run.ts";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ args: ["--default-partitions", "3"] });
});
afterAll(() => broker.stop());

async function perf(args: string[]) {
  return runCommand([BROKER_BINARY, "perf", ...args, "--broker", broker.url], { timeoutMs: 60_000 });
}

async function perfJson(args: string[]) {
  const run = await perf([...args, "--json"]);
  expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode: 0, stderr: "" });
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

/** Records stored in the topic: the sum of its partitions' high watermarks. */
async function storedRecords(topic: string, partitions: number): Promise<bigint> {
  const connection = await KafkaConnection.connect(broker.url);
  try {
    const response = await connection.request(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })) }],
    });
    return response.topics[0]!.partitions.reduce((sum, p) => sum + p.offset!, 0n);
  } finally {
    connection.close();
  }
}

function expectOrderedPercentiles(r: Record<string, number>, keys: string[]) {
  const values = keys.map((k) => r[k]!);
  expect(values.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
  expect([...values].sort((a, b) => a - b)).toEqual(values);
}

test("produce sends exactly the records asked for and reports consistent figures", async () => {
  const r = await perfJson(["produce", "perf-basic", "--records", "5000", "--record-size", "100", "--producers", "3"]);
  expect({ records: r.records, errors: r.errors }).toEqual({ records: 5000, errors: 0 });
  expect(r.recordsPerSecond).toBeGreaterThan(0);
  expect(r.mbPerSecond).toBeCloseTo((r.recordsPerSecond * 100) / 2 ** 20, 6);
  expectOrderedPercentiles(r, ["p50Ms", "p95Ms", "p99Ms", "p999Ms", "maxLatencyMs"]);
  expect(await storedRecords("perf-basic", 3)).toBe(5000n);

  const c = await perfJson(["consume", "perf-basic", "--records", "5000"]);
  expect({ records: c.records, bytes: c.bytes, timedOut: c.timedOut }).toEqual({ records: 5000, bytes: 500_000, timedOut: false });
  expect(c.mbPerSecond).toBeCloseTo(500_000 / 2 ** 20 / c.seconds, 6);
  expectOrderedPercentiles(c, ["fetchP50Ms", "fetchP95Ms", "fetchP99Ms", "fetchP999Ms"]);
});

test("a throughput target is never exceeded", async () => {
  const r = await perfJson(["produce", "perf-throttled", "--records", "1000", "--record-size", "10", "--throughput", "2000"]);
  expect(r.errors).toBe(0);
  // The last record is not due before 999/2000 s: slower is possible on a loaded machine, faster is not.
  expect(r.seconds).toBeGreaterThanOrEqual(999 / 2000);
  expect(await storedRecords("perf-throttled", 3)).toBe(1000n);
});

test("acks=0 with compression: every record still arrives, compressed batches decode", async () => {
  const r = await perfJson(["produce", "perf-acks0", "--records", "3000", "--record-size", "200", "--acks", "0", "--compression", "lz4"]);
  expect(r.errors).toBe(0);
  const c = await perfJson(["consume", "perf-acks0", "--records", "3000"]);
  expect({ records: c.records, bytes: c.bytes }).toEqual({ records: 3000, bytes: 600_000 });
});

test("the text output has kafka-producer-perf-test's summary line and kafka-consumer-perf-test's columns", async () => {
  const produced = await perf(["produce", "perf-text", "--records", "100", "--record-size", "10"]);
  expect(produced.exitCode).toBe(0);
  expect(produced.stdout).toMatch(/^100 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, [\d.]+ ms 50th, [\d.]+ ms 95th, [\d.]+ ms 99th, [\d.]+ ms 99\.9th\.$/m);
  const consumed = await perf(["consume", "perf-text", "--records", "100"]);
  expect(consumed.exitCode).toBe(0);
  const [header, values] = consumed.stdout.trim().split("\n");
  expect(header).toStartWith("data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec");
  expect(values!.split(", ")[2]).toBe("100");
});

test("asking for more records than arrive, or for bad options, fails in one line with exit 1", async () => {
  await perfJson(["produce", "perf-short", "--records", "10", "--record-size", "10"]);
  const short = await perf(["consume", "perf-short", "--records", "11", "--timeout", "300"]);
  expect(short.exitCode).toBe(1);
  expect(short.stderr).toContain("only 10 of 11 records arrived");
  const badAcks = await perf(["produce", "perf-short", "--records", "10", "--record-size", "10", "--acks", "2"]);
  expect(badAcks.exitCode).toBe(1);
  expect(badAcks.stderr).toContain("--acks must be all, -1, 1 or 0");
  const missing = await perf(["consume", "no-such-topic", "--records", "1"]);
  expect(missing.exitCode).toBe(1);
  expect(missing.stderr).toContain("UNKNOWN_TOPIC_OR_PARTITION");
});
