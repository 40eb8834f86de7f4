// The database as a way in and out of the log, through the compiled broker: the README's
// transactional outbox with psql and kcat (commit seen by a consumer on another broker, woken by
// NOTIFY; rollback never seen), SQL and librdkafka placing keyed records on the same
// partitions, and tansu.records showing what Kafka clients produced.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ZERO_UUID } from "../../src/protocol/reader.ts";
import { decodeRecordBatches } from "../../src/protocol/record-batch.ts";
import { BROKER_BINARY, startBroker, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { runCommand } from "../harness/run.ts";
import { startPostgresStores, type PostgresStores } from "../harness/stores.ts";

let pg: PostgresStores;
let storage: string;
let a: RunningBroker;
let b: RunningBroker;
let sql: postgres.Sql;

beforeAll(async () => {
  pg = await startPostgresStores();
  ({ storage } = await pg.fresh());
  // Broker b re-reads the store only every ten minutes: a long poll there ends early only by NOTIFY.
  a = await startBroker({ storage });
  b = await startBroker({ storage, env: { FETCH_POLL_MS: "600000" } });
  sql = postgres(storage, { max: 1, onnotice: () => {} });
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await a?.stop();
  await b?.stop();
  await pg?.stop();
});

/** Runs SQL through psql, stopping at the first error, as a user would. */
async function psql(script: string) {
  const run = await runCommand([join(pg.cluster.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", storage, "-f", "-"], { input: script });
  expect(run, run.stderr).toMatchObject({ exitCode: 0, timedOut: false });
  return run;
}

const tansu = (...args: string[]) => runCommand([BROKER_BINARY, ...args, "--broker", a.url]);

// The README's example, word for word.
const OUTBOX = `BEGIN;
UPDATE orders SET state = 'paid' WHERE id = 42;
SELECT tansu.produce('order-events', convert_to('42', 'UTF8'), convert_to('{"id":42,"state":"paid"}', 'UTF8'));
COMMIT;`;

test("the README shows the outbox example this test runs", () => {
  const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
  expect(readme.includes(OUTBOX), "README.md shows the outbox example verbatim").toBe(true);
});

test("outbox: a committed record reaches a consumer on another broker at once, a rolled back one never does", async () => {
  expect((await tansu("topic", "create", "order-events")).exitCode).toBe(0);
  await psql("CREATE TABLE orders (id integer PRIMARY KEY, state text NOT NULL); INSERT INTO orders VALUES (42, 'new'), (43, 'new');");

  // A long poll on broker b, waiting before anything is committed; only the commit's NOTIFY can end it early.
  const connection = await KafkaConnection.connect(b.url);
  try {
    const waiting = connection.request(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 600_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "order-events", topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: "",
    });
    await psql(OUTBOX);
    const [record] = decodeRecordBatches((await waiting).responses[0]!.partitions[0]!.records!)[0]!.records;
    expect(new TextDecoder().decode(record!.key!)).toBe("42");
  } finally {
    connection.close();
  }

  await psql(`BEGIN;
UPDATE orders SET state = 'paid' WHERE id = 43;
SELECT tansu.produce('order-events', convert_to('43', 'UTF8'), convert_to('{"id":43,"state":"paid"}', 'UTF8'));
ROLLBACK;`);
  await psql(`SELECT tansu.produce('order-events', convert_to('44', 'UTF8'), convert_to('{"id":44,"state":"paid"}', 'UTF8'));`);
  const all = await kcat(["-b", b.url, "-t", "order-events", "-C", "-e", "-o", "beginning", "-f", "%o %k %s\\n"], { timeoutMs: 60_000 });
  expect(all.stdout).toBe('0 42 {"id":42,"state":"paid"}\n1 44 {"id":44,"state":"paid"}\n');
  expect((await sql`SELECT id, state FROM orders ORDER BY id`).map((r) => `${r.id}:${r.state}`)).toEqual(["42:paid", "43:new"]);
}, 120_000);

test("keyed records land on the partitions librdkafka's murmur2_random partitioner picks for the same keys", async () => {
  for (const topic of ["keyed-kafka", "keyed-sql"]) expect((await tansu("topic", "create", topic, "--partitions", "6")).exitCode).toBe(0);
  const keys = Array.from({ length: 60 }, (_, i) => `customer-${i * 7919}`);
  const produced = await kcat(["-b", a.url, "-t", "keyed-kafka", "-P", "-K:", "-X", "partitioner=murmur2_random"], {
    input: keys.map((k) => `${k}:v`).join("\n") + "\n",
  });
  expect(produced.exitCode).toBe(0);
  for (const key of keys) await sql`SELECT tansu.produce('keyed-sql', convert_to(${key}, 'UTF8'), convert_to('v', 'UTF8'))`;

  const placement = async (topic: string) => {
    const consumed = await kcat(["-b", b.url, "-t", topic, "-C", "-e", "-o", "beginning", "-f", "%k %p\\n"], { timeoutMs: 60_000 });
    return Object.fromEntries(consumed.stdout.trim().split("\n").map((line) => line.split(" ")));
  };
  const byKafka = await placement("keyed-kafka");
  expect(Object.keys(byKafka).length).toBe(keys.length);
  // The keys spread over the partitions, so agreement is not an accident of them all landing on one.
  expect(new Set(Object.values(byKafka)).size).toBe(6);
  expect(await placement("keyed-sql")).toEqual(byKafka);
}, 120_000);

test("tansu.records returns what Kafka clients produced, headers included", async () => {
  const produced = await kcat(["-b", a.url, "-t", "from-kafka", "-P", "-K:", "-z", "lz4", "-H", "trace=t-1", "-H", "trace=t-2", "-H", "app=kcat"], {
    input: "k1:first\nk2:second\n",
  });
  expect(produced.exitCode).toBe(0);
  const rows = await sql`
    SELECT partition, offset_id, convert_from(key, 'UTF8') AS key, convert_from(value, 'UTF8') AS value, headers,
           record_timestamp > now() - interval '1 hour' AS recent
    FROM tansu.records WHERE topic = 'from-kafka' ORDER BY offset_id`;
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const headers = [
    { key: "trace", value: b64("t-1") },
    { key: "trace", value: b64("t-2") },
    { key: "app", value: b64("kcat") },
  ];
  expect(rows.map((r) => ({ ...r }))).toEqual([
    { partition: 0, offset_id: "0", key: "k1", value: "first", headers, recent: true },
    { partition: 0, offset_id: "1", key: "k2", value: "second", headers, recent: true },
  ]);
}, 60_000);
