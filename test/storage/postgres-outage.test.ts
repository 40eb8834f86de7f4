// PostgreSQL going away under a postgres:// store: every call fails with a retriable
// StorageUnavailableError instead of hanging, the store works again once the server is back
// (the same store object, no reopening), and an idempotent producer that retries what failed
// ends up with every record exactly once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { PostgresStorage } from "../../src/storage/engines/postgres/postgres-storage.ts";
import { StorageUnavailableError } from "../../src/storage/errors.ts";
import type { TopicPartition } from "../../src/storage/storage.ts";
import { fakeBatch, payloadOf } from "./contract.ts";
import { postgresDatabases, type PostgresDatabases } from "./postgres-fixtures.ts";

let pg: PostgresDatabases;
beforeAll(async () => {
  pg = await postgresDatabases();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

const tp: TopicPartition = { topic: "t", partition: 0 };
const everything = { fetchOffset: 0n, maxBytes: 1 << 30, isolation: "read_uncommitted" } as const;

test("while the server is down every call is StorageUnavailableError; afterwards the same store carries on", async () => {
  const store = await PostgresStorage.open(await pg.fresh());
  try {
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    await store.append(tp, fakeBatch("before"));
    await pg.cluster.stop("immediate");
    const calls = [
      () => store.append(tp, fakeBatch("during")),
      () => store.fetch(tp, everything),
      () => store.offsets(tp),
      () => store.getTopic({ name: "t" }),
      () => store.putRecord("group", "g", { a: 1 }, null),
      () => store.allocateProducerId(),
    ];
    for (const call of calls) await expect(call()).rejects.toThrow(StorageUnavailableError);
    await pg.cluster.start();
    expect((await store.append(tp, fakeBatch("after"))).baseOffset).toBe(1n);
    expect((await store.fetch(tp, everything)).batches.map(payloadOf)).toEqual(["before", "after"]);
  } finally {
    await pg.cluster.start();
    await store.close();
  }
}, 120_000);

test("an idempotent producer retrying through restarts gets every record in exactly once, in order", async () => {
  const url = await pg.fresh();
  const store = await PostgresStorage.open(url);
  const records = 400;
  try {
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    const producerId = await store.allocateProducerId();
    let acknowledged = 0;
    let refused = 0;
    // Four producers' worth of in-flight appends would reorder sequences; one producer keeps one
    // batch in flight and retries it with the same sequence until it is acknowledged.
    const produce = (async () => {
      for (let i = 0; i < records; i++) {
        for (;;) {
          try {
            await store.append(tp, fakeBatch(`r${i}`, { producerId, producerEpoch: 0, baseSequence: i }));
            acknowledged++;
            break;
          } catch (error) {
            if (!(error instanceof StorageUnavailableError)) throw error;
            refused++;
            await Bun.sleep(20);
          }
        }
      }
    })();
    const after = async (n: number) => {
      while (acknowledged < n) await Bun.sleep(10);
    };
    await after(100);
    await pg.cluster.stop("fast");
    await pg.cluster.start();
    await after(200);
    await pg.cluster.stop("immediate");
    await Bun.sleep(500);
    await pg.cluster.start();
    await produce;
    expect(refused).toBeGreaterThan(0);
    const { batches } = await store.fetch(tp, everything);
    expect(batches.map(payloadOf)).toEqual(Array.from({ length: records }, (_, i) => `r${i}`));
  } finally {
    await pg.cluster.start();
    await store.close();
  }
}, 180_000);

test("notifications resume after a restart", async () => {
  const url = await pg.fresh();
  const store = await PostgresStorage.open(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const heard: string[] = [];
  const stop = store.watchAppends((tp) => heard.push(`${tp.topic}-${tp.partition}`));
  const untilHeard = async (payload: string) => {
    for (let i = 0; i < 400 && !heard.includes(payload.replace(/^(\d+):(.*)$/, "$2-$1")); i++) {
      await sql`SELECT pg_notify('tansu_appends', ${payload})`.catch(() => {});
      await Bun.sleep(25);
    }
  };
  try {
    await untilHeard("0:before");
    expect(heard).toContain("before-0");
    await pg.cluster.stop("immediate");
    await pg.cluster.start();
    await untilHeard("0:after");
    expect(heard).toContain("after-0");
  } finally {
    stop();
    await sql.end();
    await pg.cluster.start();
    await store.close();
  }
}, 120_000);
