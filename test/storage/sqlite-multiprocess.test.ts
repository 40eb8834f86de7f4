// Several broker processes appending to one partition of one SQLite file at the same time.
import { afterAll, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStorage } from "../../src/storage/engines/sqlite/sqlite-storage.ts";
import { checkConcurrentAppends } from "./concurrent-appends.ts";

const dir = mkdtempSync(join(tmpdir(), "tansu-sqlite-mp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("concurrent appends from several processes get contiguous, unique offsets and all persist", async () => {
  const file = join(dir, "shared.db");
  await checkConcurrentAppends({
    url: `sqlite://${file}`,
    workers: 3,
    appendsPerWorker: 150,
    open: async () => SqliteStorage.open(file),
    readAll: async (store, tp) =>
      (await store.fetch(tp, { fetchOffset: 0n, maxBytes: 1 << 30, isolation: "read_uncommitted" })).batches,
  });
});
