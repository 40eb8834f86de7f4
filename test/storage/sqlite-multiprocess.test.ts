// Several broker processes appending to one partition of one SQLite file at the same time.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStorage } from "../../src/storage/engines/sqlite/sqlite-storage.ts";
import { baseOffsetOf, payloadOf } from "./contract.ts";

const dir = mkdtempSync(join(tmpdir(), "tansu-sqlite-mp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WORKERS = 3;
const APPENDS_PER_WORKER = 150;
const worker = join(import.meta.dir, "sqlite-append-worker.ts");

interface Ack {
  payload: string;
  producerId: string;
  offsetCount: number;
  baseOffset: string;
  duplicate: boolean;
}
interface Retry {
  retryOf: string;
  baseOffset: string;
  duplicate: boolean;
}

/** Lines of a child's stdout, as they arrive. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
    }
  }
  if (buffered) yield buffered;
}

test("concurrent appends from several processes get contiguous, unique offsets and all persist", async () => {
  const file = join(dir, "shared.db");
  const setup = SqliteStorage.open(file);
  await setup.createTopic({ name: "shared", partitions: 1, configs: {} });
  await setup.close();

  const children = Array.from({ length: WORKERS }, (_, w) => {
    const proc = Bun.spawn([process.execPath, worker, file, `w${w}`, String(APPENDS_PER_WORKER)], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    return { proc, output: lines(proc.stdout) };
  });
  // Start signal only once every worker has opened the store, so their appends overlap.
  for (const { output } of children) expect((await output.next()).value).toBe("ready");
  for (const { proc } of children) proc.stdin.end();

  const acks: Ack[] = [];
  const retries: Retry[] = [];
  for (const { proc, output } of children) {
    for await (const line of output) {
      const parsed = JSON.parse(line) as Ack | Retry;
      if ("retryOf" in parsed) retries.push(parsed);
      else acks.push(parsed);
    }
    const exitCode = await proc.exited;
    if (exitCode !== 0) throw new Error(`worker failed (${exitCode}): ${await new Response(proc.stderr).text()}`);
  }

  expect(acks.length).toBe(WORKERS * APPENDS_PER_WORKER);
  expect(acks.every((a) => !a.duplicate)).toBe(true);
  expect(new Set(acks.map((a) => a.producerId)).size).toBe(WORKERS);

  // Offsets tile the log: sorted by base offset, each batch starts where the previous ended.
  const byOffset = [...acks].sort((a, b) => (BigInt(a.baseOffset) < BigInt(b.baseOffset) ? -1 : 1));
  let next = 0n;
  for (const ack of byOffset) {
    expect(BigInt(ack.baseOffset)).toBe(next);
    next += BigInt(ack.offsetCount);
  }

  // Each retry got its original offset back.
  const offsetOf = new Map(acks.map((a) => [a.payload, a.baseOffset]));
  expect(retries.length).toBe(WORKERS * Math.floor(APPENDS_PER_WORKER / 10));
  for (const retry of retries) {
    expect(retry.duplicate).toBe(true);
    expect(retry.baseOffset).toBe(offsetOf.get(retry.retryOf)!);
  }

  // What the store holds is exactly what was acknowledged, stamped with its offset.
  const store = SqliteStorage.open(file);
  const tp = { topic: "shared", partition: 0 };
  expect((await store.offsets(tp)).highWatermark).toBe(next);
  const { batches } = await store.fetch(tp, { fetchOffset: 0n, maxBytes: 1 << 30, isolation: "read_uncommitted" });
  expect(batches.map(payloadOf)).toEqual(byOffset.map((a) => a.payload));
  expect(batches.map(baseOffsetOf)).toEqual(byOffset.map((a) => BigInt(a.baseOffset)));
  await store.close();
});
