// What topics as tables cost, per format, on a file:// location, against the floor of writing the
// same rows straight to Parquet files with hyparquet-writer (the same number of files, no
// conversion, no table format), in one run:
// - the lake layer alone: decoded records in → rows committed to a table (decoding them from Avro
//   is not measured, the broker does that anyway to validate);
// - through the broker (dist/tansu, `npm run build` first): Avro-encoded batches produced over the
//   Kafka protocol → validated, decoded, appended (memory://), written and committed to the table.
// Records are the lake tests' Avro topic (nested records, lists, maps, decimals, timestamps).
//
// usage: npm run build && bun scripts/bench/lake.ts [RECORDS] [RECORDS_PER_COMMIT]

import avro from "avsc";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { reconcileFields } from "../../src/lake/columns.ts";
import { Lake, tableSchema, type LakeFormat } from "../../src/lake/lake.ts";
import { parquetSchema } from "../../src/lake/parquet-file.ts";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { encodeRecordBatch } from "../../src/protocol/record-batch.ts";
import { startBroker, type RunningBroker } from "../../test/harness/broker.ts";
import { AVRO_KEY, AVRO_SCHEMA_FILE, AVRO_VALUE, avroTopic, recordsOf } from "../../test/lake/topics.ts";
import { writeBenchmarkSection } from "./report.ts";
import { seconds } from "./storage-batch.ts";

const RECORDS = Number(process.argv[2] ?? 100_000);
const PER_COMMIT = Number(process.argv[3] ?? 10_000);
const PARTITIONS = 3;
const ROUNDS = 3;
if (!Number.isInteger(RECORDS) || RECORDS < 1 || !Number.isInteger(PER_COMMIT) || PER_COMMIT < 1) {
  throw new Error(`usage: bun scripts/bench/lake.ts [RECORDS] [RECORDS_PER_COMMIT], got ${process.argv.slice(2).join(" ")}`);
}

// One record a second, so that day partitions hold a day's worth of rows (the fixture spaces them hours apart).
const START_MS = Date.UTC(2024, 0, 15);
const records = recordsOf(avroTopic, RECORDS, PARTITIONS).map((record, i) => ({ ...record, timestamp: START_MS + i * 1000 }));
const schema = tableSchema(avroTopic.schema);

/** hyparquet-writer alone: the rows already in column form, one file per commit's worth. */
function floor(dir: string): number {
  const fields = reconcileFields(null, schema.fields, 0).incoming;
  const rows = records.map((record) => schema.toRow(record));
  const elements = parquetSchema(fields, "parquet");
  const start = Bun.nanoseconds();
  for (let first = 0, file = 0; first < rows.length; first += PER_COMMIT, file++) {
    const chunk = rows.slice(first, first + PER_COMMIT);
    const columnData = fields.map((field) => ({ name: field.name, data: chunk.map((row) => row[field.name] ?? null) }));
    const buffer = parquetWriteBuffer({ columnData: columnData as never, schema: elements, rowGroupSize: 100_000 });
    writeFileSync(join(dir, `floor-${file}.parquet`), new Uint8Array(buffer));
  }
  return (Bun.nanoseconds() - start) / 1e9;
}

/** Records in, committed table out: conversion, Parquet, table metadata, atomic commit. */
async function lake(dir: string, format: LakeFormat, partition = ""): Promise<number> {
  const lake = await Lake.open({ location: `file://${dir}`, format });
  const configs = { "tansu.lake.commit.records": String(PER_COMMIT), "tansu.lake.partition": partition };
  const elapsed = await seconds(async () => {
    for (let first = 0; first < records.length; first += PER_COMMIT) {
      await lake.write(avroTopic.name, schema, records.slice(first, first + PER_COMMIT), configs);
    }
  });
  await lake.close();
  return elapsed;
}

// ---------- through the broker ----------

const BATCH_RECORDS = 1000;
const IN_FLIGHT = 4;
/** Commits come every PER_COMMIT rows, or this long after the first row of a commit: the last one does not wait long. */
const BROKER_COMMIT_INTERVAL_MS = 250;

const keyType = avro.Type.forSchema(AVRO_KEY as avro.Schema);
const valueType = avro.Type.forSchema(AVRO_VALUE as avro.Schema);

/** The records as producers send them: Avro-encoded, BATCH_RECORDS per batch, each batch one partition's. */
const batches = (() => {
  const out: Array<{ partition: number; bytes: Uint8Array }> = [];
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const mine = records.filter((record) => record.partition === partition);
    for (let first = 0; first < mine.length; first += BATCH_RECORDS) {
      const chunk = mine.slice(first, first + BATCH_RECORDS);
      const base = BigInt(chunk[0]!.timestamp);
      out.push({
        partition,
        bytes: encodeRecordBatch({
          baseTimestamp: base,
          records: chunk.map((record, i) => ({
            offsetDelta: i,
            timestampDelta: BigInt(record.timestamp) - base,
            key: new Uint8Array(keyType.toBuffer(record.key)),
            value: new Uint8Array(valueType.toBuffer(record.value)),
            headers: record.headers.map((h) => ({ key: h.key, value: h.value })),
          })),
        }),
      });
    }
  }
  return out;
})();

let brokerRuns = 0;

/** Produce (IN_FLIGHT requests at a time, acks=all) until the table's commits hold every record. */
async function throughBroker(broker: RunningBroker, lakeDir: string, format: LakeFormat, partition = ""): Promise<number> {
  const topic = `${avroTopic.name}-${++brokerRuns}`;
  const configs = {
    "tansu.lake.format": format,
    "tansu.lake.partition": partition,
    "tansu.lake.commit.records": String(PER_COMMIT),
    "tansu.lake.commit.interval.ms": String(BROKER_COMMIT_INTERVAL_MS),
  };
  const c = await KafkaConnection.connect(broker.url);
  const lake = await Lake.open({ location: `file://${lakeDir}`, format });
  try {
    const created = await c.request(ApiKey.CreateTopics, 7, {
      topics: [{ name: topic, numPartitions: PARTITIONS, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    if (created.topics[0]!.errorCode !== 0) throw new Error(`cannot create ${topic}: ${created.topics[0]!.errorMessage}`);
    const expected = new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, BigInt(records.filter((r) => r.partition === p).length)]));
    return await seconds(async () => {
      let next = 0;
      const produce = async () => {
        while (next < batches.length) {
          const { partition, bytes } = batches[next++]!;
          const response = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 60_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: bytes }] }] });
          const result = response.responses[0]!.partitionResponses[0]!;
          if (result.errorCode !== 0) throw new Error(`produce to ${topic}-${partition} failed: ${result.errorCode} ${result.errorMessage}`);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, produce));
      for (;;) {
        const ends = await lake.ends(topic, configs);
        if ([...expected].every(([p, end]) => ends.get(p) === end)) return;
        await Bun.sleep(10);
      }
    });
  } finally {
    c.close();
    await lake.close();
  }
}

/** The best of ROUNDS runs after one warm-up run, each in a fresh directory: this machine is shared and noisy. */
async function best(run: (dir: string) => number | Promise<number>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round <= ROUNDS; round++) {
    const dir = mkdtempSync(join(tmpdir(), "tansu-lake-bench-"));
    try {
      const elapsed = await run(dir);
      if (round > 0) fastest = Math.min(fastest, elapsed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return fastest;
}

const loadBefore = loadavg()[0]!.toFixed(1);
const floorSeconds = await best(floor);
const rows: string[] = [];
const perSecond = (s: number) => Math.round(RECORDS / s).toLocaleString("en");
rows.push(`| floor: hyparquet-writer, rows already converted | ${perSecond(floorSeconds)} | 1.00 |`);
for (const [label, format, partition] of [
  ["parquet files", "parquet", ""],
  ["iceberg, file-system catalog", "iceberg", ""],
  ["iceberg, partitioned by day(timestamp)", "iceberg", "day(timestamp)"],
  ["delta", "delta", ""],
] as const) {
  const elapsed = await best((dir) => lake(dir, format, partition));
  rows.push(`| ${label} | ${perSecond(elapsed)} | ${(floorSeconds / elapsed).toFixed(2)} |`);
}

// The broker's lake is in one directory, one fresh topic per run.
const brokerDir = mkdtempSync(join(tmpdir(), "tansu-lake-bench-broker-"));
mkdirSync(join(brokerDir, "schemas"));
for (let run = 1; run <= 4 * (ROUNDS + 1); run++) writeFileSync(join(brokerDir, "schemas", `${avroTopic.name}-${run}.avsc`), AVRO_SCHEMA_FILE);
const broker = await startBroker({
  storage: "memory://",
  args: ["--schema-registry", `file://${join(brokerDir, "schemas")}`, "--lake-location", `file://${join(brokerDir, "lake")}`],
});
try {
  for (const [label, format, partition] of [
    ["broker → parquet files", "parquet", ""],
    ["broker → iceberg, file-system catalog", "iceberg", ""],
    ["broker → iceberg, partitioned by day(timestamp)", "iceberg", "day(timestamp)"],
    ["broker → delta", "delta", ""],
  ] as const) {
    const elapsed = await best(() => throughBroker(broker, join(brokerDir, "lake"), format, partition));
    rows.push(`| ${label} | ${perSecond(elapsed)} | ${(floorSeconds / elapsed).toFixed(2)} |`);
  }
} finally {
  await broker.stop();
  rmSync(brokerDir, { recursive: true, force: true });
}

const commits = Math.ceil(RECORDS / PER_COMMIT);
const load = `load average ${loadBefore} before, ${loadavg()[0]!.toFixed(1)} after`;
const table = [
  "## Lake (topics as tables)",
  "",
  `Command: \`npm run build && bun scripts/bench/lake.ts ${RECORDS} ${PER_COMMIT}\` (${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}).`,
  `${RECORDS.toLocaleString("en")} decoded Avro records (the lake tests' orders topic: nested records, lists, maps, decimals,`,
  `timestamps, uuid) over ${PARTITIONS} partitions, committed ${PER_COMMIT.toLocaleString("en")} at a time (${commits} commits) to a table in a`,
  `file:// directory, one record a second; best of ${ROUNDS} runs after a warm-up. The floor writes the same rows, already converted to column values, as the`,
  `same number of Parquet files with hyparquet-writer and nothing else. The lake's time includes converting records to`,
  `rows, writing the data files, the table's metadata and the atomic commit (Delta: one checkpoint per 10 commits).`,
  `"broker →" rows run from produce to committed table through dist/tansu (memory:// store, --schema-registry file): the`,
  `records Avro-encoded in batches of ${BATCH_RECORDS.toLocaleString("en")}, ${IN_FLIGHT} Produce requests in flight (acks=all), each validated and decoded,`,
  `appended, and written to the table, committed every ${PER_COMMIT.toLocaleString("en")} rows or ${BROKER_COMMIT_INTERVAL_MS} ms after a commit's first row; timed`,
  `until the table's commits hold every record.`,
  `This machine is shared (${load}): ratios near 1 say the table formats add little to the Parquet encoding, not that they beat it.`,
  "",
  "| path | rows/s | × floor (higher is better) |",
  "|---|---:|---:|",
  ...rows,
].join("\n");
console.log(table);
writeBenchmarkSection("lake", table);
