// The share-partition state machine on a controlled clock: acquisition, the three
// acknowledgements, lock expiry, the delivery count limit and the start offset moving on.
import { describe, expect, test } from "bun:test";
import {
  acknowledge,
  acquire,
  AckType,
  canAcquire,
  clampToLogStart,
  expireLocks,
  initialState,
  lag,
  nextFetchOffset,
  nextLockDeadline,
  releaseMember,
  validateAckBatches,
  type AcquireLimits,
  type BatchSpan,
  type SharePartitionState,
} from "../../../src/broker/share/share-partition.ts";

const LIMITS: AcquireLimits = { deliveryCountLimit: 3, lockDurationMs: 1000, maxRecords: 500, maxInFlight: 2000 };
const T0 = 1_000_000;

/** Batches of `size` records from `from` up to `to` (exclusive). */
function spans(from: number, to: number, size = 1, skip: number[] = []): BatchSpan[] {
  const out: BatchSpan[] = [];
  for (let o = from; o < to; o += size) out.push({ baseOffset: BigInt(o), lastOffset: BigInt(Math.min(o + size, to) - 1), skip: skip.includes(o) });
  return out;
}

function acquireAll(s: SharePartitionState, member: string, end: number, now = T0, limits = LIMITS, size = 1) {
  return acquire(s, member, spans(Number(nextFetchOffset(s)), end, size), BigInt(end), now, limits).ranges;
}

const range = (first: number, last: number, deliveryCount: number) => ({ firstOffset: BigInt(first), lastOffset: BigInt(last), deliveryCount });
const ack = (first: number, last: number, ...types: number[]) => ({ firstOffset: BigInt(first), lastOffset: BigInt(last), acknowledgeTypes: types });

describe("acquisition", () => {
  test("new records are acquired once, with delivery count 1, until acknowledged", () => {
    const s = initialState(0n);
    expect(acquireAll(s, "a", 5)).toEqual([range(0, 4, 1)]);
    expect(canAcquire(s, 5n, 2000)).toBe(false);
    expect(acquireAll(s, "b", 5)).toEqual([]);
    expect(nextLockDeadline(s)).toBe(T0 + 1000);
  });

  test("MaxRecords stops at a batch boundary; the in-flight bound stops new batches", () => {
    const s = initialState(0n);
    expect(acquire(s, "a", spans(0, 30, 10), 30n, T0, { ...LIMITS, maxRecords: 15 }).ranges).toEqual([range(0, 19, 1)]);
    const bounded = initialState(0n);
    expect(acquire(bounded, "a", spans(0, 30, 10), 30n, T0, { ...LIMITS, maxInFlight: 10 }).ranges).toEqual([range(0, 9, 1)]);
    expect(canAcquire(bounded, 30n, 10)).toBe(false);
  });

  test("control batches and gaps in the log are archived, never delivered", () => {
    const s = initialState(0n);
    const batches: BatchSpan[] = [
      { baseOffset: 0n, lastOffset: 1n, skip: false },
      { baseOffset: 2n, lastOffset: 2n, skip: true },
      { baseOffset: 5n, lastOffset: 6n, skip: false },
    ];
    expect(acquire(s, "a", batches, 7n, T0, LIMITS).ranges).toEqual([range(0, 1, 1), range(5, 6, 1)]);
    expect(acknowledge(s, "a", [ack(0, 1, AckType.ACCEPT), ack(5, 6, AckType.ACCEPT)], LIMITS)).toBeNull();
    expect(s).toEqual({ startOffset: 7n, nextOffset: 7n, runs: [] });
  });

  test("records released and then compacted away are archived, not waited for", () => {
    const s = initialState(0n);
    acquireAll(s, "a", 6);
    expect(acknowledge(s, "a", [ack(0, 5, AckType.RELEASE)], LIMITS)).toBeNull();
    // Offsets 0-3 are gone from the log; the log now holds 4-5 only.
    expect(acquire(s, "b", spans(4, 6), 6n, T0, LIMITS)).toEqual({ ranges: [range(4, 5, 2)], changed: true });
    expect(s.startOffset).toBe(4n);
  });

  test("reading stops at the fetch end (the last stable offset under read_committed)", () => {
    const s = initialState(0n);
    expect(acquire(s, "a", spans(0, 10, 5), 5n, T0, LIMITS).ranges).toEqual([range(0, 4, 1)]);
    expect(s.nextOffset).toBe(5n);
  });
});

describe("acknowledgements", () => {
  test("accept and reject complete records; release makes them available with the next delivery count", () => {
    const s = initialState(0n);
    acquireAll(s, "a", 6);
    expect(acknowledge(s, "a", [ack(0, 2, AckType.ACCEPT, AckType.RELEASE, AckType.REJECT), ack(3, 5, AckType.RELEASE)], LIMITS)).toBeNull();
    expect(s.startOffset).toBe(1n);
    expect(acquireAll(s, "b", 6)).toEqual([range(1, 1, 2), range(3, 5, 2)]);
  });

  test("refusals as Kafka words them, and nothing of a refused request applied", () => {
    const s = initialState(0n);
    acquireAll(s, "a", 6);
    const before = structuredClone(s);
    expect(acknowledge(s, "a", [ack(0, 0, AckType.ACCEPT), ack(9, 9, AckType.ACCEPT)], LIMITS)).toEqual({
      kind: "invalid_request",
      message: "Batch record not found. The first offset in request is past acquired records.",
    });
    expect(acknowledge(s, "b", [ack(1, 1, AckType.ACCEPT)], LIMITS)).toEqual({ kind: "invalid_record_state", message: "Member is not the owner of batch record" });
    expect(s).toEqual(before);
    expect(acknowledge(s, "a", [ack(3, 3, AckType.ACCEPT)], LIMITS)).toBeNull();
    expect(acknowledge(s, "a", [ack(3, 3, AckType.ACCEPT)], LIMITS)).toEqual({
      kind: "invalid_record_state",
      message: "The offset cannot be acknowledged. The offset is not acquired.",
    });
  });

  test("the shape of acknowledgement batches is checked first", () => {
    expect(validateAckBatches([ack(0, 3, AckType.ACCEPT), ack(4, 5, AckType.GAP, AckType.REJECT)])).toBeNull();
    expect(validateAckBatches([ack(3, 2, AckType.ACCEPT)])).toContain("past the last offset");
    expect(validateAckBatches([ack(0, 3, AckType.ACCEPT), ack(3, 4, AckType.ACCEPT)])).toContain("overlap");
    expect(validateAckBatches([ack(0, 3, AckType.ACCEPT, AckType.ACCEPT)])).toContain("Expected one acknowledge type or 4");
    expect(validateAckBatches([ack(0, 0, 4)])).toBe("Invalid acknowledge type.");
  });
});

describe("locks and the delivery count limit", () => {
  test("a lock lapses at its deadline, whoever looks", () => {
    const s = initialState(0n);
    acquireAll(s, "a", 3);
    expect(expireLocks(s, T0 + 999, LIMITS)).toBe(false);
    expect(expireLocks(s, T0 + 1000, LIMITS)).toBe(true);
    expect(acknowledge(s, "a", [ack(0, 2, AckType.ACCEPT)], LIMITS)?.kind).toBe("invalid_record_state");
    expect(acquireAll(s, "b", 3, T0 + 1000)).toEqual([range(0, 2, 2)]);
  });

  test("the last allowed delivery is archived when released or lapsed, and the start offset moves past it", () => {
    const s = initialState(0n);
    for (let delivery = 1; delivery <= LIMITS.deliveryCountLimit; delivery++) {
      expect(acquireAll(s, "a", 2, T0 + delivery * 10_000)).toEqual([range(0, 1, delivery)]);
      if (delivery % 2 === 1) expect(acknowledge(s, "a", [ack(0, 1, AckType.RELEASE)], LIMITS)).toBeNull();
      else expireLocks(s, T0 + delivery * 10_000 + 1000, LIMITS);
    }
    expect(s).toEqual({ startOffset: 2n, nextOffset: 2n, runs: [] });
    expect(acquireAll(s, "a", 2)).toEqual([]);
  });

  test("a member's session ending gives back only what it holds", () => {
    const s = initialState(0n);
    acquire(s, "a", spans(0, 2), 4n, T0, LIMITS);
    acquire(s, "b", spans(2, 4), 4n, T0, LIMITS);
    expect(releaseMember(s, "a", LIMITS)).toBe(true);
    expect(acknowledge(s, "b", [ack(2, 3, AckType.ACCEPT)], LIMITS)).toBeNull();
    expect(acquireAll(s, "c", 4)).toEqual([range(0, 1, 2)]);
  });
});

describe("start offset and lag", () => {
  test("the log start moving past the start offset drops what is gone", () => {
    const s = initialState(0n);
    acquireAll(s, "a", 10);
    expect(clampToLogStart(s, 4n)).toBe(true);
    expect(s.startOffset).toBe(4n);
    expect(acknowledge(s, "a", [ack(4, 9, AckType.ACCEPT)], LIMITS)).toBeNull();
    expect(s).toEqual({ startOffset: 10n, nextOffset: 10n, runs: [] });
    expect(clampToLogStart(s, 12n)).toBe(true);
    expect(s).toEqual({ startOffset: 12n, nextOffset: 12n, runs: [] });
  });

  test("lag counts what is not yet delivered to completion", () => {
    const s = initialState(0n);
    acquireAll(s, "a", 10);
    expect(lag(s, 10n)).toBe(10n);
    expect(acknowledge(s, "a", [ack(0, 3, AckType.ACCEPT), ack(4, 5, AckType.RELEASE), ack(6, 9, AckType.ACCEPT)], LIMITS)).toBeNull();
    expect(lag(s, 10n)).toBe(2n);
    expect(lag(s, 12n)).toBe(4n);
    expect(lag(initialState(3n), 10n)).toBe(7n);
  });
});
