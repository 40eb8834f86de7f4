// How often the timeout sweep lists the store: every interval while a transaction is open, every
// six intervals while none is (a LIST is billed on s3://). Timers are faked, so the test steps
// through the schedule instead of waiting for it.
import { afterAll, afterEach, beforeAll, beforeEach, expect, jest, spyOn, test } from "bun:test";
import { TxnTimeouts } from "../../../src/broker/transactions/txn-timeouts.ts";
import { newTxnState, type TxnState } from "../../../src/broker/transactions/txn-state.ts";
import { writeTxn } from "../../../src/broker/transactions/txn-store.ts";
import { startInProcessBroker, type InProcessBroker } from "../in-process-broker.ts";

const INTERVAL_MS = 1_000;

let b: InProcessBroker;
let sweep: TxnTimeouts;
let lists: ReturnType<typeof spyOn>;

beforeAll(async () => {
  b = await startInProcessBroker();
});
afterAll(() => b.stop());

beforeEach(() => {
  jest.useFakeTimers();
  lists = spyOn(b.ctx.storage, "listRecords");
  sweep = new TxnTimeouts(b.ctx, INTERVAL_MS);
});
afterEach(async () => {
  sweep.stop();
  await sweep.idle();
  lists.mockRestore();
  jest.useRealTimers();
});

/** Moves the clock on by `ms` and lets a sweep that came due finish; returns how often the store was listed so far. */
async function after(ms: number): Promise<number> {
  jest.advanceTimersByTime(ms);
  await sweep.idle();
  return lists.mock.calls.length;
}

/** An Ongoing transaction that stays within its (hour-long) timeout. */
function ongoing(producerId: bigint): TxnState {
  const now = BigInt(Date.now());
  return { ...newTxnState(producerId, 3_600_000, now), state: "Ongoing", startTimestamp: now };
}

test("with no open transaction the sweep waits six intervals; one opened through this broker brings it back at once", async () => {
  sweep.start(0);
  expect(await after(0)).toBe(1);
  expect(await after(INTERVAL_MS)).toBe(1);
  expect(await after(5 * INTERVAL_MS - 1)).toBe(1);
  expect(await after(1)).toBe(2);

  // Opened through this broker: the next sweep is one interval away, not the rest of the idle wait.
  expect(await after(INTERVAL_MS)).toBe(2);
  expect(await writeTxn(b.ctx.storage, "cadence-local", ongoing(901n), null)).not.toBeNull();
  expect(await after(INTERVAL_MS)).toBe(3);
  // Still open: every interval.
  expect(await after(INTERVAL_MS)).toBe(4);
  expect(await after(INTERVAL_MS)).toBe(5);

  // Ended: back to the idle wait after the sweep that sees it so.
  const current = (await b.ctx.storage.getRecord<TxnState>("txn", "cadence-local"))!;
  expect(await writeTxn(b.ctx.storage, "cadence-local", { ...current.value, state: "CompleteCommit" }, current.version)).not.toBeNull();
  expect(await after(INTERVAL_MS)).toBe(6);
  expect(await after(5 * INTERVAL_MS)).toBe(6);
  expect(await after(INTERVAL_MS)).toBe(7);
});

test("a transaction another broker left open is found by the idle sweep, which then runs every interval", async () => {
  sweep.start(0);
  const idle = await after(0);
  // Written to the store directly, as another broker process would: nothing here hears of it.
  expect(await b.ctx.storage.putRecord("txn", "cadence-elsewhere", ongoing(902n), null)).not.toBeNull();
  expect(await after(6 * INTERVAL_MS - 1)).toBe(idle);
  expect(await after(1)).toBe(idle + 1);
  expect(await after(INTERVAL_MS)).toBe(idle + 2);
  expect(await after(INTERVAL_MS)).toBe(idle + 3);
});
