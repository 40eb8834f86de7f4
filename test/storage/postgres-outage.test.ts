// PostgreSQL going away under a postgres:// store: every call fails with a retriable
// StorageUnavailableError instead of hanging, the store works again once the server is back
// (the same store object, no reopening), and an idempotent producer that retries what failed
// ends up with every record exactly once.
import { expect, test } from "bun:test";
import postgres from "postgres";
import { PostgresStorage } from "../../src/storage/engines/postgres/postgres-storage.ts";
import { StorageUnavailableError } from "../../src/storage/errors.ts";
import type { TopicPartition } from "../../src/storage/storage.ts";
import { fakeBatch, payloadOf } from "./contract.ts";
import { usePostgresDatabases } from "./postgres-fixtures.ts";

const databases = usePostgresDatabases();

const tp: TopicPartition = { topic: "t", partition: 0 };

/** Runs `body` on a store of a fresh database; the server is up again afterwards whatever happened. */
async function withStore(body: (store: PostgresStorage, url: string) => Promise<void>): Promise<void> {
  const url = await databases().fresh();
  const store = await PostgresStorage.open(url);
  try {
    await body(store, url);
  } finally {
    await databases().cluster.start();
    await store.close();
  }
}
const everything = { fetchOffset: 0n, maxBytes: 1 << 30, isolation: "read_uncommitted" } as const;

test("while the server is down every call is StorageUnavailableError; afterwards the same store carries on", () =>
  withStore(async (store) => {
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    await store.append(tp, fakeBatch("before"));
    await databases().cluster.stop("immediate");
    const calls = [
      () => store.append(tp, fakeBatch("during")),
      () => store.fetch(tp, everything),
      () => store.offsets(tp),
      () => store.getTopic({ name: "t" }),
      () => store.putRecord("group", "g", { a: 1 }, null),
      () => store.allocateProducerId(),
    ];
    for (const call of calls) await expect(call()).rejects.toThrow(StorageUnavailableError);
    await databases().cluster.start();
    expect((await store.append(tp, fakeBatch("after"))).baseOffset).toBe(1n);
    expect((await store.fetch(tp, everything)).batches.map(payloadOf)).toEqual(["before", "after"]);
  }), 120_000);

test("an idempotent producer retrying through restarts gets every record in exactly once, in order", () =>
  withStore(async (store) => {
    const records = 400;
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
            // The server is back within a second or two; minutes of refusals mean a broken store.
            if (++refused > 3000) throw error;
            await Bun.sleep(20);
          }
        }
      }
    })();
    let stopped: unknown = null;
    produce.catch((error) => (stopped = error ?? new Error("the producer stopped")));
    // Until `n` records are acknowledged; a producer that stopped early fails the test with its error.
    const after = async (n: number) => {
      while (acknowledged < n) {
        if (stopped) throw stopped;
        await Bun.sleep(10);
      }
    };
    await after(100);
    await databases().cluster.stop("fast");
    await databases().cluster.start();
    await after(200);
    await databases().cluster.stop("immediate");
    await Bun.sleep(500);
    await databases().cluster.start();
    await produce;
    expect(refused).toBeGreaterThan(0);
    const { batches } = await store.fetch(tp, everything);
    expect(batches.map(payloadOf)).toEqual(Array.from({ length: records }, (_, i) => `r${i}`));
  }), 180_000);

test("notifications resume after a restart", () =>
  withStore(async (store, url) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const heard: string[] = [];
    const stop = store.watchAppends((tp) => heard.push(`${tp.topic}-${tp.partition}`));
    // Notifies until the watcher hears it: the LISTEN is (re)established in the background.
    const untilHeard = async (topic: string) => {
      for (let i = 0; i < 400 && !heard.includes(`${topic}-0`); i++) {
        await sql`SELECT pg_notify('tansu_appends', ${`0:${topic}`})`.catch(() => {});
        await Bun.sleep(25);
      }
    };
    try {
      await untilHeard("before");
      expect(heard).toContain("before-0");
      await databases().cluster.stop("immediate");
      await databases().cluster.start();
      await untilHeard("after");
      expect(heard).toContain("after-0");
    } finally {
      stop();
      await sql.end();
    }
  }), 120_000);
