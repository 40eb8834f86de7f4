// Several broker processes appending to one partition of one SQLite file at the same time.
import { afterAll, expect, test } from "bun:test";
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

test("several processes opening one fresh file at the same moment all open it (the WAL switch is retried)", async () => {
  // SQLite refuses a concurrent switch to WAL at once, without its busy handler: seen about once in 40 starts
  // of three processes. Each process loads the engine, says so, and opens the file when stdin closes, so the
  // opens coincide.
  const opener = `
    import { SqliteStorage } from ${JSON.stringify(join(import.meta.dir, "../../src/storage/engines/sqlite/sqlite-storage.ts"))};
    console.log("ready");
    await Bun.stdin.text();
    try { await SqliteStorage.open(process.argv[1]).close(); console.log("opened"); } catch (e) { console.log(e.message); }
  `;
  const outcomes: string[] = [];
  for (let round = 0; round < 20; round++) {
    const file = join(dir, `fresh-${round}.db`);
    const runs = Array.from({ length: 4 }, () => Bun.spawn([process.execPath, "-e", opener, file], { stdin: "pipe", stdout: "pipe", stderr: "inherit" }));
    const readers = runs.map((p) => p.stdout.getReader());
    const decoder = new TextDecoder();
    // Everyone loaded; then all start together.
    for (const reader of readers) expect(decoder.decode((await reader.read()).value)).toBe("ready\n");
    for (const p of runs) p.stdin.end();
    for (const reader of readers) {
      let rest = "";
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += decoder.decode(chunk.value);
      outcomes.push(rest.trim());
    }
  }
  expect(outcomes.filter((o) => o !== "opened")).toEqual([]);
});
