// Does `tansu perf produce` keep up, i.e. can it measure a broker rather than itself? Both
// producers (tansu perf and librdkafka in C, same batch settings, one producer each) push the
// same records first into a sink that answers Produce without storing anything (each client's
// ceiling) and then into the broker on memory:// and sqlite://. A client keeps up with a broker
// when its ceiling is well above what the broker takes. Writes the "Client ceiling" section of
// docs/BENCHMARKS.md.
//
//   npm run build && bun scripts/bench/client-ceiling.ts [RECORDS_OF_100_BYTES]
import { join } from "node:path";
import { startBroker, tempDir } from "../../test/harness/broker.ts";
import { buildRdkafkaPerf, rdkafkaPerf, startSink, tansuPerf, type ProduceRun, type ProduceSettings } from "./clients/perf-clients.ts";
import { writeBenchmarkSection } from "./report.ts";

const SMALL_RECORDS = Number(process.argv[2] ?? 1_000_000);
if (!Number.isInteger(SMALL_RECORDS) || SMALL_RECORDS < 1000) throw new Error(`RECORDS must be an integer of at least 1000, got ${process.argv[2]}`);
const PARTITIONS = 3;
const CASES = [
  { recordSize: 100, records: SMALL_RECORDS },
  { recordSize: 1024, records: Math.round(SMALL_RECORDS / 5) },
];
/** librdkafka's batch.size default and the Java producer's linger.ms default. */
const BATCH_BYTES = 1_000_000;
const LINGER_MS = 5;

const work = tempDir("tansu-client-ceiling-");
const rdkafka = await buildRdkafkaPerf(work);

interface Row {
  target: string;
  recordSize: number;
  client: string;
  run: ProduceRun;
}
const rows: Row[] = [];
let topics = 0;

async function measure(target: string, address: string) {
  for (const c of CASES) {
    const settings = (): ProduceSettings => ({ topic: `ceiling-${topics++}`, ...c, throughput: -1, batchBytes: BATCH_BYTES, lingerMs: LINGER_MS, producers: 1 });
    for (const [client, run] of [
      ["tansu perf", () => tansuPerf([address], settings())],
      ["librdkafka (C)", () => rdkafkaPerf(rdkafka, [address], settings())],
    ] as const) {
      const result = await run();
      rows.push({ target, recordSize: c.recordSize, client, run: result });
      console.log(target, c.recordSize, client, JSON.stringify(result));
    }
  }
}

const sink = await startSink(PARTITIONS);
try {
  await measure("sink (stores nothing)", sink.address);
} finally {
  await sink.process.stop();
}
for (const storage of ["memory://", `sqlite://${join(work, "ceiling.db")}`]) {
  const broker = await startBroker({ storage, args: ["--default-partitions", String(PARTITIONS)] });
  try {
    await measure(`broker, ${storage.split("://")[0]}://`, broker.url);
  } finally {
    await broker.stop();
  }
}

const find = (target: string, recordSize: number, client: string) => rows.find((r) => r.target === target && r.recordSize === recordSize && r.client === client)!.run;
const table = [
  "## Client ceiling",
  "",
  `Command: \`npm run build && bun scripts/bench/client-ceiling.ts ${SMALL_RECORDS}\` (${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}).`,
  `One producer, acks=all, no compression, batch.size ${BATCH_BYTES.toLocaleString("en")} bytes, linger.ms ${LINGER_MS}, buffer 32 MiB, keyless records`,
  `over ${PARTITIONS} partitions; ${CASES.map((c) => `${c.records.toLocaleString("en")} records of ${c.recordSize} B`).join(" and ")}.`,
  "`tansu perf produce` against a C program on librdkafka 2.15 (scripts/bench/clients/rdkafka-perf.c), first into",
  "a sink that answers Produce without storing anything (scripts/bench/sink/produce-sink.ts), then into the broker.",
  "Latency: from handing a record to the producer to its acknowledgement; at full speed it is mostly time queued in",
  "the producer's buffer. Client, sink or broker, and the benchmark share the 2 cores. MB = 2^20 bytes.",
  "",
  "| target | record size | client | records/s | MB/s | p50 ms | p99 ms |",
  "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
  ...rows.map((r) =>
    `| ${r.target} | ${r.recordSize} B | ${r.client} | ${Math.round(r.run.recordsPerSecond).toLocaleString("en")} | ${r.run.mbPerSecond.toFixed(1)} | ${r.run.p50Ms.toFixed(1)} | ${r.run.p99Ms.toFixed(1)} |`,
  ),
  "",
  "| record size | tansu perf ceiling × librdkafka's | tansu perf ceiling × memory:// broker (librdkafka) | × sqlite:// broker (librdkafka) |",
  "| ---: | ---: | ---: | ---: |",
  ...CASES.map((c) => {
    const ceiling = find("sink (stores nothing)", c.recordSize, "tansu perf").recordsPerSecond;
    const ratio = (target: string) => (ceiling / find(target, c.recordSize, "librdkafka (C)").recordsPerSecond).toFixed(2);
    return `| ${c.recordSize} B | ${ratio("sink (stores nothing)")} | ${ratio("broker, memory://")} | ${ratio("broker, sqlite://")} |`;
  }),
].join("\n");
console.log(table);
writeBenchmarkSection("client-ceiling", table);
