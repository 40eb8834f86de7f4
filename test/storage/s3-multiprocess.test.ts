// Several broker processes appending to one partition through one bucket at the same time:
// only S3's conditional writes stand between them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { ObjectStore } from "../../src/storage/engines/s3/object-store.ts";
import { s3Location } from "../../src/storage/engines/s3/s3-location.ts";
import { S3Storage } from "../../src/storage/engines/s3/s3-storage.ts";
import { startS3, type RunningS3 } from "../harness/s3.ts";
import { baseOffsetOf, payloadOf } from "./contract.ts";
import { fetchAll, s3Env } from "./s3-fixtures.ts";

const WORKERS = 3;
const APPENDS_PER_WORKER = 60;
const worker = join(import.meta.dir, "s3-append-worker.ts");
const URL = "s3://tansu-mp/shared/";

let s3: RunningS3;
let env: Record<string, string>;
beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket("tansu-mp");
  env = s3Env(s3);
}, 300_000);
afterAll(async () => {
  await s3?.stop();
});

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
  const setup = await S3Storage.open(URL, { env });
  await setup.createTopic({ name: "shared", partitions: 1, configs: {} });
  await setup.close();

  const children = Array.from({ length: WORKERS }, (_, w) => {
    const proc = Bun.spawn([process.execPath, worker, URL, `w${w}`, String(APPENDS_PER_WORKER)], {
      env: { ...process.env, ...env },
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

  // What the store holds is exactly what was acknowledged, stamped with its offset, and no
  // batch object is left over from a lost race or a retry.
  const store = await S3Storage.open(URL, { env });
  const tp = { topic: "shared", partition: 0 };
  expect((await store.offsets(tp)).highWatermark).toBe(next);
  const batches = await fetchAll(store, tp);
  expect(batches.map(payloadOf)).toEqual(byOffset.map((a) => a.payload));
  expect(batches.map(baseOffsetOf)).toEqual(byOffset.map((a) => BigInt(a.baseOffset)));
  await store.close();
  const location = s3Location(URL, env);
  const objects = new ObjectStore(location.bucket, location.endpoint, location.client);
  const stored = (await objects.list(`${location.prefix}logs/`)).filter((key) => key.includes("/batches/"));
  expect(stored.length).toBe(acks.length);
  objects.close();
}, 300_000);
