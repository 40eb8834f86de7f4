// Several broker processes appending to one partition of one database at the same time: only
// the watermark row lock stands between them.
import { test } from "bun:test";
import { PostgresStorage } from "../../src/storage/engines/postgres/postgres-storage.ts";
import { checkConcurrentAppends } from "./concurrent-appends.ts";
import { usePostgresDatabases } from "./postgres-fixtures.ts";

const databases = usePostgresDatabases();

test("concurrent appends from several processes get contiguous, unique offsets and all persist", async () => {
  const url = await databases().fresh();
  await checkConcurrentAppends({
    url,
    workers: 3,
    appendsPerWorker: 150,
    open: () => PostgresStorage.open(url),
    readAll: async (store, tp) =>
      (await store.fetch(tp, { fetchOffset: 0n, maxBytes: 1 << 30, isolation: "read_uncommitted" })).batches,
  });
}, 120_000);
