// The behaviour every Storage engine must show, as one reusable suite. An engine's test
// file calls storageContract() with a factory for fresh, empty stores. Batches are real
// record batches of one record (its value a readable payload) whose header agrees with the
// fields the broker hands over; most engines keep the bytes as they are, postgres:// keeps
// the records as rows and rebuilds the batch, and either way the bytes must come back.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  InvalidPartitionsError,
  InvalidProducerEpochError,
  OffsetOutOfRangeError,
  OutOfOrderSequenceError,
  StorageUnavailableError,
  TopicExistsError,
  UnknownTopicError,
} from "../../src/storage/errors.ts";
import type { AppendBatch, CommittedOffset, Storage, TopicPartition } from "../../src/storage/storage.ts";
import { decodeRecordBatch, encodeRecordBatch } from "../../src/protocol/record-batch.ts";

export interface ContractOptions {
  /**
   * Two handles onto one fresh store, as two brokers sharing it hold them. Omit for
   * engines that live inside one process.
   */
  openShared?: () => Promise<[Storage, Storage]>;
}

const INT32_MAX = 2 ** 31 - 1;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A batch of one record spanning `offsetCount` offsets; its base offset field is garbage so that the store's stamping shows. */
export function fakeBatch(payload: string, fields: Partial<Omit<AppendBatch, "bytes">> = {}): AppendBatch {
  const batch = {
    offsetCount: 1,
    maxTimestamp: 1_000n,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    transactional: false,
    control: null,
    ...fields,
  };
  const bytes = encodeRecordBatch({
    baseTimestamp: batch.maxTimestamp,
    maxTimestamp: batch.maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    transactional: batch.transactional,
    control: batch.control !== null,
    lastOffsetDelta: batch.offsetCount - 1,
    records: [{ offsetDelta: 0, value: new TextEncoder().encode(payload) }],
  });
  bytes.fill(0xee, 0, 8);
  return { bytes, ...batch };
}

/** The payload of a batch fakeBatch made, as a store returned it (its CRC must hold). */
export function payloadOf(bytes: Uint8Array): string {
  return new TextDecoder().decode(decodeRecordBatch(bytes).records[0]!.value!);
}

export function baseOffsetOf(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0);
}

/**
 * Gives a new topic "t" rows of every kind an engine keeps for a topic (records, producer state,
 * an aborted transaction, a committed offset) and deletes it: engines then check that none stayed.
 */
export async function fillAndDeleteTopic(store: Storage): Promise<void> {
  await store.createTopic({ name: "t", partitions: 2, configs: {} });
  const tp = { topic: "t", partition: 0 };
  await store.append(tp, fakeBatch("t1", { producerId: 1n, producerEpoch: 0, baseSequence: 0, transactional: true }));
  await store.append(tp, fakeBatch("abort", { producerId: 1n, producerEpoch: 0, transactional: true, control: "abort" }));
  await store.commitOffsets("g", [{ topic: "t", partition: 0, offset: 1n, leaderEpoch: 0, metadata: null, commitTimestamp: 0n }]);
  await store.deleteTopic({ name: "t" });
}

const everything = { maxBytes: 1 << 30, isolation: "read_uncommitted" } as const;
const committedOnly = { maxBytes: 1 << 30, isolation: "read_committed" } as const;

export function storageContract(name: string, open: () => Promise<Storage>, options: ContractOptions = {}): void {
  describe(`${name}: Storage contract`, () => {
    let store: Storage;
    const tp: TopicPartition = { topic: "t", partition: 0 };

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    async function withTopic(partitions = 1, topic = "t") {
      return store.createTopic({ name: topic, partitions, configs: {} });
    }

    async function appendAll(payloads: string[], fields: Partial<Omit<AppendBatch, "bytes">> = {}) {
      const offsets: bigint[] = [];
      for (const payload of payloads) offsets.push((await store.append(tp, fakeBatch(payload, fields))).baseOffset);
      return offsets;
    }

    async function payloadsFrom(fetchOffset: bigint, isolation: "read_committed" | "read_uncommitted" = "read_uncommitted") {
      const { batches } = await store.fetch(tp, { fetchOffset, maxBytes: 1 << 30, isolation });
      return batches.map(payloadOf);
    }

    describe("topics", () => {
      test("createTopic assigns a UUID v4 and the topic is found by name and by id", async () => {
        const created = await store.createTopic({ name: "orders", partitions: 3, configs: { "retention.ms": "1000" } });
        expect(created).toEqual({ name: "orders", id: expect.stringMatching(UUID_V4), partitions: 3, configs: { "retention.ms": "1000" } });
        expect(await store.getTopic({ name: "orders" })).toEqual(created);
        expect(await store.getTopic({ id: created.id })).toEqual(created);
        const other = await store.createTopic({ name: "other", partitions: 1, configs: {} });
        expect(other.id).not.toBe(created.id);
      });

      test("createTopic keeps a given id", async () => {
        const id = "0f3a2b1c-1d2e-4f00-8a9b-0123456789ab";
        expect((await store.createTopic({ name: "x", partitions: 1, configs: {}, id })).id).toBe(id);
        expect((await store.getTopic({ id }))?.name).toBe("x");
      });

      test("a taken name or id is refused with TopicExistsError", async () => {
        const first = await withTopic();
        await expect(store.createTopic({ name: "t", partitions: 2, configs: {} })).rejects.toThrow(TopicExistsError);
        await expect(store.createTopic({ name: "u", partitions: 1, configs: {}, id: first.id })).rejects.toThrow(TopicExistsError);
        expect(await store.getTopic({ name: "u" })).toBeNull();
        expect((await store.getTopic({ name: "t" }))?.partitions).toBe(1);
      });

      test("a topic needs at least one partition", async () => {
        await expect(store.createTopic({ name: "t", partitions: 0, configs: {} })).rejects.toThrow(InvalidPartitionsError);
        expect(await store.listTopics()).toEqual([]);
      });

      test("unknown topics are null", async () => {
        expect(await store.getTopic({ name: "nope" })).toBeNull();
        expect(await store.getTopic({ id: "0f3a2b1c-1d2e-4f00-8a9b-0123456789ab" })).toBeNull();
      });

      test("listTopics lists every topic by name", async () => {
        await withTopic(1, "b");
        await withTopic(2, "a");
        await withTopic(1, "c");
        expect((await store.listTopics()).map((t) => [t.name, t.partitions])).toEqual([
          ["a", 2],
          ["b", 1],
          ["c", 1],
        ]);
      });

      test("returned topics are copies: changing them changes nothing stored", async () => {
        const created = await store.createTopic({ name: "t", partitions: 1, configs: { a: "1" } });
        created.configs.a = "2";
        const got = (await store.getTopic({ name: "t" }))!;
        expect(got.configs).toEqual({ a: "1" });
        got.configs.b = "3";
        expect((await store.getTopic({ name: "t" }))!.configs).toEqual({ a: "1" });
      });

      test("createPartitions adds usable partitions and only ever grows", async () => {
        await withTopic(2);
        expect((await store.createPartitions("t", 4)).partitions).toBe(4);
        expect((await store.getTopic({ name: "t" }))!.partitions).toBe(4);
        expect((await store.append({ topic: "t", partition: 3 }, fakeBatch("p3"))).baseOffset).toBe(0n);
        await expect(store.createPartitions("t", 4)).rejects.toThrow(InvalidPartitionsError);
        await expect(store.createPartitions("t", 2)).rejects.toThrow(InvalidPartitionsError);
        await expect(store.createPartitions("nope", 5)).rejects.toThrow(UnknownTopicError);
        expect((await store.getTopic({ name: "t" }))!.partitions).toBe(4);
      });

      test("setTopicConfigs replaces the explicit configs as a whole", async () => {
        await store.createTopic({ name: "t", partitions: 1, configs: { a: "1", b: "2" } });
        expect((await store.setTopicConfigs("t", { c: "3" })).configs).toEqual({ c: "3" });
        expect((await store.getTopic({ name: "t" }))!.configs).toEqual({ c: "3" });
        await expect(store.setTopicConfigs("nope", {})).rejects.toThrow(UnknownTopicError);
      });

      test("deleteTopic removes the topic, its records, producer state and committed offsets", async () => {
        const first = await withTopic(2);
        await withTopic(1, "kept");
        for (let seq = 0; seq < 3; seq++) {
          await store.append(tp, fakeBatch(`m${seq}`, { producerId: 7n, producerEpoch: 0, baseSequence: seq }));
        }
        await store.commitOffsets("g", [committed("t", 0, 3n), committed("kept", 0, 1n)]);

        expect(await store.deleteTopic({ name: "t" })).toEqual(first);
        expect(await store.getTopic({ name: "t" })).toBeNull();
        expect(await store.getTopic({ id: first.id })).toBeNull();
        await expect(store.append(tp, fakeBatch("x"))).rejects.toThrow(UnknownTopicError);
        expect((await store.fetchOffsets("g")).map((o) => o.topic)).toEqual(["kept"]);

        const again = await withTopic(1);
        expect(again.id).not.toBe(first.id);
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 0n, highWatermark: 0n, lastStableOffset: 0n });
        expect((await store.fetch(tp, { ...everything, fetchOffset: 0n })).batches).toEqual([]);
        // The producer is unknown again, so it may not continue its old sequence.
        await expect(
          store.append(tp, fakeBatch("m3", { producerId: 7n, producerEpoch: 0, baseSequence: 3 })),
        ).rejects.toThrow(OutOfOrderSequenceError);
      });

      test("deleteTopic by id; an unknown topic gives null", async () => {
        const created = await withTopic();
        expect(await store.deleteTopic({ name: "nope" })).toBeNull();
        expect(await store.deleteTopic({ id: created.id })).toEqual(created);
        expect(await store.deleteTopic({ id: created.id })).toBeNull();
        expect(await store.listTopics()).toEqual([]);
      });
    });

    describe("append and fetch", () => {
      test("offsets are assigned in order and stamped into the stored batch", async () => {
        await withTopic();
        const original = fakeBatch("first", { offsetCount: 3 });
        expect(await store.append(tp, original)).toEqual({ baseOffset: 0n, logStartOffset: 0n, duplicate: false });
        expect((await store.append(tp, fakeBatch("second", { offsetCount: 2 }))).baseOffset).toBe(3n);
        expect((await store.append(tp, fakeBatch("third"))).baseOffset).toBe(5n);
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 0n, highWatermark: 6n, lastStableOffset: 6n });

        const { batches, highWatermark } = await store.fetch(tp, { ...everything, fetchOffset: 0n });
        expect(highWatermark).toBe(6n);
        expect(batches.map(payloadOf)).toEqual(["first", "second", "third"]);
        expect(batches.map(baseOffsetOf)).toEqual([0n, 3n, 5n]);
        expect(batches[0].subarray(8)).toEqual(original.bytes.subarray(8));
      });

      test("a batch that is a view into a larger buffer is stored as exactly that view", async () => {
        await withTopic();
        await appendAll(["first"]);
        const inner = fakeBatch("inside a request").bytes;
        const request = new Uint8Array(inner.byteLength + 20).fill(0xaa);
        request.set(inner, 10);
        const view = request.subarray(10, 10 + inner.byteLength);
        await store.append(tp, { ...fakeBatch(""), bytes: view });
        const { batches } = await store.fetch(tp, { ...everything, fetchOffset: 1n });
        expect(batches.map(payloadOf)).toEqual(["inside a request"]);
        expect(baseOffsetOf(batches[0])).toBe(1n);
        expect(batches[0].byteLength).toBe(inner.byteLength);
        // Bytes around the view are untouched.
        expect(request.subarray(0, 10)).toEqual(new Uint8Array(10).fill(0xaa));
        expect(request.subarray(10 + inner.byteLength)).toEqual(new Uint8Array(10).fill(0xaa));
      });

      test("partitions are separate logs", async () => {
        await withTopic(2);
        await appendAll(["a", "b"]);
        expect((await store.append({ topic: "t", partition: 1 }, fakeBatch("c"))).baseOffset).toBe(0n);
        expect((await store.offsets({ topic: "t", partition: 1 })).highWatermark).toBe(1n);
        expect((await store.offsets(tp)).highWatermark).toBe(2n);
      });

      test("unknown topics and partitions are refused", async () => {
        await withTopic(2);
        await expect(store.append({ topic: "nope", partition: 0 }, fakeBatch("x"))).rejects.toThrow(UnknownTopicError);
        await expect(store.append({ topic: "t", partition: 2 }, fakeBatch("x"))).rejects.toThrow(UnknownTopicError);
        await expect(store.append({ topic: "t", partition: -1 }, fakeBatch("x"))).rejects.toThrow(UnknownTopicError);
        await expect(store.fetch({ topic: "t", partition: 5 }, { ...everything, fetchOffset: 0n })).rejects.toThrow(
          UnknownTopicError,
        );
        await expect(store.offsets({ topic: "nope", partition: 0 })).rejects.toThrow(UnknownTopicError);
        await expect(store.batchSummaries({ topic: "nope", partition: 0 })).rejects.toThrow(UnknownTopicError);
        await expect(store.deleteRecords({ topic: "nope", partition: 0 }, 0n)).rejects.toThrow(UnknownTopicError);
        await expect(store.offsetForTimestamp({ topic: "nope", partition: 0 }, 0n)).rejects.toThrow(UnknownTopicError);
        await expect(store.maxTimestamp({ topic: "nope", partition: 0 })).rejects.toThrow(UnknownTopicError);
      });

      test("fetch at the high watermark is empty; past it or before the log start is out of range", async () => {
        await withTopic();
        expect((await store.fetch(tp, { ...everything, fetchOffset: 0n })).batches).toEqual([]);
        await expect(store.fetch(tp, { ...everything, fetchOffset: 1n })).rejects.toThrow(OffsetOutOfRangeError);
        await appendAll(["a", "b", "c"]);
        expect((await store.fetch(tp, { ...everything, fetchOffset: 3n })).batches).toEqual([]);
        await expect(store.fetch(tp, { ...everything, fetchOffset: 4n })).rejects.toThrow(OffsetOutOfRangeError);
        await store.deleteRecords(tp, 2n);
        await expect(store.fetch(tp, { ...everything, fetchOffset: 1n })).rejects.toThrow(OffsetOutOfRangeError);
        expect(await payloadsFrom(2n)).toEqual(["c"]);
      });

      test("fetch inside a batch starts with the whole batch holding the offset", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("zero-to-four", { offsetCount: 5 }));
        await store.append(tp, fakeBatch("five-to-nine", { offsetCount: 5 }));
        expect(await payloadsFrom(3n)).toEqual(["zero-to-four", "five-to-nine"]);
        expect(await payloadsFrom(9n)).toEqual(["five-to-nine"]);
      });

      test("fetch returns batches while they fit in maxBytes, but always the first", async () => {
        await withTopic();
        await appendAll(["aaaa", "bbbb", "cccc", "dddd"]);
        const size = fakeBatch("aaaa").bytes.byteLength;
        const fetchWith = async (maxBytes: number) =>
          (await store.fetch(tp, { fetchOffset: 0n, maxBytes, isolation: "read_uncommitted" })).batches.map(payloadOf);
        expect(await fetchWith(1)).toEqual(["aaaa"]);
        expect(await fetchWith(0)).toEqual(["aaaa"]);
        expect(await fetchWith(size * 2 - 1)).toEqual(["aaaa"]);
        expect(await fetchWith(size * 2)).toEqual(["aaaa", "bbbb"]);
        expect(await fetchWith(size * 3 + 5)).toEqual(["aaaa", "bbbb", "cccc"]);
      });

      test("fetch stops at the first batch that does not fit, never skipping ahead", async () => {
        await withTopic();
        await appendAll(["small", "a much larger batch than the others", "tiny"]);
        const small = fakeBatch("small").bytes.byteLength;
        const tiny = fakeBatch("tiny").bytes.byteLength;
        const { batches } = await store.fetch(tp, { fetchOffset: 0n, maxBytes: small + tiny, isolation: "read_uncommitted" });
        expect(batches.map(payloadOf)).toEqual(["small"]);
      });

      test("read_uncommitted fetch reports no aborted transactions", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("txn", { ...txn(5n), baseSequence: 0 }));
        await store.append(tp, fakeBatch("abort", abortMarker(5n)));
        expect((await store.fetch(tp, { ...everything, fetchOffset: 0n })).abortedTransactions).toEqual([]);
      });
    });

    describe("idempotent producers", () => {
      const producer = (baseSequence: number, fields: Partial<AppendBatch> = {}) => ({
        producerId: 42n,
        producerEpoch: 0,
        baseSequence,
        ...fields,
      });

      test("a new producer must start at sequence 0", async () => {
        await withTopic();
        await expect(store.append(tp, fakeBatch("x", producer(3)))).rejects.toThrow(OutOfOrderSequenceError);
        expect((await store.offsets(tp)).highWatermark).toBe(0n);
        expect((await store.append(tp, fakeBatch("x", producer(0)))).baseOffset).toBe(0n);
      });

      test("sequences advance by the batch's record count", async () => {
        await withTopic();
        expect((await store.append(tp, fakeBatch("a", producer(0, { offsetCount: 3 })))).baseOffset).toBe(0n);
        expect((await store.append(tp, fakeBatch("b", producer(3, { offsetCount: 2 })))).baseOffset).toBe(3n);
        expect((await store.append(tp, fakeBatch("c", producer(5)))).baseOffset).toBe(5n);
      });

      test("a gap or a step back in sequence is refused and writes nothing", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("a", producer(0, { offsetCount: 2 })));
        await store.append(tp, fakeBatch("b", producer(2)));
        await expect(store.append(tp, fakeBatch("gap", producer(4)))).rejects.toThrow(OutOfOrderSequenceError);
        await expect(store.append(tp, fakeBatch("back", producer(1)))).rejects.toThrow(OutOfOrderSequenceError);
        expect(await payloadsFrom(0n)).toEqual(["a", "b"]);
        expect((await store.append(tp, fakeBatch("c", producer(3)))).baseOffset).toBe(3n);
      });

      test("a retried batch is a duplicate: its original offset, nothing written", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("a", producer(0, { offsetCount: 2 })));
        await store.append(tp, fakeBatch("b", producer(2, { offsetCount: 3 })));
        expect(await store.append(tp, fakeBatch("b", producer(2, { offsetCount: 3 })))).toEqual({
          baseOffset: 2n,
          logStartOffset: 0n,
          duplicate: true,
        });
        expect(await store.append(tp, fakeBatch("a", producer(0, { offsetCount: 2 })))).toMatchObject({
          baseOffset: 0n,
          duplicate: true,
        });
        expect(await payloadsFrom(0n)).toEqual(["a", "b"]);
        expect((await store.offsets(tp)).highWatermark).toBe(5n);
        expect((await store.append(tp, fakeBatch("c", producer(5)))).baseOffset).toBe(5n);
      });

      test("duplicates are recognised among the last five batches only", async () => {
        await withTopic();
        const offsets: bigint[] = [];
        for (let seq = 0; seq < 6; seq++) offsets.push((await store.append(tp, fakeBatch(`m${seq}`, producer(seq)))).baseOffset);
        // m1..m5 are the last five; m0 has been forgotten.
        expect(await store.append(tp, fakeBatch("m1", producer(1)))).toMatchObject({ baseOffset: offsets[1], duplicate: true });
        expect(await store.append(tp, fakeBatch("m5", producer(5)))).toMatchObject({ baseOffset: offsets[5], duplicate: true });
        await expect(store.append(tp, fakeBatch("m0", producer(0)))).rejects.toThrow(OutOfOrderSequenceError);
        expect((await store.offsets(tp)).highWatermark).toBe(6n);
      });

      test("a batch with a known base sequence but another record count is not a duplicate", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("a", producer(0, { offsetCount: 2 })));
        await expect(store.append(tp, fakeBatch("a", producer(0, { offsetCount: 3 })))).rejects.toThrow(
          OutOfOrderSequenceError,
        );
      });

      test("an older epoch is fenced", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("a", producer(0, { producerEpoch: 3 })));
        await expect(store.append(tp, fakeBatch("b", producer(1, { producerEpoch: 2 })))).rejects.toThrow(
          InvalidProducerEpochError,
        );
        expect((await store.offsets(tp)).highWatermark).toBe(1n);
      });

      test("a newer epoch restarts at sequence 0 and fences the old one", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("a", producer(0)));
        await store.append(tp, fakeBatch("b", producer(1)));
        await expect(store.append(tp, fakeBatch("c", producer(2, { producerEpoch: 1 })))).rejects.toThrow(
          OutOfOrderSequenceError,
        );
        expect((await store.append(tp, fakeBatch("c", producer(0, { producerEpoch: 1 })))).baseOffset).toBe(2n);
        // A retry from the fenced epoch is not a duplicate any more.
        await expect(store.append(tp, fakeBatch("b", producer(1)))).rejects.toThrow(InvalidProducerEpochError);
        expect((await store.append(tp, fakeBatch("d", producer(1, { producerEpoch: 1 })))).baseOffset).toBe(3n);
      });

      test("sequences wrap from 2^31-1 to 0", async () => {
        await withTopic();
        // One batch of INT32_MAX records ends at sequence INT32_MAX - 1.
        await store.append(tp, fakeBatch("huge", producer(0, { offsetCount: INT32_MAX })));
        await store.append(tp, fakeBatch("last", producer(INT32_MAX)));
        expect((await store.append(tp, fakeBatch("wrapped", producer(0)))).baseOffset).toBe(BigInt(INT32_MAX) + 1n);
        expect(await store.append(tp, fakeBatch("last", producer(INT32_MAX)))).toMatchObject({
          baseOffset: BigInt(INT32_MAX),
          duplicate: true,
        });
      });

      test("a batch that wraps inside itself continues after its wrapped last sequence", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("huge", producer(0, { offsetCount: INT32_MAX })));
        // Sequences INT32_MAX, 0, 1
        await store.append(tp, fakeBatch("across", producer(INT32_MAX, { offsetCount: 3 })));
        await expect(store.append(tp, fakeBatch("x", producer(0)))).rejects.toThrow(OutOfOrderSequenceError);
        expect((await store.append(tp, fakeBatch("next", producer(2)))).baseOffset).toBe(BigInt(INT32_MAX) + 3n);
      });

      test("producer state is per partition", async () => {
        await withTopic(2);
        await store.append(tp, fakeBatch("a", producer(0)));
        await store.append(tp, fakeBatch("b", producer(1)));
        const other = { topic: "t", partition: 1 };
        await expect(store.append(other, fakeBatch("x", producer(2)))).rejects.toThrow(OutOfOrderSequenceError);
        expect((await store.append(other, fakeBatch("x", producer(0)))).baseOffset).toBe(0n);
      });

      test("producers without an id are not checked", async () => {
        await withTopic();
        expect(await appendAll(["a", "a", "a"])).toEqual([0n, 1n, 2n]);
      });
    });

    describe("transactions", () => {
      test("an open transaction holds the last stable offset at its first offset", async () => {
        await withTopic();
        await appendAll(["plain"]);
        await store.append(tp, fakeBatch("t1", { ...txn(5n), baseSequence: 0 }));
        await store.append(tp, fakeBatch("t2", { ...txn(5n), baseSequence: 1 }));
        await appendAll(["after"]);
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 0n, highWatermark: 4n, lastStableOffset: 1n });

        const committed = await store.fetch(tp, { ...committedOnly, fetchOffset: 0n });
        expect(committed.batches.map(payloadOf)).toEqual(["plain"]);
        expect(committed.lastStableOffset).toBe(1n);
        // At or past the LSO but within the log: nothing yet, not an error.
        expect((await store.fetch(tp, { ...committedOnly, fetchOffset: 2n })).batches).toEqual([]);
        expect(await payloadsFrom(0n)).toEqual(["plain", "t1", "t2", "after"]);
      });

      test("the last stable offset is the oldest of several open transactions", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("a1", { ...txn(1n), baseSequence: 0 }));
        await store.append(tp, fakeBatch("b1", { ...txn(2n), baseSequence: 0 }));
        expect((await store.offsets(tp)).lastStableOffset).toBe(0n);
        await store.append(tp, fakeBatch("commit a", commitMarker(1n)));
        expect((await store.offsets(tp)).lastStableOffset).toBe(1n);
        await store.append(tp, fakeBatch("commit b", commitMarker(2n)));
        expect((await store.offsets(tp)).lastStableOffset).toBe(4n);
      });

      test("commit makes the transaction readable with nothing aborted", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("t1", { ...txn(5n), baseSequence: 0 }));
        await store.append(tp, fakeBatch("commit", commitMarker(5n)));
        const result = await store.fetch(tp, { ...committedOnly, fetchOffset: 0n });
        expect(result.batches.map(payloadOf)).toEqual(["t1", "commit"]);
        expect(result.lastStableOffset).toBe(2n);
        expect(result.abortedTransactions).toEqual([]);
      });

      test("abort is reported to read_committed fetches whose range it overlaps", async () => {
        await withTopic();
        await appendAll(["before"]); // 0
        await store.append(tp, fakeBatch("t1", { ...txn(5n), baseSequence: 0 })); // 1
        await appendAll(["between"]); // 2
        await store.append(tp, fakeBatch("t2", { ...txn(5n), baseSequence: 1 })); // 3
        await store.append(tp, fakeBatch("abort", abortMarker(5n))); // 4
        await appendAll(["after"]); // 5
        expect((await store.offsets(tp)).lastStableOffset).toBe(6n);

        const all = await store.fetch(tp, { ...committedOnly, fetchOffset: 0n });
        expect(all.batches.map(payloadOf)).toEqual(["before", "t1", "between", "t2", "abort", "after"]);
        expect(all.abortedTransactions).toEqual([{ producerId: 5n, firstOffset: 1n }]);
        // Starting inside the transaction still overlaps it.
        expect((await store.fetch(tp, { ...committedOnly, fetchOffset: 3n })).abortedTransactions).toEqual([
          { producerId: 5n, firstOffset: 1n },
        ]);
        // Past the marker, or ending before the transaction began: no overlap.
        expect((await store.fetch(tp, { ...committedOnly, fetchOffset: 5n })).abortedTransactions).toEqual([]);
        const firstOnly = await store.fetch(tp, { fetchOffset: 0n, maxBytes: 1, isolation: "read_committed" });
        expect(firstOnly.batches.map(payloadOf)).toEqual(["before"]);
        expect(firstOnly.abortedTransactions).toEqual([]);
      });

      test("several aborted transactions are all listed in order", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("a", { ...txn(1n), baseSequence: 0 }));
        await store.append(tp, fakeBatch("b", { ...txn(2n), baseSequence: 0 }));
        await store.append(tp, fakeBatch("abort a", abortMarker(1n)));
        await store.append(tp, fakeBatch("abort b", abortMarker(2n)));
        expect((await store.fetch(tp, { ...committedOnly, fetchOffset: 0n })).abortedTransactions).toEqual([
          { producerId: 1n, firstOffset: 0n },
          { producerId: 2n, firstOffset: 1n },
        ]);
      });

      test("a marker from a fenced epoch is refused", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("t", { ...txn(5n), producerEpoch: 2, baseSequence: 0 }));
        await expect(store.append(tp, fakeBatch("abort", { ...abortMarker(5n), producerEpoch: 1 }))).rejects.toThrow(
          InvalidProducerEpochError,
        );
        expect((await store.offsets(tp)).lastStableOffset).toBe(0n);
      });

      test("a marker at a newer epoch closes the transaction and resets the sequence", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("t1", { ...txn(5n), baseSequence: 0 }));
        await store.append(tp, fakeBatch("t2", { ...txn(5n), baseSequence: 1 }));
        await store.append(tp, fakeBatch("abort", { ...abortMarker(5n), producerEpoch: 1 }));
        expect((await store.offsets(tp)).lastStableOffset).toBe(3n);
        await expect(store.append(tp, fakeBatch("old", { ...txn(5n), baseSequence: 2 }))).rejects.toThrow(
          InvalidProducerEpochError,
        );
        await expect(store.append(tp, fakeBatch("t3", { ...txn(5n), producerEpoch: 1, baseSequence: 2 }))).rejects.toThrow(
          OutOfOrderSequenceError,
        );
        expect((await store.append(tp, fakeBatch("t3", { ...txn(5n), producerEpoch: 1, baseSequence: 0 }))).baseOffset).toBe(3n);
        expect((await store.offsets(tp)).lastStableOffset).toBe(3n);
      });

      test("a marker without an open transaction is written but aborts nothing", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("abort", abortMarker(5n)));
        const result = await store.fetch(tp, { ...committedOnly, fetchOffset: 0n });
        expect(result.batches.map(payloadOf)).toEqual(["abort"]);
        expect(result.abortedTransactions).toEqual([]);
      });

      test("the next transaction of a producer starts at its own first batch", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("t1", { ...txn(5n), baseSequence: 0 }));
        await store.append(tp, fakeBatch("commit", commitMarker(5n)));
        await store.append(tp, fakeBatch("t2", { ...txn(5n), baseSequence: 1 }));
        expect((await store.offsets(tp)).lastStableOffset).toBe(2n);
      });
    });

    describe("deleteRecords", () => {
      test("-1 means the high watermark and drops every batch", async () => {
        await withTopic();
        await appendAll(["a", "b", "c"]);
        expect(await store.deleteRecords(tp, -1n)).toBe(3n);
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 3n, highWatermark: 3n, lastStableOffset: 3n });
        expect(await store.batchSummaries(tp)).toEqual([]);
        expect((await store.fetch(tp, { ...everything, fetchOffset: 3n })).batches).toEqual([]);
        expect((await store.append(tp, fakeBatch("d"))).logStartOffset).toBe(3n);
        expect(await payloadsFrom(3n)).toEqual(["d"]);
      });

      test("the log start never moves backward", async () => {
        await withTopic();
        await appendAll(["a", "b", "c", "d", "e"]);
        expect(await store.deleteRecords(tp, 3n)).toBe(3n);
        expect(await store.deleteRecords(tp, 1n)).toBe(3n);
        expect((await store.offsets(tp)).logStartOffset).toBe(3n);
      });

      test("past the high watermark or below -1 is out of range and changes nothing", async () => {
        await withTopic();
        await appendAll(["a", "b"]);
        await expect(store.deleteRecords(tp, 3n)).rejects.toThrow(OffsetOutOfRangeError);
        await expect(store.deleteRecords(tp, -2n)).rejects.toThrow(OffsetOutOfRangeError);
        expect((await store.offsets(tp)).logStartOffset).toBe(0n);
        expect(await store.deleteRecords(tp, 2n)).toBe(2n);
      });

      test("a batch straddling the new log start stays; records below it are gone", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("0-4", { offsetCount: 5 }));
        await store.append(tp, fakeBatch("5-9", { offsetCount: 5 }));
        await store.append(tp, fakeBatch("10", { offsetCount: 1 }));
        expect(await store.deleteRecords(tp, 7n)).toBe(7n);
        expect((await store.batchSummaries(tp)).map((b) => b.baseOffset)).toEqual([5n, 10n]);
        await expect(store.fetch(tp, { ...everything, fetchOffset: 5n })).rejects.toThrow(OffsetOutOfRangeError);
        expect(await payloadsFrom(7n)).toEqual(["5-9", "10"]);
        expect((await store.append(tp, fakeBatch("11"))).logStartOffset).toBe(7n);
      });

      test("aborted transactions below the log start are forgotten", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("t", { ...txn(5n), baseSequence: 0 }));
        await store.append(tp, fakeBatch("abort", abortMarker(5n)));
        await appendAll(["a", "b"]);
        await store.deleteRecords(tp, 2n);
        expect((await store.fetch(tp, { ...committedOnly, fetchOffset: 2n })).abortedTransactions).toEqual([]);
      });
    });

    describe("timestamps", () => {
      async function appendTimes(times: bigint[]) {
        for (const [i, maxTimestamp] of times.entries()) {
          await store.append(tp, fakeBatch(`b${i}`, { offsetCount: 2, maxTimestamp }));
        }
      }

      test("offsetForTimestamp finds the first batch reaching the timestamp", async () => {
        await withTopic();
        expect(await store.offsetForTimestamp(tp, 0n)).toBeNull();
        await appendTimes([100n, 300n, 200n, 400n]);
        expect(await store.offsetForTimestamp(tp, 0n)).toEqual({ offset: 0n, timestamp: 100n });
        expect(await store.offsetForTimestamp(tp, 100n)).toEqual({ offset: 0n, timestamp: 100n });
        expect(await store.offsetForTimestamp(tp, 150n)).toEqual({ offset: 2n, timestamp: 300n });
        expect(await store.offsetForTimestamp(tp, 250n)).toEqual({ offset: 2n, timestamp: 300n });
        expect(await store.offsetForTimestamp(tp, 301n)).toEqual({ offset: 6n, timestamp: 400n });
        expect(await store.offsetForTimestamp(tp, 401n)).toBeNull();
      });

      test("maxTimestamp finds the largest, the earliest batch on ties", async () => {
        await withTopic();
        expect(await store.maxTimestamp(tp)).toBeNull();
        await appendTimes([100n, 300n, 200n, 300n]);
        expect(await store.maxTimestamp(tp)).toEqual({ offset: 2n, timestamp: 300n });
      });

      test("offsets never point below the log start", async () => {
        await withTopic();
        await appendTimes([100n, 300n]);
        await store.deleteRecords(tp, 3n);
        expect(await store.offsetForTimestamp(tp, 0n)).toEqual({ offset: 3n, timestamp: 300n });
        expect(await store.maxTimestamp(tp)).toEqual({ offset: 3n, timestamp: 300n });
      });
    });

    describe("batch summaries and replaceBatch", () => {
      test("summaries describe every batch in offset order", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("a", { offsetCount: 3, maxTimestamp: 7n }));
        await store.append(tp, fakeBatch("bb", { offsetCount: 1, maxTimestamp: 5n }));
        expect(await store.batchSummaries(tp)).toEqual([
          { baseOffset: 0n, lastOffset: 2n, maxTimestamp: 7n, sizeBytes: fakeBatch("a").bytes.byteLength },
          { baseOffset: 3n, lastOffset: 3n, maxTimestamp: 5n, sizeBytes: fakeBatch("bb").bytes.byteLength },
        ]);
      });

      test("replaceBatch swaps the bytes of a batch, keeping its offsets", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("old", { offsetCount: 3 }));
        await store.append(tp, fakeBatch("next"));
        const rewritten = fakeBatch("compacted, and longer").bytes;
        new DataView(rewritten.buffer).setBigInt64(0, 0n);
        await store.replaceBatch(tp, 0n, rewritten);
        expect(await payloadsFrom(1n)).toEqual(["compacted, and longer", "next"]);
        expect((await store.batchSummaries(tp))[0]).toEqual({
          baseOffset: 0n,
          lastOffset: 2n,
          maxTimestamp: 1_000n,
          sizeBytes: rewritten.byteLength,
        });
        expect((await store.offsets(tp)).highWatermark).toBe(4n);
      });

      test("replaceBatch with null removes the batch; a fetch into the gap gets the next one", async () => {
        await withTopic();
        await appendAll(["a", "b", "c"]);
        await store.replaceBatch(tp, 1n, null);
        expect((await store.batchSummaries(tp)).map((b) => b.baseOffset)).toEqual([0n, 2n]);
        expect(await payloadsFrom(1n)).toEqual(["c"]);
        expect((await store.offsets(tp)).highWatermark).toBe(3n);
      });

      test("replaceBatch of a batch that is not there is out of range", async () => {
        await withTopic();
        await store.append(tp, fakeBatch("a", { offsetCount: 3 }));
        await expect(store.replaceBatch(tp, 1n, fakeBatch("x").bytes)).rejects.toThrow(OffsetOutOfRangeError);
        await expect(store.replaceBatch(tp, 5n, null)).rejects.toThrow(OffsetOutOfRangeError);
        expect(await payloadsFrom(0n)).toEqual(["a"]);
      });
    });

    describe("consumer offsets", () => {
      test("commit, fetch all or some, overwrite and delete", async () => {
        await store.commitOffsets("g", [committed("b", 1, 10n), committed("a", 0, 5n, "meta"), committed("b", 0, 7n)]);
        await store.commitOffsets("other", [committed("a", 0, 99n)]);
        expect(await store.fetchOffsets("g")).toEqual([committed("a", 0, 5n, "meta"), committed("b", 0, 7n), committed("b", 1, 10n)]);
        expect(
          await store.fetchOffsets("g", [
            { topic: "b", partition: 1 },
            { topic: "zzz", partition: 0 },
          ]),
        ).toEqual([committed("b", 1, 10n)]);

        await store.commitOffsets("g", [committed("a", 0, 6n)]);
        expect(await store.fetchOffsets("g", [{ topic: "a", partition: 0 }])).toEqual([committed("a", 0, 6n)]);

        await store.deleteOffsets("g", [{ topic: "b", partition: 0 }]);
        expect((await store.fetchOffsets("g")).map((o) => `${o.topic}-${o.partition}`)).toEqual(["a-0", "b-1"]);
        expect(await store.fetchOffsets("other")).toEqual([committed("a", 0, 99n)]);
        expect(await store.fetchOffsets("nobody")).toEqual([]);
      });

      test("every field round-trips, including 64-bit values", async () => {
        const offset: CommittedOffset = {
          topic: "t",
          partition: 3,
          offset: 2n ** 62n,
          leaderEpoch: -1,
          metadata: "ünïcode",
          commitTimestamp: 1_700_000_000_123n,
        };
        await store.commitOffsets("g", [offset]);
        expect(await store.fetchOffsets("g")).toEqual([offset]);
      });
    });

    describe("compare-and-set records", () => {
      test("put creates only when absent and updates only at the current version", async () => {
        const v1 = await store.putRecord("group", "g1", { state: "empty" }, null);
        expect(v1).toEqual(expect.any(String));
        expect(await store.putRecord("group", "g1", { state: "other" }, null)).toBeNull();
        expect(await store.getRecord("group", "g1")).toEqual({ value: { state: "empty" }, version: v1! });

        const v2 = await store.putRecord("group", "g1", { state: "stable" }, v1);
        expect(v2).not.toBeNull();
        expect(v2).not.toBe(v1);
        expect(await store.putRecord("group", "g1", { state: "stale" }, v1)).toBeNull();
        expect(await store.putRecord("group", "missing", { state: "x" }, v1)).toBeNull();
        expect(await store.getRecord("group", "missing")).toBeNull();
        expect(await store.getRecord("group", "g1")).toEqual({ value: { state: "stable" }, version: v2! });
      });

      test("delete only at the current version; a re-created key never reuses a version", async () => {
        const v1 = (await store.putRecord("txn", "p", { n: 1 }, null))!;
        const v2 = (await store.putRecord("txn", "p", { n: 2 }, v1))!;
        expect(await store.deleteRecord("txn", "p", v1)).toBe(false);
        expect(await store.deleteRecord("txn", "nope", v2)).toBe(false);
        expect(await store.deleteRecord("txn", "p", v2)).toBe(true);
        expect(await store.getRecord("txn", "p")).toBeNull();
        expect(await store.deleteRecord("txn", "p", v2)).toBe(false);

        const v3 = (await store.putRecord("txn", "p", { n: 3 }, null))!;
        expect([v1, v2]).not.toContain(v3);
        expect(await store.putRecord("txn", "p", { n: 4 }, v1)).toBeNull();
        expect(await store.deleteRecord("txn", "p", v2)).toBe(false);
      });

      test("namespaces are separate and listRecords lists one by key", async () => {
        const vb = await store.putRecord("group", "b", { k: "b" }, null);
        const va = await store.putRecord("group", "a", { k: "a" }, null);
        await store.putRecord("txn", "a", { k: "txn" }, null);
        expect(await store.listRecords("group")).toEqual([
          { key: "a", value: { k: "a" }, version: va! },
          { key: "b", value: { k: "b" }, version: vb! },
        ]);
        expect((await store.listRecords("txn")).map((r) => r.value)).toEqual([{ k: "txn" }]);
        expect(await store.listRecords("empty")).toEqual([]);
      });

      test("bigint and Uint8Array round-trip exactly, at any depth", async () => {
        const value = {
          producerId: 9_007_199_254_740_993n,
          epochs: [-1n, 0n, 2n ** 63n - 1n, -(2n ** 63n)],
          assignment: new Uint8Array([0, 1, 254, 255]),
          empty: new Uint8Array(0),
          members: [{ id: "m-1", metadata: new Uint8Array([7, 8, 9]), joined: 12n, pending: null }],
          plain: { n: 1.5, s: "ünïcode ✓", yes: true, no: false, list: [1, "two", null] },
          // User data that looks like the codec's own tags must survive as it is.
          lookalike: { $bigint: "12", $bytes: "AAE=", $object: { x: 1 } },
          single: { $bigint: "not a number" },
        };
        await store.putRecord("group", "g", value, null);
        const back = (await store.getRecord<typeof value>("group", "g"))!.value;
        expect(back).toEqual(value);
        expect(back.assignment).toBeInstanceOf(Uint8Array);
        expect(typeof back.producerId).toBe("bigint");
        expect((await store.listRecords<typeof value>("group"))[0].value).toEqual(value);
      });

      test("stored values are copies of what was put and of what was read", async () => {
        const value = { list: [1], bytes: new Uint8Array([1]) };
        const version = (await store.putRecord("group", "g", value, null))!;
        value.list.push(2);
        value.bytes[0] = 9;
        const read = (await store.getRecord<typeof value>("group", "g"))!;
        expect(read).toEqual({ value: { list: [1], bytes: new Uint8Array([1]) }, version });
        read.value.list.push(3);
        expect((await store.getRecord<typeof value>("group", "g"))!.value.list).toEqual([1]);
      });
    });

    describe("producer ids", () => {
      test("allocateProducerId never repeats and only grows", async () => {
        const ids: bigint[] = [];
        for (let i = 0; i < 20; i++) ids.push(await store.allocateProducerId());
        for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
        expect(ids[0]).toBeGreaterThanOrEqual(0n);
      });
    });

    describe("close", () => {
      test("every call after close rejects with StorageUnavailableError", async () => {
        await withTopic();
        await store.close();
        const calls: Array<() => Promise<unknown>> = [
          () => store.createTopic({ name: "x", partitions: 1, configs: {} }),
          () => store.deleteTopic({ name: "t" }),
          () => store.getTopic({ name: "t" }),
          () => store.listTopics(),
          () => store.createPartitions("t", 2),
          () => store.setTopicConfigs("t", {}),
          () => store.append(tp, fakeBatch("x")),
          () => store.fetch(tp, { ...everything, fetchOffset: 0n }),
          () => store.offsets(tp),
          () => store.offsetForTimestamp(tp, 0n),
          () => store.maxTimestamp(tp),
          () => store.deleteRecords(tp, 0n),
          () => store.batchSummaries(tp),
          () => store.replaceBatch(tp, 0n, null),
          () => store.commitOffsets("g", []),
          () => store.fetchOffsets("g"),
          () => store.deleteOffsets("g", []),
          () => store.getRecord("n", "k"),
          () => store.putRecord("n", "k", {}, null),
          () => store.deleteRecord("n", "k", "1"),
          () => store.listRecords("n"),
          () => store.allocateProducerId(),
        ];
        for (const call of calls) await expect(call()).rejects.toThrow(StorageUnavailableError);
        // Closing twice is harmless.
        await store.close();
      });
    });

    if (options.openShared) {
      const openShared = options.openShared;
      describe("two handles on one store", () => {
        let a: Storage;
        let b: Storage;
        beforeEach(async () => {
          [a, b] = await openShared();
        });
        afterEach(async () => {
          await a.close();
          await b.close();
        });

        test("topics and appends made through one are seen by the other", async () => {
          await a.createTopic({ name: "t", partitions: 1, configs: {} });
          expect((await b.getTopic({ name: "t" }))?.partitions).toBe(1);
          const offsets: bigint[] = [];
          for (let i = 0; i < 6; i++) offsets.push((await (i % 2 ? a : b).append(tp, fakeBatch(`m${i}`))).baseOffset);
          expect(offsets).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
          const { batches } = await a.fetch(tp, { ...everything, fetchOffset: 0n });
          expect(batches.map(payloadOf)).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);
        });

        test("concurrent appends through both get distinct, contiguous offsets", async () => {
          await a.createTopic({ name: "t", partitions: 1, configs: {} });
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).append(tp, fakeBatch(`m${i}`, { offsetCount: 2 }))),
          );
          const offsets = results.map((r) => r.baseOffset).sort((x, y) => (x < y ? -1 : 1));
          expect(offsets).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i * 2)));
        });

        test("producer sequence state is shared", async () => {
          await a.createTopic({ name: "t", partitions: 1, configs: {} });
          const producer = { producerId: 3n, producerEpoch: 0 };
          await a.append(tp, fakeBatch("m0", { ...producer, baseSequence: 0 }));
          expect(await b.append(tp, fakeBatch("m0", { ...producer, baseSequence: 0 }))).toMatchObject({ duplicate: true });
          expect((await b.append(tp, fakeBatch("m1", { ...producer, baseSequence: 1 }))).baseOffset).toBe(1n);
        });

        test("compare-and-set decides between them", async () => {
          const v1 = (await a.putRecord("group", "g", { by: "a" }, null))!;
          expect(await b.putRecord("group", "g", { by: "b" }, null)).toBeNull();
          const v2 = await b.putRecord("group", "g", { by: "b" }, v1);
          expect(v2).not.toBeNull();
          expect(await a.putRecord("group", "g", { by: "a again" }, v1)).toBeNull();
          expect(await a.getRecord("group", "g")).toEqual({ value: { by: "b" }, version: v2! });
        });

        test("producer ids are unique and increasing across both", async () => {
          const ids: bigint[] = [];
          for (let i = 0; i < 10; i++) ids.push(await (i % 2 ? a : b).allocateProducerId());
          for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
        });
      });
    }
  });
}

function committed(topic: string, partition: number, offset: bigint, metadata: string | null = null): CommittedOffset {
  return { topic, partition, offset, leaderEpoch: 4, metadata, commitTimestamp: 1_700_000_000_000n };
}

function txn(producerId: bigint): Partial<AppendBatch> {
  return { producerId, producerEpoch: 0, transactional: true };
}

function commitMarker(producerId: bigint): Partial<AppendBatch> {
  return { producerId, producerEpoch: 0, baseSequence: -1, transactional: true, control: "commit" };
}

function abortMarker(producerId: bigint): Partial<AppendBatch> {
  return { producerId, producerEpoch: 0, baseSequence: -1, transactional: true, control: "abort" };
}
