// What the storage benchmarks append: a batch of `offsetCount` records in `bytes` (the
// engines never parse it), plain or from an idempotent producer, and a timer for a run.
import type { AppendBatch } from "../../src/storage/storage.ts";

/** A batch as produce hands it to the store; producerId -1n is a plain producer. */
export function benchBatch(bytes: Uint8Array, offsetCount: number, producerId: bigint, sequence: number): AppendBatch {
  return {
    bytes,
    offsetCount,
    maxTimestamp: 1_700_000_000_000n,
    producerId,
    producerEpoch: 0,
    baseSequence: producerId < 0n ? -1 : sequence,
    transactional: false,
    control: null,
  };
}

/** Wall-clock seconds `work` takes. */
export async function seconds(work: () => Promise<unknown> | unknown): Promise<number> {
  const start = Bun.nanoseconds();
  await work();
  return (Bun.nanoseconds() - start) / 1e9;
}
