// The log as a read_committed consumer sees it, which the lake writer's catch-up reads: no control
// batches, no batches of aborted transactions, offsets below the log start passed over, and the
// reader's skip honoured.

import { beforeEach, describe, expect, test } from "bun:test";
import { committedBatches } from "../../src/broker/committed-log.ts";
import { encodeControlBatch, encodeRecordBatch } from "../../src/protocol/record-batch.ts";
import { MemoryStorage } from "../../src/storage/engines/memory/memory-storage.ts";
import type { AppendBatch } from "../../src/storage/storage.ts";

const tp = { topic: "t", partition: 0 };
let storage: MemoryStorage;

function batch(count: number, options: { producerId?: bigint; transactional?: boolean } = {}): AppendBatch {
  const producerId = options.producerId ?? -1n;
  const bytes = encodeRecordBatch({
    baseTimestamp: 0n,
    producerId,
    producerEpoch: 0,
    baseSequence: producerId >= 0n ? 0 : -1,
    transactional: options.transactional,
    records: Array.from({ length: count }, (_, i) => ({ offsetDelta: i, value: new Uint8Array([i]) })),
  });
  return { bytes, offsetCount: count, maxTimestamp: 0n, producerId, producerEpoch: 0, baseSequence: producerId >= 0n ? 0 : -1, transactional: options.transactional ?? false, control: null };
}

function marker(producerId: bigint, commit: boolean): AppendBatch {
  const bytes = encodeControlBatch({ producerId, producerEpoch: 0, commit, timestamp: 0n });
  return { bytes, offsetCount: 1, maxTimestamp: 0n, producerId, producerEpoch: 0, baseSequence: -1, transactional: true, control: commit ? "commit" : "abort" };
}

async function read(from: bigint, until: bigint, skip?: (offset: bigint) => bigint): Promise<Array<[bigint, bigint]>> {
  const out: Array<[bigint, bigint]> = [];
  for await (const stored of committedBatches(storage, tp, from, until, skip)) out.push([stored.header.baseOffset, stored.lastOffset]);
  return out;
}

beforeEach(async () => {
  storage = new MemoryStorage();
  await storage.createTopic({ name: "t", partitions: 1, configs: {} });
  await storage.append(tp, batch(2)); // 0-1
  await storage.append(tp, batch(2, { producerId: 7n, transactional: true })); // 2-3, committed
  await storage.append(tp, marker(7n, true)); // 4
  await storage.append(tp, batch(1, { producerId: 8n, transactional: true })); // 5, aborted
  await storage.append(tp, marker(8n, false)); // 6
  await storage.append(tp, batch(3)); // 7-9
});

describe("committedBatches", () => {
  test("data batches of the log and of committed transactions only", async () => {
    expect(await read(0n, 10n)).toEqual([
      [0n, 1n],
      [2n, 3n],
      [7n, 9n],
    ]);
  });

  test("stops at `until`; the first batch may start before `from`", async () => {
    expect(await read(3n, 7n)).toEqual([[2n, 3n]]);
  });

  test("skips what the reader holds already", async () => {
    expect(await read(0n, 10n, (offset) => (offset <= 3n ? 4n : offset))).toEqual([[7n, 9n]]);
  });

  test("offsets below the log start are passed over", async () => {
    await storage.deleteRecords(tp, 7n);
    expect(await read(0n, 10n)).toEqual([[7n, 9n]]);
  });

  test("a transaction still open is not read: the log is read below the last stable offset", async () => {
    await storage.append(tp, batch(2, { producerId: 9n, transactional: true })); // 10-11, open
    await storage.append(tp, batch(1)); // 12
    expect(await read(0n, 13n)).toEqual([
      [0n, 1n],
      [2n, 3n],
      [7n, 9n],
    ]);
  });
});
