// What the storage engines cost without the broker: appends of 1 KiB batches (one per
// call, as produce does), plain and idempotent, and fetch throughput, next to the floor of
// bun:sqlite itself (one INSERT per IMMEDIATE transaction on an equally configured file).
//
// usage: bun scripts/bench/storage-floor.ts [BATCHES]

import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage } from "../../src/storage/open.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { writeBenchmarkSection } from "./report.ts";
import { benchBatch, seconds } from "./storage-batch.ts";

const BATCHES = Number(process.argv[2] ?? 20_000);
const BATCH_BYTES = 1024;
const tp = { topic: "bench", partition: 0 };

// A fresh buffer per batch, as each produce request brings its own (engines stamp the offset into it).
const batch = (producerId: bigint, sequence: number) => benchBatch(new Uint8Array(BATCH_BYTES).fill(7), 10, producerId, sequence);

async function measure(url: string) {
  const store: Storage = await openStorage(url);
  await store.createTopic({ name: "bench", partitions: 1, configs: {} });
  const plain = await seconds(async () => {
    for (let i = 0; i < BATCHES; i++) await store.append(tp, batch(-1n, 0));
  });
  const producerId = await store.allocateProducerId();
  const idempotent = await seconds(async () => {
    for (let i = 0; i < BATCHES; i++) await store.append(tp, batch(producerId, i * 10));
  });
  const { highWatermark } = await store.offsets(tp);
  let fetched = 0;
  const fetch = await seconds(async () => {
    for (let offset = 0n; offset < highWatermark; ) {
      const { batches } = await store.fetch(tp, { fetchOffset: offset, maxBytes: 1 << 20, isolation: "read_committed" });
      fetched += batches.length;
      offset += BigInt(batches.length * 10);
    }
  });
  await store.close();
  if (fetched !== BATCHES * 2) throw new Error(`fetched ${fetched} batches, expected ${BATCHES * 2}`);
  return { plain, idempotent, fetch };
}

function sqliteFloor(file: string): number {
  const db = new Database(file, { strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.run("CREATE TABLE t (k INTEGER NOT NULL, o INTEGER NOT NULL, b BLOB NOT NULL, PRIMARY KEY (k, o))");
  const begin = db.prepare("BEGIN IMMEDIATE");
  const insert = db.prepare("INSERT INTO t VALUES (1, ?, ?)");
  const commit = db.prepare("COMMIT");
  const start = Bun.nanoseconds();
  for (let i = 0; i < BATCHES; i++) {
    begin.run();
    insert.run(i, new Uint8Array(BATCH_BYTES).fill(7));
    commit.run();
  }
  const elapsed = (Bun.nanoseconds() - start) / 1e9;
  db.close();
  return elapsed;
}

const dir = mkdtempSync(join(tmpdir(), "tansu-storage-bench-"));
try {
  const rows: string[] = [];
  const perSecond = (s: number) => Math.round(BATCHES / s).toLocaleString("en");
  const mbPerSecond = (s: number, count = BATCHES) => ((count * BATCH_BYTES) / s / 1e6).toFixed(1);
  const floor = sqliteFloor(join(dir, "floor.db"));
  // Appends compare with the floor (same count of single-row write transactions); fetches have no floor here.
  const ratio = (s: number) => (floor / s).toFixed(2);
  rows.push(`| bun:sqlite floor: 1 INSERT per IMMEDIATE txn | ${perSecond(floor)} | ${mbPerSecond(floor)} | 1.00 |`);
  for (const [name, url] of [
    ["memory://", "memory://"],
    ["sqlite://", `sqlite://${join(dir, "bench.db")}`],
  ] as const) {
    const r = await measure(url);
    rows.push(`| ${name} append | ${perSecond(r.plain)} | ${mbPerSecond(r.plain)} | ${ratio(r.plain)} |`);
    rows.push(`| ${name} append, idempotent | ${perSecond(r.idempotent)} | ${mbPerSecond(r.idempotent)} | ${ratio(r.idempotent)} |`);
    rows.push(`| ${name} fetch 1 MiB, read_committed | ${perSecond(r.fetch / 2)} | ${mbPerSecond(r.fetch, BATCHES * 2)} | — |`);
  }
  const table = [
    "## Storage engines",
    "",
    `Command: \`bun scripts/bench/storage-floor.ts ${BATCHES}\` (${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}).`,
    `${BATCHES.toLocaleString("en")} batches of ${BATCH_BYTES} bytes, one partition, one append per call as produce does.`,
    "",
    "| operation | batches/s | MB/s | × floor (higher is better) |",
    "|---|---:|---:|---:|",
    ...rows,
  ].join("\n");
  console.log(table);
  writeBenchmarkSection("storage", table);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
