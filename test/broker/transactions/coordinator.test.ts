import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { KafkaConnection } from "../../../src/client/kafka-connection.ts";
import { ApiKey } from "../../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import { decodeControlRecord, decodeRecordBatches, encodeControlBatch, isControl } from "../../../src/protocol/record-batch.ts";
import { pendingTxnOffsets, TxnTimeouts } from "../../../src/broker/transactions/index.ts";
import { completeTransaction } from "../../../src/broker/transactions/txn-completion.ts";
import { fenceAndAbort, prepareEnd } from "../../../src/broker/transactions/txn-state.ts";
import { readTxn, writeTxn } from "../../../src/broker/transactions/txn-store.ts";
import { startInProcessBroker, type InProcessBroker } from "../in-process-broker.ts";
import {
  addOffsets,
  addPartitions,
  batch,
  createTopic,
  endTxn,
  fetchPartition,
  initProducerId,
  newProducer,
  produce,
  txnOffsetCommit,
  visibleValues,
  type Producer,
} from "./txn-requests.ts";

const MAX_TIMEOUT_MS = 60_000;
let b: InProcessBroker;
let c: KafkaConnection;

beforeAll(async () => {
  b = await startInProcessBroker({ transactionMaxTimeoutMs: MAX_TIMEOUT_MS });
  c = await b.connect();
});
afterAll(() => b.stop());

/** A transactional producer with `partitions` of a fresh topic added to its first transaction. */
async function inTransaction(name: string, partitions = 1): Promise<Producer> {
  await createTopic(c, name, partitions);
  const p = await newProducer(c, name);
  expect(await addPartitions(c, name, p, name, [...Array(partitions).keys()])).toEqual(Array(partitions).fill(ErrorCode.NONE));
  return p;
}

describe("InitProducerId", () => {
  test("without a transactional id every call gets a new producer id at epoch 0", async () => {
    const a = await newProducer(c, null);
    const b2 = await newProducer(c, null);
    expect(a.producerEpoch).toBe(0);
    expect(b2.producerEpoch).toBe(0);
    expect(a.producerId).not.toBe(b2.producerId);
  });

  test("transaction.timeout.ms above transaction.max.timeout.ms, or not positive, is INVALID_TRANSACTION_TIMEOUT", async () => {
    expect((await initProducerId(c, "t-timeout", { timeoutMs: MAX_TIMEOUT_MS + 1 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await initProducerId(c, "t-timeout", { timeoutMs: 0 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await initProducerId(c, "t-timeout", { timeoutMs: MAX_TIMEOUT_MS })).errorCode).toBe(ErrorCode.NONE);
  });

  test("an empty transactional id is INVALID_REQUEST", async () => {
    expect((await initProducerId(c, "")).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  test("each InitProducerId of a transactional id bumps the epoch of the same producer id", async () => {
    const first = await newProducer(c, "t-bump");
    const second = await newProducer(c, "t-bump");
    expect(second).toEqual({ producerId: first.producerId, producerEpoch: first.producerEpoch + 1 });
  });

  test("a new instance fences the old one: PRODUCER_FENCED from v2 (EndTxn), INVALID_PRODUCER_EPOCH before", async () => {
    const old = await inTransaction("t-fence");
    expect((await produce(c, "t-fence", 0, batch(["zombie"], { producer: old, transactional: true }), "t-fence")).errorCode).toBe(ErrorCode.NONE);
    const current = await newProducer(c, "t-fence");
    // The old transaction was aborted at a fenced epoch, and the new instance got the next one.
    expect(current.producerEpoch).toBe(old.producerEpoch + 2);
    expect(await endTxn(c, "t-fence", old, true, 3)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await endTxn(c, "t-fence", old, true, 1)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await addPartitions(c, "t-fence", old, "t-fence", [0], 2)).toEqual([ErrorCode.PRODUCER_FENCED]);
    // Its records were aborted: a read_committed consumer never sees them.
    const p = await fetchPartition(c, "t-fence", 0, true);
    expect(visibleValues(p)).toEqual([]);
    expect(p.lastStableOffset).toBe(p.highWatermark);
    // Writes of the zombie are refused on the produce path too.
    expect((await produce(c, "t-fence", 0, batch(["late"], { producer: old, baseSequence: 1, transactional: true }), "t-fence")).errorCode).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
  });

  test("KIP-360: a producer naming its current epoch gets the next one; a retry of that gets the same", async () => {
    const p = await newProducer(c, "t-resume");
    const bumped = await initProducerId(c, "t-resume", { expected: p });
    expect(bumped).toMatchObject({ errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
    expect(await initProducerId(c, "t-resume", { expected: p })).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: p.producerEpoch + 1 });
    expect((await initProducerId(c, "t-resume", { expected: { producerId: 123456n, producerEpoch: 0 } })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });
});

describe("a transaction over the wire", () => {
  test("uncommitted records stay below the last stable offset; commit makes them visible to read_committed", async () => {
    const p = await inTransaction("t-commit");
    await produce(c, "t-commit", 0, batch(["a", "b"], { producer: p, transactional: true }), "t-commit");
    await produce(c, "t-commit", 0, batch(["c"], { producer: p, baseSequence: 2, transactional: true }), "t-commit");
    const open = await fetchPartition(c, "t-commit", 0, true);
    expect(open.lastStableOffset).toBe(0n);
    expect(visibleValues(open)).toEqual([]);
    expect(visibleValues(await fetchPartition(c, "t-commit", 0, false))).toEqual(["a", "b", "c"]);

    expect(await endTxn(c, "t-commit", p, true)).toBe(ErrorCode.NONE);
    const committed = await fetchPartition(c, "t-commit", 0, true);
    expect(committed.lastStableOffset).toBe(4n); // three records and the COMMIT marker
    expect(visibleValues(committed)).toEqual(["a", "b", "c"]);
    const marker = decodeRecordBatches(committed.records!).at(-1)!;
    expect(isControl(marker.attributes)).toBe(true);
    expect(decodeControlRecord(marker.records[0]!.key!, marker.records[0]!.value).type).toBe("commit");
    // A retried commit (lost answer) succeeds and writes nothing more.
    expect(await endTxn(c, "t-commit", p, true)).toBe(ErrorCode.NONE);
    expect((await fetchPartition(c, "t-commit", 0, false)).highWatermark).toBe(4n);
    expect(await endTxn(c, "t-commit", p, false)).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  test("abort: read_committed gets the aborted-transactions list and never the aborted records", async () => {
    const p = await inTransaction("t-abort", 2);
    await produce(c, "t-abort", 0, batch(["x"], { producer: p, transactional: true }), "t-abort");
    await produce(c, "t-abort", 1, batch(["y"], { producer: p, transactional: true }), "t-abort");
    expect(await endTxn(c, "t-abort", p, false)).toBe(ErrorCode.NONE);
    for (const partition of [0, 1]) {
      const f = await fetchPartition(c, "t-abort", partition, true);
      expect(f.abortedTransactions).toEqual([{ producerId: p.producerId, firstOffset: 0n }]);
      expect(visibleValues(f)).toEqual([]);
    }
    // The next transaction of the same producer commits normally after the aborted one.
    expect(await addPartitions(c, "t-abort", p, "t-abort", [0])).toEqual([ErrorCode.NONE]);
    await produce(c, "t-abort", 0, batch(["z"], { producer: p, baseSequence: 1, transactional: true }), "t-abort");
    expect(await endTxn(c, "t-abort", p, true)).toBe(ErrorCode.NONE);
    expect(visibleValues(await fetchPartition(c, "t-abort", 0, true))).toEqual(["z"]);
  });

  test("a transactional batch for a partition not added is INVALID_TXN_STATE, and is not written", async () => {
    const p = await inTransaction("t-unadded", 2);
    expect(await endTxn(c, "t-unadded", p, true)).toBe(ErrorCode.NONE);
    // After the commit the partitions left the transaction; the log holds only the COMMIT marker.
    const r = await produce(c, "t-unadded", 1, batch(["x"], { producer: p, transactional: true }), "t-unadded");
    expect(r.errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await fetchPartition(c, "t-unadded", 1, false)).highWatermark).toBe(1n);
  });

  test("a transactional batch of an unknown transactional id is INVALID_PRODUCER_ID_MAPPING", async () => {
    await createTopic(c, "t-unknown-id");
    const r = await produce(c, "t-unknown-id", 0, batch(["x"], { producer: { producerId: 999n, producerEpoch: 0 }, transactional: true }), "never-initialised");
    expect(r.errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  test("AddPartitionsToTxn with an unknown topic fails it and attempts nothing else", async () => {
    await createTopic(c, "t-known");
    const p = await newProducer(c, "t-known");
    const r = await c.request(ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: "t-known",
      v3AndBelowProducerId: p.producerId,
      v3AndBelowProducerEpoch: p.producerEpoch,
      v3AndBelowTopics: [
        { name: "t-known", partitions: [0, 5] },
        { name: "t-missing", partitions: [0] },
      ],
    });
    expect(r.resultsByTopicV3AndBelow).toEqual([
      { name: "t-known", resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: ErrorCode.OPERATION_NOT_ATTEMPTED }, { partitionIndex: 5, partitionErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      { name: "t-missing", resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
    ]);
    expect((await readTxn(b.ctx.storage, "t-known"))!.value.state).toBe("Empty");
  });

  test("AddPartitionsToTxn v5 (batched form): adds for verifyOnly=false, only checks for verifyOnly=true", async () => {
    await createTopic(c, "t-batched", 2);
    const p = await newProducer(c, "t-batched");
    const request = (verifyOnly: boolean, partitions: number[]) =>
      c.request(ApiKey.AddPartitionsToTxn, 5, {
        transactions: [{ transactionalId: "t-batched", producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly, topics: [{ name: "t-batched", partitions }] }],
      });
    const codes = (r: Awaited<ReturnType<typeof request>>) => r.resultsByTransaction!.flatMap((t) => t.topicResults.flatMap((x) => x.resultsByPartition.map((y) => y.partitionErrorCode)));
    expect(codes(await request(true, [0]))).toEqual([ErrorCode.INVALID_TXN_STATE]);
    const added = await request(false, [0]);
    expect(added.errorCode).toBe(ErrorCode.NONE);
    expect(codes(added)).toEqual([ErrorCode.NONE]);
    expect(codes(await request(true, [0, 1]))).toEqual([ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE]);
  });
});

describe("offsets in a transaction", () => {
  test("TxnOffsetCommit offsets reach the group only when the transaction commits", async () => {
    const p = await inTransaction("t-offsets");
    await createTopic(c, "t-offsets-in", 2);
    expect(await addOffsets(c, "t-offsets", p, "g-offsets")).toBe(ErrorCode.NONE);
    expect(await txnOffsetCommit(c, "t-offsets", p, "g-offsets", "t-offsets-in", [[0, 5n], [1, 7n]])).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(await b.ctx.storage.fetchOffsets("g-offsets")).toEqual([]);
    // KIP-447: OffsetFetch with requireStable must see these as pending.
    expect(await pendingTxnOffsets(b.ctx.storage, "g-offsets")).toEqual([
      { topic: "t-offsets-in", partition: 0 },
      { topic: "t-offsets-in", partition: 1 },
    ]);
    expect(await pendingTxnOffsets(b.ctx.storage, "g-other")).toEqual([]);
    const offsetFetch = (requireStable: boolean) =>
      c.request(ApiKey.OffsetFetch, 8, {
        groups: [{ groupId: "g-offsets", memberId: null, memberEpoch: -1, topics: [{ name: "t-offsets-in", partitionIndexes: [0, 1] }] }],
        requireStable,
      });
    const unstable = (await offsetFetch(true)).groups![0]!.topics[0]!.partitions.map((p) => p.errorCode);
    expect(unstable).toEqual([ErrorCode.UNSTABLE_OFFSET_COMMIT, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
    const loose = (await offsetFetch(false)).groups![0]!.topics[0]!.partitions.map((p) => [p.errorCode, p.committedOffset]);
    expect(loose).toEqual([[ErrorCode.NONE, -1n], [ErrorCode.NONE, -1n]]);
    expect(await endTxn(c, "t-offsets", p, true)).toBe(ErrorCode.NONE);
    const stable = (await offsetFetch(true)).groups![0]!.topics[0]!.partitions.map((p) => [p.errorCode, p.committedOffset]);
    expect(stable).toEqual([[ErrorCode.NONE, 5n], [ErrorCode.NONE, 7n]]);
    expect(await pendingTxnOffsets(b.ctx.storage, "g-offsets")).toEqual([]);
    const committed = await b.ctx.storage.fetchOffsets("g-offsets");
    expect(committed.map((o) => [o.topic, o.partition, o.offset]).sort()).toEqual([
      ["t-offsets-in", 0, 5n],
      ["t-offsets-in", 1, 7n],
    ]);
  });

  test("aborted offsets are dropped", async () => {
    const p = await inTransaction("t-offsets-abort");
    expect(await addOffsets(c, "t-offsets-abort", p, "g-abort")).toBe(ErrorCode.NONE);
    expect(await txnOffsetCommit(c, "t-offsets-abort", p, "g-abort", "t-offsets-abort", [[0, 3n]])).toEqual([ErrorCode.NONE]);
    expect(await endTxn(c, "t-offsets-abort", p, false)).toBe(ErrorCode.NONE);
    expect(await b.ctx.storage.fetchOffsets("g-abort")).toEqual([]);
  });

  test("TxnOffsetCommit without AddOffsetsToTxn is INVALID_TXN_STATE; a stale epoch INVALID_PRODUCER_EPOCH; unknown partitions fail alone", async () => {
    const p = await inTransaction("t-offsets-bad");
    expect(await txnOffsetCommit(c, "t-offsets-bad", p, "g-bad", "t-offsets-bad", [[0, 1n]])).toEqual([ErrorCode.INVALID_TXN_STATE]);
    expect(await addOffsets(c, "t-offsets-bad", p, "g-bad")).toBe(ErrorCode.NONE);
    const stale = { ...p, producerEpoch: p.producerEpoch - 1 };
    expect(await txnOffsetCommit(c, "t-offsets-bad", stale, "g-bad", "t-offsets-bad", [[0, 1n]])).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH]);
    expect(await txnOffsetCommit(c, "t-offsets-bad", p, "g-bad", "t-offsets-bad", [[0, 1n], [9, 1n]])).toEqual([
      ErrorCode.NONE,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
  });
});

describe("crash safety and timeouts", () => {
  test("a transaction left in PrepareCommit (its broker died) is finished by the producer's retried EndTxn", async () => {
    const p = await inTransaction("t-crash", 2);
    await produce(c, "t-crash", 0, batch(["a"], { producer: p, transactional: true }), "t-crash");
    await produce(c, "t-crash", 1, batch(["b"], { producer: p, transactional: true }), "t-crash");
    // What a broker that died right after the first phase leaves behind.
    const current = (await readTxn(b.ctx.storage, "t-crash"))!;
    const step = prepareEnd(current.value, p.producerId, p.producerEpoch, true, BigInt(Date.now()));
    if (!step.ok) throw new Error(step.refusal);
    expect(await writeTxn(b.ctx.storage, "t-crash", step.next, current.version)).not.toBeNull();
    expect(visibleValues(await fetchPartition(c, "t-crash", 0, true))).toEqual([]);

    expect(await endTxn(c, "t-crash", p, true)).toBe(ErrorCode.NONE);
    expect(visibleValues(await fetchPartition(c, "t-crash", 0, true))).toEqual(["a"]);
    expect(visibleValues(await fetchPartition(c, "t-crash", 1, true))).toEqual(["b"]);
    expect((await readTxn(b.ctx.storage, "t-crash"))!.value.state).toBe("CompleteCommit");
  });

  test("a marker written twice for one partition is harmless: the second closes nothing", async () => {
    const p = await inTransaction("t-twice");
    await produce(c, "t-twice", 0, batch(["a"], { producer: p, transactional: true }), "t-twice");
    // A broker that wrote the abort marker and died before Complete: the abort is redone in full.
    const current = (await readTxn(b.ctx.storage, "t-twice"))!;
    const fenced = fenceAndAbort(current.value, BigInt(Date.now()));
    const version = (await writeTxn(b.ctx.storage, "t-twice", fenced, current.version))!;
    const now = BigInt(Date.now());
    await b.ctx.storage.append({ topic: "t-twice", partition: 0 }, {
      bytes: encodeControlBatch({ producerId: fenced.producerId, producerEpoch: fenced.producerEpoch, commit: false, timestamp: now }),
      offsetCount: 1,
      maxTimestamp: now,
      producerId: fenced.producerId,
      producerEpoch: fenced.producerEpoch,
      baseSequence: -1,
      transactional: true,
      control: "abort",
    });
    expect(await completeTransaction(b.ctx, "t-twice", { value: fenced, version })).toBe("completed");
    const f = await fetchPartition(c, "t-twice", 0, true);
    expect(f.highWatermark).toBe(3n);
    expect(f.lastStableOffset).toBe(3n);
    expect(f.abortedTransactions).toEqual([{ producerId: p.producerId, firstOffset: 0n }]);
    expect(visibleValues(f)).toEqual([]);
  });

  test("a late second completer stops as soon as it sees the transaction moved on, writing nothing", async () => {
    const p = await inTransaction("t-late");
    await produce(c, "t-late", 0, batch(["a"], { producer: p, transactional: true }), "t-late");
    const current = (await readTxn(b.ctx.storage, "t-late"))!;
    const step = prepareEnd(current.value, p.producerId, p.producerEpoch, true, BigInt(Date.now()));
    if (!step.ok) throw new Error(step.refusal);
    const version = (await writeTxn(b.ctx.storage, "t-late", step.next, current.version))!;
    // The first completer finishes, and the producer starts its next transaction.
    expect(await completeTransaction(b.ctx, "t-late", { value: step.next, version })).toBe("completed");
    expect(await addPartitions(c, "t-late", p, "t-late", [0])).toEqual([ErrorCode.NONE]);
    await produce(c, "t-late", 0, batch(["b"], { producer: p, baseSequence: 1, transactional: true }), "t-late");
    const before = await fetchPartition(c, "t-late", 0, false);
    expect(await completeTransaction(b.ctx, "t-late", { value: step.next, version })).toBe("superseded");
    const after = await fetchPartition(c, "t-late", 0, false);
    expect(after.highWatermark).toBe(before.highWatermark);
    // The second transaction is still open: its record is not yet visible to read_committed.
    expect(visibleValues(await fetchPartition(c, "t-late", 0, true))).toEqual(["a"]);
  });

  test("the sweep aborts a transaction past its timeout and fences its producer", async () => {
    await createTopic(c, "t-expire");
    const p = await newProducer(c, "t-expire", 1_000);
    expect(await addPartitions(c, "t-expire", p, "t-expire", [0])).toEqual([ErrorCode.NONE]);
    await produce(c, "t-expire", 0, batch(["late"], { producer: p, transactional: true }), "t-expire");
    const sweep = new TxnTimeouts(b.ctx);
    const started = (await readTxn(b.ctx.storage, "t-expire"))!.value.startTimestamp;
    expect(await sweep.sweepOnce(started + 1_000n)).not.toContain("t-expire");
    expect(await sweep.sweepOnce(started + 1_001n)).toContain("t-expire");

    expect((await readTxn(b.ctx.storage, "t-expire"))!.value).toMatchObject({ state: "CompleteAbort", producerEpoch: p.producerEpoch + 1 });
    const f = await fetchPartition(c, "t-expire", 0, true);
    expect(f.lastStableOffset).toBe(f.highWatermark);
    expect(visibleValues(f)).toEqual([]);
    expect(await endTxn(c, "t-expire", p, true)).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await produce(c, "t-expire", 0, batch(["later"], { producer: p, baseSequence: 1, transactional: true }), "t-expire")).errorCode).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
  });
});

describe("DescribeTransactions and ListTransactions", () => {
  test("describe shows state, producer, timeout and partitions; unknown ids are TRANSACTIONAL_ID_NOT_FOUND", async () => {
    const p = await inTransaction("t-describe", 2);
    const r = await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ["t-describe", "t-nobody"] });
    expect(r.transactionStates[0]).toMatchObject({
      errorCode: ErrorCode.NONE,
      transactionalId: "t-describe",
      transactionState: "Ongoing",
      transactionTimeoutMs: 60_000,
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      topics: [{ topic: "t-describe", partitions: [0, 1] }],
    });
    expect(r.transactionStates[0]!.transactionStartTimeMs).toBeGreaterThan(0n);
    expect(r.transactionStates[1]).toMatchObject({ errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId: "t-nobody" });
  });

  test("list filters by state and producer id and reports unknown state names", async () => {
    const p = await inTransaction("t-list");
    const r = await c.request(ApiKey.ListTransactions, 1, { stateFilters: ["Ongoing", "Bogus"], producerIdFilters: [p.producerId], durationFilter: -1n });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.unknownStateFilters).toEqual(["Bogus"]);
    expect(r.transactionStates).toEqual([{ transactionalId: "t-list", producerId: p.producerId, transactionState: "Ongoing" }]);
    const completed = await c.request(ApiKey.ListTransactions, 0, { stateFilters: ["CompleteCommit"], producerIdFilters: [p.producerId] });
    expect(completed.transactionStates).toEqual([]);
    const all = await c.request(ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [] });
    expect(all.transactionStates.map((t) => t.transactionalId)).toContain("t-list");
  });
});

describe("idempotent producer", () => {
  test("a duplicate batch is acknowledged with its original offset and written once", async () => {
    await createTopic(c, "i-dup");
    const p = await newProducer(c, null);
    const first = await produce(c, "i-dup", 0, batch(["a", "b"], { producer: p }));
    const again = await produce(c, "i-dup", 0, batch(["a", "b"], { producer: p }));
    expect(first).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(visibleValues(await fetchPartition(c, "i-dup", 0, false))).toEqual(["a", "b"]);
  });

  test("a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER; a stale epoch INVALID_PRODUCER_EPOCH", async () => {
    await createTopic(c, "i-gap");
    const p = await newProducer(c, null);
    await produce(c, "i-gap", 0, batch(["a"], { producer: p }));
    expect((await produce(c, "i-gap", 0, batch(["c"], { producer: p, baseSequence: 2 }))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await produce(c, "i-gap", 0, batch(["x"], { producer: { ...p, producerEpoch: p.producerEpoch + 1 } }));
    expect((await produce(c, "i-gap", 0, batch(["b"], { producer: p, baseSequence: 1 }))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(visibleValues(await fetchPartition(c, "i-gap", 0, false))).toEqual(["a", "x"]);
  });
});
