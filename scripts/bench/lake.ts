// What the lake layer costs: decoded records in → rows committed to a table, per format, on a
// file:// location, against the floor of writing the same rows straight to Parquet files with
// hyparquet-writer (the same number of files, no conversion, no table format), in one run.
// Records are the lake tests' Avro topic (nested records, lists, maps, decimals, timestamps);
// decoding them from Avro is not measured, the broker does that anyway to validate.
//
// usage: bun scripts/bench/lake.ts [RECORDS] [RECORDS_PER_COMMIT]

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { reconcileFields } from "../../src/lake/columns.ts";
import { Lake, tableSchema, type LakeFormat } from "../../src/lake/lake.ts";
import { parquetSchema } from "../../src/lake/parquet-file.ts";
import { avroTopic, recordsOf } from "../../test/lake/topics.ts";
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

const commits = Math.ceil(RECORDS / PER_COMMIT);
const load = `load average ${loadBefore} before, ${loadavg()[0]!.toFixed(1)} after`;
const table = [
  "## Lake (topics as tables)",
  "",
  `Command: \`bun scripts/bench/lake.ts ${RECORDS} ${PER_COMMIT}\` (${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}).`,
  `${RECORDS.toLocaleString("en")} decoded Avro records (the lake tests' orders topic: nested records, lists, maps, decimals,`,
  `timestamps, uuid) over ${PARTITIONS} partitions, committed ${PER_COMMIT.toLocaleString("en")} at a time (${commits} commits) to a table in a`,
  `file:// directory, one record a second; best of ${ROUNDS} runs after a warm-up. The floor writes the same rows, already converted to column values, as the`,
  `same number of Parquet files with hyparquet-writer and nothing else. The lake's time includes converting records to`,
  `rows, writing the data files, the table's metadata and the atomic commit (Delta: one checkpoint per 10 commits).`,
  `This machine is shared (${load}): ratios near 1 say the table formats add little to the Parquet encoding, not that they beat it.`,
  "",
  "| path | rows/s | × floor (higher is better) |",
  "|---|---:|---:|",
  ...rows,
].join("\n");
console.log(table);
writeBenchmarkSection("lake", table);
