import { describe, expect, test } from "bun:test";
import {
  appendToHead,
  decodeHead,
  emptyHead,
  encodeHead,
  offsetsOf,
  overflowOf,
  PRODUCER_EXPIRATION_MS,
  withChunk,
  withLogStart,
  type PartitionHead,
} from "../../../../src/storage/engines/s3/partition-head.ts";
import { OutOfOrderSequenceError } from "../../../../src/storage/errors.ts";
import { fakeBatch } from "../../contract.ts";

function appended(head: PartitionHead, payload: string, fields: Parameters<typeof fakeBatch>[1] = {}, object = payload): PartitionHead {
  const decision = appendToHead(head, fakeBatch(payload, fields), object, 100);
  if ("duplicate" in decision) throw new Error(`${payload} was a duplicate`);
  return decision.head;
}

describe("partition head", () => {
  test("an append indexes the batch at the high watermark and leaves the read head untouched", () => {
    const before = emptyHead();
    const decision = appendToHead(before, fakeBatch("a", { offsetCount: 3, maxTimestamp: 7n }), "obj-a", 64);
    expect(decision).toEqual({
      head: expect.objectContaining({
        highWatermark: 3n,
        entries: [{ baseOffset: 0n, lastOffset: 2n, maxTimestamp: 7n, size: 64, object: "obj-a" }],
      }),
      result: { baseOffset: 0n, logStartOffset: 0n, duplicate: false },
    });
    expect(before).toEqual(emptyHead());
  });

  test("duplicates and sequence errors are decided against the head", () => {
    const producer = { producerId: 4n, producerEpoch: 0 };
    const head = appended(emptyHead(), "a", { ...producer, baseSequence: 0 });
    expect(appendToHead(head, fakeBatch("a", { ...producer, baseSequence: 0 }), "again", 1)).toEqual({
      duplicate: { baseOffset: 0n, logStartOffset: 0n, duplicate: true },
    });
    expect(() => appendToHead(head, fakeBatch("c", { ...producer, baseSequence: 5 }), "c", 1)).toThrow(OutOfOrderSequenceError);
  });

  test("open and aborted transactions survive encoding", () => {
    const txn = { producerId: 5n, producerEpoch: 1, transactional: true };
    let head = appended(emptyHead(), "plain");
    head = appended(head, "t", { ...txn, baseSequence: 0 });
    expect(offsetsOf(head)).toEqual({ logStartOffset: 0n, highWatermark: 2n, lastStableOffset: 1n });
    head = appended(head, "abort", { ...txn, baseSequence: -1, control: "abort" });
    head = appended(head, "t2", { ...txn, baseSequence: 1 });
    const back = decodeHead(JSON.parse(JSON.stringify(encodeHead(head))));
    expect(back).toEqual(head);
    expect(back.aborted).toEqual([{ producerId: 5n, firstOffset: 1n, lastOffset: 2n }]);
    expect(offsetsOf(back).lastStableOffset).toBe(3n);
  });

  test("a producer idle past the expiration is forgotten unless its transaction is open", () => {
    const start = 1_700_000_000_000;
    const append = (head: PartitionHead, payload: string, fields: Parameters<typeof fakeBatch>[1], at: number) => {
      const decision = appendToHead(head, fakeBatch(payload, fields), payload, 1, at);
      if ("duplicate" in decision) throw new Error(`${payload} was a duplicate`);
      return decision.head;
    };
    let head = append(emptyHead(), "idle", { producerId: 1n, producerEpoch: 0, baseSequence: 0 }, start);
    head = append(head, "open", { producerId: 2n, producerEpoch: 0, baseSequence: 0, transactional: true }, start);
    head = append(head, "recent", { producerId: 3n, producerEpoch: 0, baseSequence: 0 }, start + PRODUCER_EXPIRATION_MS - 1);
    head = append(head, "later", { producerId: 4n, producerEpoch: 0, baseSequence: 0 }, start + PRODUCER_EXPIRATION_MS);
    expect([...head.producers.keys()]).toEqual([2n, 3n, 4n]);
    expect(head.producers.get(4n)!.lastWriteMs).toBe(start + PRODUCER_EXPIRATION_MS);
    // Forgotten, the idle producer may only start again at sequence 0.
    expect(() => appendToHead(head, fakeBatch("again", { producerId: 1n, producerEpoch: 0, baseSequence: 1 }), "x", 1)).toThrow(
      OutOfOrderSequenceError,
    );
  });

  test("past the limit the oldest entries move to a chunk reference", () => {
    let head = emptyHead();
    for (let i = 0; i < 5; i++) head = appended(head, `m${i}`, { maxTimestamp: BigInt(10 - i) });
    expect(overflowOf(head, 5, 2)).toBeNull();
    head = appended(head, "m5");
    const moved = overflowOf(head, 5, 2)!;
    expect(moved.map((e) => e.object)).toEqual(["m0", "m1", "m2", "m3"]);
    const chunked = withChunk(head, moved, "chunk-1");
    expect(chunked.chunks).toEqual([{ object: "chunk-1", baseOffset: 0n, lastOffset: 3n, maxTimestamp: 10n }]);
    expect(chunked.entries.map((e) => e.object)).toEqual(["m4", "m5"]);
    expect(decodeHead(encodeHead(chunked))).toEqual(chunked);
  });

  test("a new log start drops entries and chunks wholly below it and aborted transactions ending below it", () => {
    let head = emptyHead();
    for (let i = 0; i < 6; i++) head = appended(head, `m${i}`, { offsetCount: 2 });
    head = withChunk(head, head.entries.slice(0, 2), "c0");
    head = withChunk(head, head.entries.slice(0, 2), "c1");
    head = { ...head, aborted: [{ producerId: 1n, firstOffset: 0n, lastOffset: 4n }, { producerId: 2n, firstOffset: 5n, lastOffset: 9n }] };
    const after = withLogStart(head, 5n);
    expect(after.logStartOffset).toBe(5n);
    expect(after.chunks.map((c) => c.object)).toEqual(["c1"]);
    expect(after.entries.map((e) => e.object)).toEqual(["m4", "m5"]);
    expect(after.aborted.map((a) => a.producerId)).toEqual([2n]);
  });
});
