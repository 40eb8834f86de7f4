// The transaction coordinator's state for one transactional id, and every transition it may
// take, as pure functions. Handlers read the state from the store, ask these functions what
// the next state is, and write it back with compare-and-set; nothing here does I/O, so the
// rules are the same whichever broker applies them.

import type { TopicPartition } from "../../storage/storage.ts";

export const TXN_STATES = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort"] as const;
export type TxnStateName = (typeof TXN_STATES)[number];

/** Kafka's "no epoch yet": a freshly created transactional id has never handed one out. */
export const NO_EPOCH = -1;
export const NO_PRODUCER_ID = -1n;

/** An offset sent with TxnOffsetCommit, committed to the group only when the transaction commits. */
export interface PendingOffset {
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

export interface TxnState {
  producerId: bigint;
  producerEpoch: number;
  /**
   * The epoch before the last InitProducerId bump (NO_EPOCH if none), so that a producer
   * retrying a bump whose answer it lost (KIP-360) gets the same epoch instead of fencing itself.
   */
  lastProducerEpoch: number;
  /** The producer id before the last rotation (epoch exhausted), NO_PRODUCER_ID if none. */
  lastProducerId: bigint;
  timeoutMs: number;
  state: TxnStateName;
  /** Partitions in the current transaction, sorted, without duplicates. */
  partitions: TopicPartition[];
  /** Consumer groups added with AddOffsetsToTxn, sorted, without duplicates. */
  groups: string[];
  offsets: PendingOffset[];
  /** When the current (or last) transaction started; -1n before the first one. */
  startTimestamp: bigint;
  lastUpdateTimestamp: bigint;
}

/** Why a request may not move the state; handlers turn each into the Kafka code its API version knows. */
export type TxnRefusal = "producerIdMismatch" | "fenced" | "concurrent" | "invalidState";

export type Transition = { ok: true; next: TxnState; changed: boolean } | { ok: false; refusal: TxnRefusal };

export interface ProducerIdAndEpoch {
  producerId: bigint;
  epoch: number;
}

const MAX_EPOCH = 32767;

/** As Kafka: the last epoch is kept in reserve for fencing, so at MAX_EPOCH - 1 the id is rotated. */
function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_EPOCH - 1;
}

export function isPrepare(state: TxnStateName): state is "PrepareCommit" | "PrepareAbort" {
  return state === "PrepareCommit" || state === "PrepareAbort";
}

export function newTxnState(producerId: bigint, timeoutMs: number, now: bigint): TxnState {
  return {
    producerId,
    producerEpoch: NO_EPOCH,
    lastProducerEpoch: NO_EPOCH,
    lastProducerId: NO_PRODUCER_ID,
    timeoutMs,
    state: "Empty",
    partitions: [],
    groups: [],
    offsets: [],
    startTimestamp: -1n,
    lastUpdateTimestamp: now,
  };
}

function unchanged(current: TxnState): Transition {
  return { ok: true, next: current, changed: false };
}

function refused(refusal: TxnRefusal): Transition {
  return { ok: false, refusal };
}

function changedTo(next: TxnState): Transition {
  return { ok: true, next, changed: true };
}

/** The identity check every request of a live producer passes first. */
function checkProducer(current: TxnState, producerId: bigint, epoch: number): TxnRefusal | null {
  if (current.producerId !== producerId) return "producerIdMismatch";
  if (current.producerEpoch !== epoch) return "fenced";
  return null;
}

export type InitStep =
  | { kind: "refused"; refusal: TxnRefusal }
  /** An open transaction must be aborted (at a fenced epoch) before a new epoch is handed out. */
  | { kind: "abortFirst"; next: TxnState }
  /** The epochs of this producer id are used up: allocate one and call rotateProducerId. */
  | { kind: "rotate" }
  | { kind: "ready"; next: TxnState; changed: boolean };

/** InitProducerId with a transactional id: a new epoch for the producer, fencing older ones. */
export function initProducer(
  current: TxnState,
  timeoutMs: number,
  expected: ProducerIdAndEpoch | null,
  now: bigint,
): InitStep {
  if (expected !== null && !isResumableBy(current, expected)) return { kind: "refused", refusal: "fenced" };
  switch (current.state) {
    case "PrepareCommit":
    case "PrepareAbort":
      return { kind: "refused", refusal: "concurrent" };
    case "Ongoing":
      return { kind: "abortFirst", next: fenceAndAbort(current, now) };
    case "Empty":
    case "CompleteCommit":
    case "CompleteAbort":
      break;
  }
  if (isEpochExhausted(current.producerEpoch) && (expected === null || expected.epoch === current.producerEpoch)) {
    return { kind: "rotate" };
  }
  let epoch: number;
  let lastEpoch: number;
  if (expected === null) {
    [epoch, lastEpoch] = [current.producerEpoch + 1, NO_EPOCH];
  } else if (current.producerEpoch === NO_EPOCH || expected.epoch === current.producerEpoch) {
    [epoch, lastEpoch] = [current.producerEpoch + 1, current.producerEpoch];
  } else if (expected.epoch === current.lastProducerEpoch) {
    // A retry of the bump we already made: answer with the same epoch.
    return { kind: "ready", next: current, changed: false };
  } else {
    return { kind: "refused", refusal: "fenced" };
  }
  return { kind: "ready", next: emptied({ ...current, producerEpoch: epoch, lastProducerEpoch: lastEpoch, timeoutMs }, now), changed: true };
}

/**
 * KIP-360: a producer naming its current id and epoch may get a new epoch without being
 * fenced, if the id is ours, or was ours before a rotation that it never heard about.
 */
function isResumableBy(current: TxnState, expected: ProducerIdAndEpoch): boolean {
  return (
    current.producerEpoch === NO_EPOCH ||
    expected.producerId === current.producerId ||
    (expected.producerId === current.lastProducerId && isEpochExhausted(expected.epoch))
  );
}

/** A fresh producer id at epoch 0, once the old id's epochs are exhausted. */
export function rotateProducerId(
  current: TxnState,
  producerId: bigint,
  timeoutMs: number,
  expected: ProducerIdAndEpoch | null,
  now: bigint,
): TxnState {
  return emptied(
    {
      ...current,
      producerId,
      producerEpoch: 0,
      lastProducerId: current.producerId,
      // Remembered only for a producer that asked with its epoch, which may retry the request.
      lastProducerEpoch: expected === null ? NO_EPOCH : current.producerEpoch,
      timeoutMs,
    },
    now,
  );
}

function emptied(state: TxnState, now: bigint): TxnState {
  return { ...state, state: "Empty", partitions: [], groups: [], offsets: [], startTimestamp: -1n, lastUpdateTimestamp: now };
}

/** Joins the current transaction (starting one if needed) with `partitions`. */
export function addPartitions(
  current: TxnState,
  producerId: bigint,
  epoch: number,
  partitions: TopicPartition[],
  now: bigint,
): Transition {
  const refusal = checkProducer(current, producerId, epoch);
  if (refusal) return refused(refusal);
  if (isPrepare(current.state)) return refused("concurrent");
  const merged = mergePartitions(current.partitions, partitions);
  if (current.state === "Ongoing" && merged.length === current.partitions.length) return unchanged(current);
  return changedTo({ ...joined(current, now), partitions: merged });
}

/** AddOffsetsToTxn: the group's offsets will be committed (or dropped) with the transaction. */
export function addGroup(current: TxnState, producerId: bigint, epoch: number, group: string, now: bigint): Transition {
  const refusal = checkProducer(current, producerId, epoch);
  if (refusal) return refused(refusal);
  if (isPrepare(current.state)) return refused("concurrent");
  if (current.state === "Ongoing" && current.groups.includes(group)) return unchanged(current);
  return changedTo({ ...joined(current, now), groups: [...new Set([...current.groups, group])].sort() });
}

function joined(current: TxnState, now: bigint): TxnState {
  const starting = current.state !== "Ongoing";
  return {
    ...current,
    state: "Ongoing",
    partitions: starting ? [] : current.partitions,
    groups: starting ? [] : current.groups,
    offsets: starting ? [] : current.offsets,
    startTimestamp: starting ? now : current.startTimestamp,
    lastUpdateTimestamp: now,
  };
}

/**
 * Whether a transactional produce to `tp` may be written: the producer is current and the
 * partition was added to its ongoing transaction. Null when it may.
 */
export function checkTransactionalWrite(current: TxnState, producerId: bigint, epoch: number, tp: TopicPartition): TxnRefusal | null {
  const refusal = checkProducer(current, producerId, epoch);
  if (refusal) return refusal;
  if (current.state !== "Ongoing") return "invalidState";
  return current.partitions.some((p) => p.topic === tp.topic && p.partition === tp.partition) ? null : "invalidState";
}

/** TxnOffsetCommit: offsets held with the transaction until it ends; a later offset for a partition replaces an earlier one. */
export function addPendingOffsets(
  current: TxnState,
  producerId: bigint,
  epoch: number,
  offsets: PendingOffset[],
  now: bigint,
): Transition {
  const refusal = checkProducer(current, producerId, epoch);
  if (refusal) return refused(refusal);
  if (current.state !== "Ongoing") return refused(isPrepare(current.state) ? "concurrent" : "invalidState");
  if (offsets.some((o) => !current.groups.includes(o.group))) return refused("invalidState");
  const key = (o: PendingOffset) => `${o.group}\0${o.topic}\0${o.partition}`;
  const replaced = new Set(offsets.map(key));
  return changedTo({
    ...current,
    offsets: [...current.offsets.filter((o) => !replaced.has(key(o))), ...offsets],
    lastUpdateTimestamp: now,
  });
}

/**
 * EndTxn: Ongoing moves to PrepareCommit/PrepareAbort. A retry of an end that already
 * completed succeeds without change; the opposite end of a completed one is INVALID_TXN_STATE.
 */
export function prepareEnd(current: TxnState, producerId: bigint, epoch: number, commit: boolean, now: bigint): Transition {
  const refusal = checkProducer(current, producerId, epoch);
  if (refusal) return refused(refusal);
  switch (current.state) {
    case "Ongoing":
      return changedTo({ ...current, state: commit ? "PrepareCommit" : "PrepareAbort", lastUpdateTimestamp: now });
    case "CompleteCommit":
      return commit ? unchanged(current) : refused("invalidState");
    case "CompleteAbort":
      return commit ? refused("invalidState") : unchanged(current);
    case "PrepareCommit":
      return commit ? refused("concurrent") : refused("invalidState");
    case "PrepareAbort":
      return commit ? refused("invalidState") : refused("concurrent");
    case "Empty":
      return refused("invalidState");
  }
}

/**
 * Aborts an ongoing transaction on the coordinator's own initiative (timeout, or a new
 * producer instance taking over). The epoch is bumped first, and the abort markers carry
 * it, so the old producer is fenced on every partition of the transaction.
 */
export function fenceAndAbort(current: TxnState, now: bigint): TxnState {
  return {
    ...current,
    producerEpoch: current.producerEpoch + 1,
    lastProducerEpoch: NO_EPOCH,
    state: "PrepareAbort",
    lastUpdateTimestamp: now,
  };
}

/** After every marker is written (and, on commit, the offsets): Complete*, ready for the next transaction. */
export function complete(current: TxnState, now: bigint): TxnState {
  if (!isPrepare(current.state)) throw new Error(`cannot complete a transaction in state ${current.state}`);
  return {
    ...current,
    state: current.state === "PrepareCommit" ? "CompleteCommit" : "CompleteAbort",
    partitions: [],
    groups: [],
    offsets: [],
    lastUpdateTimestamp: now,
  };
}

/** A transaction in a state the timeout sweep must watch: Ongoing, or between prepare and completion. */
export function isOpen(txn: TxnState): boolean {
  return txn.state === "Ongoing" || isPrepare(txn.state);
}

/** An ongoing transaction past its timeout, which any broker may abort. */
export function isExpired(current: TxnState, now: bigint): boolean {
  return current.state === "Ongoing" && current.startTimestamp + BigInt(current.timeoutMs) < now;
}

/**
 * A Prepare* state left behind for longer than the transaction timeout: the broker that
 * wrote it most likely died before writing every marker, so another one finishes the job.
 */
export function isStalled(current: TxnState, now: bigint): boolean {
  return isPrepare(current.state) && current.lastUpdateTimestamp + BigInt(current.timeoutMs) < now;
}

function mergePartitions(existing: TopicPartition[], added: TopicPartition[]): TopicPartition[] {
  const byKey = new Map<string, TopicPartition>();
  for (const tp of [...existing, ...added]) byKey.set(`${tp.topic}\0${tp.partition}`, { topic: tp.topic, partition: tp.partition });
  return [...byKey.values()].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}
