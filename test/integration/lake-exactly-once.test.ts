// Exactly once into the table through the compiled broker: two brokers on one store writing one
// Iceberg or Delta table at once, a broker SIGKILLed mid-stream and restarted (the table ends with
// every record of the log once), SIGTERM committing what is buffered, and sink topics (acknowledged
// once their rows are committed, concurrent produces sharing one commit, fetches returning nothing).
// Tables are read by DuckDB (Parquet and Delta's log), python3-avro (Iceberg manifests) and icebird.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { python } from "../harness/python.ts";
import { currentMetadataFile, icebirdRows } from "../lake/iceberg-checks.ts";
import {
  allOffsets,
  alterTopic,
  createTopic,
  entries,
  entry,
  ENTRY_FILE,
  eventually,
  expectEachOffsetOnce,
  expectRowsAreLog,
  highWatermarks,
  icebergRecordCount,
  idempotentProducer,
  produceBatch,
  producePython,
  rowsOnceCommitted,
  tableRows,
  type TableFormat,
} from "./lake-harness.ts";

setDefaultTimeout(180_000);

const TOPICS = ["ledger-iceberg", "ledger-delta", "crash", "term", "optout", "txn", "sink", "sink-retry", "sink-nolake"];

let dir: string;
let schemas: string;
const brokers: RunningBroker[] = [];

beforeAll(() => {
  dir = tempDir("tansu-lake-once-");
  schemas = join(dir, "schemas");
  mkdirSync(schemas);
  for (const topic of TOPICS) writeFileSync(join(schemas, `${topic}.avsc`), ENTRY_FILE);
});
afterAll(async () => {
  for (const broker of brokers.splice(0)) await broker.stop().catch(() => undefined);
});

/** A broker with the test's schema files and a lake at `lakeDir`; catch-up every 200 ms. */
async function lakeBroker(storage: string, lakeDir: string | null, options: { port?: number; args?: string[] } = {}): Promise<RunningBroker> {
  const broker = await startBroker({
    storage,
    port: options.port,
    args: ["--schema-registry", `file://${schemas}`, ...(lakeDir ? ["--lake-location", `file://${lakeDir}`] : []), ...(options.args ?? [])],
    env: { LAKE_CATCH_UP_INTERVAL_MS: "200" },
  });
  brokers.push(broker);
  return broker;
}

/** The table holds exactly the log: every offset below each high watermark once, and every id once. */
async function expectTableIsLog(address: string, lakeDir: string, topic: string, format: TableFormat, partitions: number, ids: number): Promise<void> {
  const ends = await highWatermarks(address, topic, partitions);
  expectRowsAreLog(await rowsOnceCommitted(lakeDir, topic, format, ids), ends, ids);
}

describe("two brokers on one store, one table", () => {
  for (const format of ["iceberg", "delta"] as const) {
    test(`${format}: producers on both brokers at once, no row lost or twice`, async () => {
      const topic = `ledger-${format}`;
      const storage = `sqlite://${join(dir, `shared-${format}.db`)}`;
      const lakeDir = join(dir, `shared-lake-${format}`);
      const [a, b] = await Promise.all([lakeBroker(storage, lakeDir), lakeBroker(storage, lakeDir)]);
      await createTopic(a.url, topic, 2, { "tansu.lake.format": format, "tansu.lake.commit.records": "50", "tansu.lake.commit.interval.ms": "300" });
      await Promise.all([producePython(a.url, entries(topic, 0, 400, 2)), producePython(b.url, entries(topic, 400, 400, 2))]);
      await expectTableIsLog(a.url, lakeDir, topic, format, 2, 800);
      if (format === "iceberg") {
        const tableDir = join(lakeDir, "tansu", topic);
        const read = await icebirdRows(`file://${tableDir}`, basename(currentMetadataFile(tableDir)));
        expect(new Set(read.map((row) => `${row.partition}/${row.offset}`)).size).toBe(800);
        expect(read).toHaveLength(800);
      }
    });
  }
});

describe("a broker's end", () => {
  test("SIGKILL mid-stream, restart on the same store: the table ends with every record of the log exactly once", async () => {
    const storage = `sqlite://${join(dir, "crash.db")}`;
    const lakeDir = join(dir, "crash-lake");
    const first = await lakeBroker(storage, lakeDir);
    const tableDir = join(lakeDir, "tansu", "crash");
    // The first 500 records in one commit (the record threshold), then nothing by the clock or by count:
    // what follows is buffered at the kill, and lost with the process.
    await createTopic(first.url, "crash", 2, { "tansu.lake.format": "iceberg", "tansu.lake.commit.records": "500", "tansu.lake.commit.interval.ms": "3600000" });
    await producePython(first.url, entries("crash", 0, 500, 2));
    await eventually("the first commit", async () => icebergRecordCount(tableDir) === 500);
    await alterTopic(first.url, "crash", { "tansu.lake.commit.records": "1000000" });
    const producing = producePython(first.url, entries("crash", 500, 2500, 2), { paceMs: 1 });
    await eventually("1500 records in the log", async () => (await highWatermarks(first.url, "crash", 2)).reduce((a, b) => a + b, 0n) >= 1500n);
    expect(await first.stop("SIGKILL")).not.toBe(0);
    expect(icebergRecordCount(tableDir)).toBe(500);

    const second = await lakeBroker(storage, lakeDir, { port: first.port });
    // Catch-up reads what was appended two commit intervals ago: shorten them now.
    await alterTopic(second.url, "crash", { "tansu.lake.commit.interval.ms": "300" });
    await producing;
    await expectTableIsLog(second.url, lakeDir, "crash", "iceberg", 2, 3000);
    expect(second.logs()).toMatch(/lake: catch-up wrote \d+ records of crash-0/);
  });

  test("SIGTERM commits what is buffered; tansu.lake.enable=false keeps a topic out", async () => {
    const lakeDir = join(dir, "term-lake");
    const broker = await lakeBroker(`sqlite://${join(dir, "term.db")}`, lakeDir);
    const hour = { "tansu.lake.commit.interval.ms": "3600000", "tansu.lake.commit.records": "1000000" };
    await createTopic(broker.url, "term", 1, { ...hour, "tansu.lake.format": "delta" });
    await createTopic(broker.url, "optout", 1, { ...hour, "tansu.lake.enable": "false" });
    await producePython(broker.url, [...entries("term", 0, 100, 1), ...entries("optout", 0, 10, 1)]);
    expect(await tableRows(lakeDir, "term", "delta")).toEqual([]);
    expect(await broker.stop("SIGTERM")).toBe(0);
    const rows = await tableRows(lakeDir, "term", "delta");
    expect(rows).toHaveLength(100);
    expect(expectEachOffsetOnce(rows).size).toBe(100);
    expect(existsSync(join(lakeDir, "tansu", "optout"))).toBe(false);
  });
});

const TRANSACTIONS = String.raw`
import sys
from confluent_kafka import Producer
bootstrap, topic = sys.argv[1], sys.argv[2]
payloads = [bytes.fromhex(line) for line in sys.stdin.read().split()]
p = Producer({"bootstrap.servers": bootstrap, "transactional.id": "lake-txn"})
p.init_transactions(30)
for first, count, commit in [(0, 10, True), (20, 5, False), (10, 10, True)]:
    p.begin_transaction()
    for i in range(first, first + count): p.produce(topic, payloads[i], partition=0)
    p.flush(30)
    if commit: p.commit_transaction(30)
    else: p.abort_transaction(30)
print("done")
`;

describe("transactions", () => {
  test("rows of committed transactions reach the table, of aborted ones never", async () => {
    const lakeDir = join(dir, "txn-lake");
    const broker = await lakeBroker(`sqlite://${join(dir, "txn.db")}`, lakeDir);
    await createTopic(broker.url, "txn", 1, { "tansu.lake.format": "iceberg", "tansu.lake.commit.interval.ms": "200" });
    const payloads = Array.from({ length: 25 }, (_, i) => Buffer.from(entry(i)).toString("hex")).join("\n");
    const run = await python(TRANSACTIONS, [broker.url, "txn"], { input: payloads, timeoutMs: 90_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("done");
    // 25 records and three markers in the log; entries 20-24 were aborted.
    expect(await highWatermarks(broker.url, "txn", 1)).toEqual([28n]);
    const rows = await rowsOnceCommitted(lakeDir, "txn", "iceberg", 20);
    expect(expectEachOffsetOnce(rows).size).toBe(20);
    expect(rows.map((row) => Number(row.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Once every pass has looked past the log's end, no aborted row has come in after all.
    expect(broker.logs()).toMatch(/lake: catch-up wrote \d+ records of txn-0 from the log \(offsets \d+ to 27\)/);
    expect(await tableRows(lakeDir, "txn", "iceberg")).toHaveLength(20);
  });
});

describe("sink topics", () => {
  test("a produce is acknowledged once its rows are committed, concurrent produces share one commit, fetch returns nothing", async () => {
    const lakeDir = join(dir, "sink-lake");
    const broker = await lakeBroker(`sqlite://${join(dir, "sink.db")}`, lakeDir, { args: ["--log-level", "debug"] });
    // One commit once 50 rows are buffered, none by the clock: five produces of ten rows each wait for it.
    await createTopic(broker.url, "sink", 1, {
      "tansu.lake.sink": "true",
      "tansu.lake.format": "iceberg",
      "tansu.lake.commit.records": "50",
      "tansu.lake.commit.interval.ms": "3600000",
    });
    const tableDir = join(lakeDir, "tansu", "sink");
    const committedWhenAcknowledged: number[] = [];
    const responses = await Promise.all(
      Array.from({ length: 5 }, async (_, p) => {
        const response = await produceBatch(broker.url, "sink", 0, Array.from({ length: 10 }, (_, i) => entry(p * 10 + i)));
        committedWhenAcknowledged.push(icebergRecordCount(tableDir));
        return response;
      }),
    );
    expect(responses.map((r) => r.errorCode)).toEqual([0, 0, 0, 0, 0]);
    // Offsets stay unique and increasing per partition.
    expect(responses.map((r) => r.baseOffset).sort((a, b) => Number(a - b))).toEqual([0n, 10n, 20n, 30n, 40n]);
    expect(committedWhenAcknowledged).toEqual([50, 50, 50, 50, 50]);
    const rows = await tableRows(lakeDir, "sink", "iceberg");
    expect([...expectEachOffsetOnce(rows)].sort()).toEqual([...allOffsets([50n])].sort());
    const metadata = JSON.parse(await Bun.file(currentMetadataFile(tableDir)).text());
    expect(metadata.snapshots).toHaveLength(1);

    expect(await highWatermarks(broker.url, "sink", 1)).toEqual([50n]);
    // Nothing is kept in the log: it starts where it ends.
    expect(await highWatermarks(broker.url, "sink", 1, "earliest")).toEqual([50n]);
    const consumed = await kcat(["-C", "-b", broker.url, "-t", "sink", "-o", "beginning", "-e", "-q", "-f", "%o\n"]);
    expect(consumed.exitCode).toBe(0);
    expect(consumed.stdout).toBe("");
    expect(broker.logs()).toContain("sink is a sink topic (tansu.lake.sink=true), its records are only in its table");
    // The batches are gone from the log, not only hidden: as an ordinary topic it has nothing to read.
    await alterTopic(broker.url, "sink", { "tansu.lake.sink": "false" });
    const afterwards = await kcat(["-C", "-b", broker.url, "-t", "sink", "-o", "beginning", "-e", "-q", "-f", "%o\n"]);
    expect(afterwards.stdout).toBe("");
  });

  test("an idempotent producer's retry of a sink batch is answered once the first copy's rows are committed, and adds none", async () => {
    const lakeDir = join(dir, "sink-retry-lake");
    const broker = await lakeBroker(`sqlite://${join(dir, "sink-retry.db")}`, lakeDir);
    await createTopic(broker.url, "sink-retry", 1, { "tansu.lake.sink": "true", "tansu.lake.format": "delta", "tansu.lake.commit.records": "10", "tansu.lake.commit.interval.ms": "3600000" });
    const producer = await idempotentProducer(broker.url);
    const first = Array.from({ length: 5 }, (_, i) => entry(i));
    const firstCommit = join(lakeDir, "tansu", "sink-retry", "_delta_log", `${"0".padStart(20, "0")}.json`);
    const committedAtAnswer: boolean[] = [];
    // The same batch twice at once, as after a timed-out request: one is appended, the other is its duplicate.
    const copies = [0, 1].map(async () => {
      const response = await produceBatch(broker.url, "sink-retry", 0, first, { ...producer, baseSequence: 0 });
      committedAtAnswer.push(existsSync(firstCommit));
      return response;
    });
    await eventually("the first copy in the log", async () => (await highWatermarks(broker.url, "sink-retry", 1))[0] === 5n);
    // Neither can be answered before the commit, which needs ten rows: five more, the producer's next batch.
    const next = await produceBatch(broker.url, "sink-retry", 0, Array.from({ length: 5 }, (_, i) => entry(5 + i)), { ...producer, baseSequence: 5 });
    const answered = await Promise.all(copies);
    expect(committedAtAnswer).toEqual([true, true]);
    expect([...answered, next].map((r) => [r.errorCode, r.baseOffset])).toEqual([
      [0, 0n],
      [0, 0n],
      [0, 5n],
    ]);
    const rows = await tableRows(lakeDir, "sink-retry", "delta");
    expectRowsAreLog(rows, await highWatermarks(broker.url, "sink-retry", 1), 10);
  });

  test("a broker without a lake refuses to produce to a sink topic", async () => {
    const broker = await lakeBroker("memory://", null);
    await createTopic(broker.url, "sink-nolake", 1, { "tansu.lake.sink": "true" });
    const response = await produceBatch(broker.url, "sink-nolake", 0, [entry(1)]);
    expect(response.errorCode).toBe(ErrorCode.POLICY_VIOLATION);
    expect(response.errorMessage).toContain("this broker has no lake (--lake-location)");
  });
});
