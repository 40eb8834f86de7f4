import { describe, expect, test } from "bun:test";
import {
  addGroup,
  addPartitions,
  addPendingOffsets,
  checkTransactionalWrite,
  complete,
  fenceAndAbort,
  initProducer,
  isExpired,
  isStalled,
  newTxnState,
  prepareEnd,
  rotateProducerId,
  type InitStep,
  type Transition,
  type TxnState,
} from "../../../src/broker/transactions/txn-state.ts";

const T0 = 1_000n;
const tp = (topic: string, partition: number) => ({ topic, partition });

function ready(step: InitStep): TxnState {
  if (step.kind !== "ready") throw new Error(`expected ready, got ${JSON.stringify(step, (_k, v) => (typeof v === "bigint" ? `${v}` : v))}`);
  return step.next;
}

function next(t: Transition): TxnState {
  if (!t.ok) throw new Error(`refused: ${t.refusal}`);
  return t.next;
}

/** A producer that has run InitProducerId once: producer 7, epoch 0. */
function initialised(): TxnState {
  return ready(initProducer(newTxnState(7n, 60_000, T0), 60_000, null, T0));
}

describe("InitProducerId", () => {
  test("a new transactional id gets epoch 0, the next InitProducerId epoch 1", () => {
    const first = initialised();
    expect(first).toMatchObject({ producerId: 7n, producerEpoch: 0, state: "Empty" });
    expect(ready(initProducer(first, 60_000, null, T0))).toMatchObject({ producerId: 7n, producerEpoch: 1 });
  });

  test("an ongoing transaction is aborted first, at a fenced epoch", () => {
    const ongoing = next(addPartitions(initialised(), 7n, 0, [tp("t", 0)], T0));
    const step = initProducer(ongoing, 60_000, null, T0 + 5n);
    expect(step.kind).toBe("abortFirst");
    if (step.kind !== "abortFirst") return;
    expect(step.next).toMatchObject({ state: "PrepareAbort", producerEpoch: 1, partitions: [tp("t", 0)] });
  });

  test("a transaction preparing to end is CONCURRENT_TRANSACTIONS", () => {
    const preparing = next(prepareEnd(next(addPartitions(initialised(), 7n, 0, [tp("t", 0)], T0)), 7n, 0, true, T0));
    expect(initProducer(preparing, 60_000, null, T0)).toEqual({ kind: "refused", refusal: "concurrent" });
  });

  test("KIP-360: the current epoch may be bumped by its producer; a retry of that bump gets the same answer", () => {
    const first = initialised();
    const bumped = ready(initProducer(first, 60_000, { producerId: 7n, epoch: 0 }, T0));
    expect(bumped).toMatchObject({ producerEpoch: 1, lastProducerEpoch: 0 });
    const retry = initProducer(bumped, 60_000, { producerId: 7n, epoch: 0 }, T0);
    expect(retry).toEqual({ kind: "ready", next: bumped, changed: false });
  });

  test("KIP-360: an unknown producer id or an epoch neither current nor last is fenced", () => {
    const bumped = ready(initProducer(initialised(), 60_000, null, T0)); // epoch 1, no last epoch
    expect(initProducer(bumped, 60_000, { producerId: 99n, epoch: 1 }, T0)).toEqual({ kind: "refused", refusal: "fenced" });
    expect(initProducer(bumped, 60_000, { producerId: 7n, epoch: 0 }, T0)).toEqual({ kind: "refused", refusal: "fenced" });
  });

  test("an exhausted epoch rotates the producer id; the old id may then resume at epoch 0 of the new one", () => {
    const worn: TxnState = { ...initialised(), producerEpoch: 32766 };
    expect(initProducer(worn, 60_000, null, T0)).toEqual({ kind: "rotate" });
    const rotated = rotateProducerId(worn, 8n, 60_000, { producerId: 7n, epoch: 32766 }, T0);
    expect(rotated).toMatchObject({ producerId: 8n, producerEpoch: 0, lastProducerId: 7n, lastProducerEpoch: 32766 });
    // The producer lost the answer and asks again with its old id: same new id and epoch.
    expect(initProducer(rotated, 60_000, { producerId: 7n, epoch: 32766 }, T0)).toEqual({ kind: "ready", next: rotated, changed: false });
  });

  test("the new timeout is recorded", () => {
    expect(ready(initProducer(initialised(), 5_000, null, T0)).timeoutMs).toBe(5_000);
  });
});

describe("adding to a transaction", () => {
  test("the first partition starts the transaction; adding known partitions changes nothing", () => {
    const started = addPartitions(initialised(), 7n, 0, [tp("b", 1), tp("a", 0)], T0 + 10n);
    expect(started).toMatchObject({ ok: true, changed: true });
    const txn = next(started);
    expect(txn).toMatchObject({ state: "Ongoing", startTimestamp: T0 + 10n, partitions: [tp("a", 0), tp("b", 1)] });
    expect(addPartitions(txn, 7n, 0, [tp("a", 0)], T0 + 20n)).toEqual({ ok: true, next: txn, changed: false });
    expect(next(addPartitions(txn, 7n, 0, [tp("a", 1)], T0 + 20n))).toMatchObject({
      startTimestamp: T0 + 10n,
      partitions: [tp("a", 0), tp("a", 1), tp("b", 1)],
    });
  });

  test("wrong producer id, stale or future epoch, and ending transactions are refused", () => {
    const txn = initialised();
    expect(addPartitions(txn, 8n, 0, [tp("a", 0)], T0)).toEqual({ ok: false, refusal: "producerIdMismatch" });
    const bumped = ready(initProducer(txn, 60_000, null, T0));
    expect(addPartitions(bumped, 7n, 0, [tp("a", 0)], T0)).toEqual({ ok: false, refusal: "fenced" });
    expect(addPartitions(txn, 7n, 1, [tp("a", 0)], T0)).toEqual({ ok: false, refusal: "fenced" });
    const preparing = next(prepareEnd(next(addPartitions(txn, 7n, 0, [tp("a", 0)], T0)), 7n, 0, false, T0));
    expect(addPartitions(preparing, 7n, 0, [tp("a", 1)], T0)).toEqual({ ok: false, refusal: "concurrent" });
    expect(addGroup(preparing, 7n, 0, "g", T0)).toEqual({ ok: false, refusal: "concurrent" });
  });

  test("a group joins the transaction and then accepts pending offsets; a later offset replaces an earlier one", () => {
    const txn = next(addGroup(initialised(), 7n, 0, "g", T0));
    expect(txn).toMatchObject({ state: "Ongoing", groups: ["g"] });
    const offset = (partition: number, o: bigint) => ({ group: "g", topic: "in", partition, offset: o, leaderEpoch: -1, metadata: null });
    const once = next(addPendingOffsets(txn, 7n, 0, [offset(0, 5n), offset(1, 3n)], T0));
    const twice = next(addPendingOffsets(once, 7n, 0, [offset(0, 9n)], T0));
    expect(twice.offsets.map((o) => [o.partition, o.offset])).toEqual([[1, 3n], [0, 9n]]);
  });

  test("offsets for a group not added, or outside a transaction, are INVALID_TXN_STATE", () => {
    const offset = { group: "other", topic: "in", partition: 0, offset: 1n, leaderEpoch: -1, metadata: null };
    expect(addPendingOffsets(next(addGroup(initialised(), 7n, 0, "g", T0)), 7n, 0, [offset], T0)).toEqual({ ok: false, refusal: "invalidState" });
    expect(addPendingOffsets(initialised(), 7n, 0, [{ ...offset, group: "g" }], T0)).toEqual({ ok: false, refusal: "invalidState" });
  });
});

describe("transactional writes", () => {
  const txn = () => next(addPartitions(initialised(), 7n, 0, [tp("a", 0)], T0));

  test("allowed only for the current epoch and partitions in the ongoing transaction", () => {
    expect(checkTransactionalWrite(txn(), 7n, 0, tp("a", 0))).toBeNull();
    expect(checkTransactionalWrite(txn(), 7n, 0, tp("a", 1))).toBe("invalidState");
    expect(checkTransactionalWrite(txn(), 7n, 1, tp("a", 0))).toBe("fenced");
    expect(checkTransactionalWrite(txn(), 6n, 0, tp("a", 0))).toBe("producerIdMismatch");
    const ended = complete(next(prepareEnd(txn(), 7n, 0, true, T0)), T0);
    expect(checkTransactionalWrite(ended, 7n, 0, tp("a", 0))).toBe("invalidState");
  });
});

describe("ending a transaction", () => {
  const ongoing = () => next(addPartitions(initialised(), 7n, 0, [tp("a", 0)], T0));

  test("commit prepares, completes, and empties the transaction", () => {
    const preparing = next(prepareEnd(ongoing(), 7n, 0, true, T0));
    expect(preparing.state).toBe("PrepareCommit");
    expect(complete(preparing, T0)).toMatchObject({ state: "CompleteCommit", partitions: [], groups: [], offsets: [] });
  });

  test("a retried end of a completed transaction succeeds without change; the opposite end is INVALID_TXN_STATE", () => {
    const committed = complete(next(prepareEnd(ongoing(), 7n, 0, true, T0)), T0);
    expect(prepareEnd(committed, 7n, 0, true, T0)).toEqual({ ok: true, next: committed, changed: false });
    expect(prepareEnd(committed, 7n, 0, false, T0)).toEqual({ ok: false, refusal: "invalidState" });
    const aborted = complete(next(prepareEnd(ongoing(), 7n, 0, false, T0)), T0);
    expect(prepareEnd(aborted, 7n, 0, false, T0)).toEqual({ ok: true, next: aborted, changed: false });
    expect(prepareEnd(aborted, 7n, 0, true, T0)).toEqual({ ok: false, refusal: "invalidState" });
  });

  test("ending with nothing in the transaction is INVALID_TXN_STATE; a stale epoch is fenced", () => {
    expect(prepareEnd(initialised(), 7n, 0, true, T0)).toEqual({ ok: false, refusal: "invalidState" });
    expect(prepareEnd(ongoing(), 7n, 3, true, T0)).toEqual({ ok: false, refusal: "fenced" });
  });

  test("only Prepare* can be completed", () => {
    expect(() => complete(ongoing(), T0)).toThrow(/Ongoing/);
  });
});

describe("timeouts", () => {
  test("an ongoing transaction expires after its timeout; fencing bumps the epoch and prepares the abort", () => {
    const txn = next(addPartitions(ready(initProducer(newTxnState(7n, 100, T0), 100, null, T0)), 7n, 0, [tp("a", 0)], T0));
    expect(isExpired(txn, T0 + 100n)).toBe(false);
    expect(isExpired(txn, T0 + 101n)).toBe(true);
    const fenced = fenceAndAbort(txn, T0 + 101n);
    expect(fenced).toMatchObject({ state: "PrepareAbort", producerEpoch: 1, partitions: [tp("a", 0)] });
    // The fenced producer can no longer act on its transaction.
    expect(prepareEnd(complete(fenced, T0), 7n, 0, false, T0)).toEqual({ ok: false, refusal: "fenced" });
  });

  test("a Prepare* state untouched for longer than the timeout is stalled; Empty and Complete* never expire", () => {
    const txn = next(addPartitions(ready(initProducer(newTxnState(7n, 100, T0), 100, null, T0)), 7n, 0, [tp("a", 0)], T0));
    const preparing = next(prepareEnd(txn, 7n, 0, true, T0 + 50n));
    expect(isStalled(preparing, T0 + 150n)).toBe(false);
    expect(isStalled(preparing, T0 + 151n)).toBe(true);
    expect(isExpired(preparing, T0 + 10_000n)).toBe(false);
    expect(isExpired(complete(preparing, T0), T0 + 10_000n)).toBe(false);
    expect(isStalled(complete(preparing, T0), T0 + 10_000n)).toBe(false);
  });
});
