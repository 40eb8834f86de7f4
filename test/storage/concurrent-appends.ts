// Several broker processes appending to one partition of one shared store at the same time,
// for the engines that may be shared (sqlite://, s3://, postgres://): each worker process opens the store
// by URL as a broker does, all start appending at once, and the acknowledgements are checked
// against each other and against what the store then holds.
import { expect } from "bun:test";
import { join } from "node:path";
import type { Storage, TopicPartition } from "../../src/storage/storage.ts";
import { baseOffsetOf, payloadOf } from "./contract.ts";

const WORKER = join(import.meta.dir, "append-worker.ts");
const TP: TopicPartition = { topic: "shared", partition: 0 };

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

export interface ConcurrentAppendsOptions {
  url: string;
  /** Added to the workers' environment (e.g. AWS_* settings). */
  env?: Record<string, string>;
  workers: number;
  appendsPerWorker: number;
  /** Opens the store in the test process, as the workers do in theirs. */
  open(): Promise<Storage>;
  /** Reads every batch of the partition; engines whose fetch caps the batches per call page through it. */
  readAll(store: Storage, tp: TopicPartition): Promise<Uint8Array[]>;
}

/**
 * Runs the workers and checks that their acknowledged offsets tile the log without gaps or
 * overlaps, that every retried batch got its original offset back, and that the store holds
 * exactly the acknowledged batches, stamped with their offsets. Returns the acknowledged count.
 */
export async function checkConcurrentAppends(options: ConcurrentAppendsOptions): Promise<number> {
  const { url, workers, appendsPerWorker } = options;
  const env = { ...process.env, ...options.env };
  const setup = await options.open();
  await setup.createTopic({ name: TP.topic, partitions: 1, configs: {} });
  await setup.close();

  const children = Array.from({ length: workers }, (_, w) => {
    const proc = Bun.spawn([process.execPath, WORKER, url, `w${w}`, String(appendsPerWorker)], {
      env,
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

  expect(acks.length).toBe(workers * appendsPerWorker);
  expect(acks.every((a) => !a.duplicate)).toBe(true);
  expect(new Set(acks.map((a) => a.producerId)).size).toBe(workers);

  // Offsets tile the log: sorted by base offset, each batch starts where the previous ended.
  const byOffset = [...acks].sort((a, b) => (BigInt(a.baseOffset) < BigInt(b.baseOffset) ? -1 : 1));
  let next = 0n;
  for (const ack of byOffset) {
    expect(BigInt(ack.baseOffset)).toBe(next);
    next += BigInt(ack.offsetCount);
  }

  // Each retry got its original offset back.
  const offsetOf = new Map(acks.map((a) => [a.payload, a.baseOffset]));
  expect(retries.length).toBe(workers * Math.floor(appendsPerWorker / 10));
  for (const retry of retries) {
    expect(retry.duplicate).toBe(true);
    expect(retry.baseOffset).toBe(offsetOf.get(retry.retryOf)!);
  }

  // What the store holds is exactly what was acknowledged, stamped with its offset.
  const store = await options.open();
  try {
    expect((await store.offsets(TP)).highWatermark).toBe(next);
    const batches = await options.readAll(store, TP);
    expect(batches.map(payloadOf)).toEqual(byOffset.map((a) => a.payload));
    expect(batches.map(baseOffsetOf)).toEqual(byOffset.map((a) => BigInt(a.baseOffset)));
  } finally {
    await store.close();
  }
  return acks.length;
}
