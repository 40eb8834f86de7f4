// Produce and consume throughput of 1 KiB records from a librdkafka-based client
// (python3-confluent-kafka) against dist/tansu on memory:// and sqlite://, next to the
// storage floor: the same rows inserted straight into bun:sqlite in batches.
//
//   bun scripts/bench/produce-fetch.ts [records]
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { tempDir } from "../../test/harness/broker.ts";
import { librdkafkaRun } from "./librdkafka-client.ts";
import { writeBenchmarkSection } from "./report.ts";

const RECORDS = Number(process.argv[2] ?? 100_000);
const VALUE_BYTES = 1024;

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
const memory = await librdkafkaRun("memory://", RECORDS, VALUE_BYTES);
const sqlite = await librdkafkaRun(`sqlite://${join(dir, "bench.db")}`, RECORDS, VALUE_BYTES);
const row = (name: string, s: number) =>
  `| ${name} | ${Math.round(RECORDS / s).toLocaleString("en")} | ${(mb / s).toFixed(1)} | ${(floor / s).toFixed(2)} |`;
const table = [
  `Command: \`bun scripts/bench/produce-fetch.ts ${RECORDS}\` (${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores).`,
  `${RECORDS.toLocaleString("en")} records of ${VALUE_BYTES} B, python3-confluent-kafka (librdkafka) client, acks=all, no compression.`,
  "",
  "| path | records/s | MB/s | ratio to the floor (higher is better) |",
  "| --- | ---: | ---: | ---: |",
  row("floor: bun:sqlite batched INSERT, 1,000 rows a transaction", floor),
  row("produce, memory://", memory.produce_s),
  row("consume, memory://", memory.consume_s),
  row("produce, sqlite://", sqlite.produce_s),
  row("consume, sqlite://", sqlite.consume_s),
].join("\n");
console.log(table);
writeBenchmarkSection("produce-fetch", `## Produce and fetch\n\n${table}`);
