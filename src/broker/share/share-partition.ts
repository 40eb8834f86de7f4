// The delivery state of one share-partition (a share group's view of one topic partition) as pure
// transitions over the stored record, after Kafka's SharePartition. Offsets below the start offset
// are delivered to completion; every offset from there up to `nextOffset` (the first never
// acquired) is in flight, described by runs of offsets that share a state. Acquisition locks are
// absolute deadlines, so whichever broker next reads the record expires them: a lock held through
// a broker that died lapses all the same. Nothing here does I/O or reads the clock.

export type RecordState = "available" | "acquired" | "acknowledged" | "archived";

/** Consecutive in-flight offsets that share a state. */
export interface InFlightRun {
  first: bigint;
  /** Inclusive. */
  last: bigint;
  state: RecordState;
  /** Deliveries so far; the one in progress included while acquired. */
  deliveryCount: number;
  /** The member holding the lock; null unless acquired. */
  memberId: string | null;
  /** When the lock lapses (epoch ms); 0 unless acquired. */
  lockDeadline: number;
}

export interface SharePartitionState {
  /** The share-partition start offset: everything below is acknowledged or archived. */
  startOffset: bigint;
  /** The first offset never acquired; the runs cover [startOffset, nextOffset) without gaps. */
  nextOffset: bigint;
  runs: InFlightRun[];
}

export interface DeliveryLimits {
  /** share.delivery.count.limit: a record is archived instead of being made available after this many. */
  deliveryCountLimit: number;
}

export interface AcquireLimits extends DeliveryLimits {
  /** share.record.lock.duration.ms */
  lockDurationMs: number;
  /** MaxRecords of the request; whole batches may exceed it. */
  maxRecords: number;
  /** group.share.partition.max.record.locks: the most offsets in flight at once. */
  maxInFlight: number;
}

/** What acquisition needs to know of a fetched record batch. */
export interface BatchSpan {
  baseOffset: bigint;
  lastOffset: bigint;
  /** Never delivered: control batches, and under read_committed the batches of aborted transactions. */
  skip: boolean;
}

export interface AcquiredRange {
  firstOffset: bigint;
  lastOffset: bigint;
  deliveryCount: number;
}

/** Ack types of ShareFetch and ShareAcknowledge v1. */
export const AckType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3 } as const;

export interface AckBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  /** One type for the whole range, or one per offset. */
  acknowledgeTypes: number[];
}

/** Why an acknowledgement was refused, as Kafka words it; nothing of the request was applied. */
export interface AckFailure {
  kind: "invalid_request" | "invalid_record_state";
  message: string;
}

export function initialState(startOffset: bigint): SharePartitionState {
  return { startOffset, nextOffset: startOffset, runs: [] };
}

// --- runs ---------------------------------------------------------------------------

function sameAttributes(a: InFlightRun, b: InFlightRun): boolean {
  return a.state === b.state && a.deliveryCount === b.deliveryCount && a.memberId === b.memberId && a.lockDeadline === b.lockDeadline;
}

/** Drops the delivered prefix (moving the start offset) and merges neighbours alike. */
function normalize(s: SharePartitionState): void {
  let done = 0;
  while (done < s.runs.length && (s.runs[done]!.state === "acknowledged" || s.runs[done]!.state === "archived")) done++;
  s.runs.splice(0, done);
  s.startOffset = s.runs[0]?.first ?? s.nextOffset;
  const merged: InFlightRun[] = [];
  for (const run of s.runs) {
    const previous = merged[merged.length - 1];
    if (previous && previous.last + 1n === run.first && sameAttributes(previous, run)) previous.last = run.last;
    else merged.push(run);
  }
  s.runs = merged;
}

/** Splits runs so that `offset` starts one (when in flight). */
function splitAt(s: SharePartitionState, offset: bigint): void {
  const i = s.runs.findIndex((r) => r.first < offset && offset <= r.last);
  if (i < 0) return;
  const run = s.runs[i]!;
  s.runs.splice(i, 1, { ...run, last: offset - 1n }, { ...run, first: offset });
}

/** The runs covering [first, last] exactly, split as needed (only in-flight offsets have runs). */
function runsWithin(s: SharePartitionState, first: bigint, last: bigint): InFlightRun[] {
  splitAt(s, first);
  splitAt(s, last + 1n);
  return s.runs.filter((r) => r.first >= first && r.last <= last);
}

/** A run whose lock ends: it becomes available again, or archived once out of deliveries. */
function unlock(run: InFlightRun, limits: DeliveryLimits): void {
  run.state = run.deliveryCount >= limits.deliveryCountLimit ? "archived" : "available";
  run.memberId = null;
  run.lockDeadline = 0;
}

// --- transitions --------------------------------------------------------------------

/** Lapses locks whose deadline passed. Returns whether anything changed. */
export function expireLocks(s: SharePartitionState, now: number, limits: DeliveryLimits): boolean {
  let changed = false;
  for (const run of s.runs) {
    if (run.state === "acquired" && run.lockDeadline <= now) {
      unlock(run, limits);
      changed = true;
    }
  }
  if (changed) normalize(s);
  return changed;
}

/** Gives back everything `memberId` holds (its share session ended). Returns whether anything changed. */
export function releaseMember(s: SharePartitionState, memberId: string, limits: DeliveryLimits): boolean {
  let changed = false;
  for (const run of s.runs) {
    if (run.state === "acquired" && run.memberId === memberId) {
      unlock(run, limits);
      changed = true;
    }
  }
  if (changed) normalize(s);
  return changed;
}

/**
 * Records below the log start offset are gone (retention, DeleteRecords): the share-partition
 * starts there at the earliest. Returns whether anything changed.
 */
export function clampToLogStart(s: SharePartitionState, logStartOffset: bigint): boolean {
  if (logStartOffset <= s.startOffset) return false;
  if (s.nextOffset < logStartOffset) s.nextOffset = logStartOffset;
  splitAt(s, logStartOffset);
  s.runs = s.runs.filter((r) => r.first >= logStartOffset);
  normalize(s);
  return true;
}

/**
 * Applies one member's acknowledgements, all or nothing (Kafka rolls back a partly applied
 * request). `batches` are already checked for shape (validateAckBatches).
 */
export function acknowledge(s: SharePartitionState, memberId: string, batches: AckBatch[], limits: DeliveryLimits): AckFailure | null {
  const work: SharePartitionState = structuredClone(s);
  for (const batch of batches) {
    if (batch.firstOffset >= work.nextOffset) {
      return { kind: "invalid_request", message: "Batch record not found. The first offset in request is past acquired records." };
    }
    if (batch.firstOffset < work.startOffset || batch.lastOffset >= work.nextOffset) {
      return { kind: "invalid_record_state", message: "The offset cannot be acknowledged. The offset is not acquired." };
    }
    for (const run of runsWithin(work, batch.firstOffset, batch.lastOffset)) {
      if (run.state !== "acquired") return { kind: "invalid_record_state", message: "The offset cannot be acknowledged. The offset is not acquired." };
      if (run.memberId !== memberId) return { kind: "invalid_record_state", message: "Member is not the owner of batch record" };
    }
    // One type covers the whole range; per-offset types are applied a stretch of equal types at a time.
    const types = batch.acknowledgeTypes;
    for (let i = 0; i < types.length; ) {
      let j = i;
      while (j + 1 < types.length && types[j + 1] === types[i]) j++;
      const first = batch.firstOffset + BigInt(i);
      const last = types.length === 1 ? batch.lastOffset : batch.firstOffset + BigInt(j);
      for (const run of runsWithin(work, first, last)) settle(run, types[i]!, limits);
      i = j + 1;
    }
  }
  normalize(work);
  Object.assign(s, work);
  return null;
}

function settle(run: InFlightRun, type: number, limits: DeliveryLimits): void {
  if (type === AckType.RELEASE) {
    unlock(run, limits);
    return;
  }
  run.state = type === AckType.ACCEPT ? "acknowledged" : "archived";
  run.memberId = null;
  run.lockDeadline = 0;
}

/** The first offset a fetch should read from: the first available one, else the first never acquired. */
export function nextFetchOffset(s: SharePartitionState): bigint {
  return s.runs.find((r) => r.state === "available")?.first ?? s.nextOffset;
}

/** Whether a fetch reading up to `fetchEnd` (exclusive) could acquire anything. */
export function canAcquire(s: SharePartitionState, fetchEnd: bigint, maxInFlight: number): boolean {
  if (s.runs.some((r) => r.state === "available")) return true;
  return s.nextOffset < fetchEnd && s.nextOffset - s.startOffset < BigInt(maxInFlight);
}

/**
 * Acquires for `memberId` what `batches` (consecutive fetched batches, read from
 * nextFetchOffset) hold: available in-flight offsets first, then new records a whole batch at a
 * time while within MaxRecords and the in-flight bound. Returns the acquired ranges, in order,
 * and whether the state changed (records never delivered are archived on the way).
 */
export function acquire(
  s: SharePartitionState,
  memberId: string,
  batches: BatchSpan[],
  fetchEnd: bigint,
  now: number,
  limits: AcquireLimits,
): { ranges: AcquiredRange[]; changed: boolean } {
  const lock = (run: InFlightRun) => {
    run.state = "acquired";
    run.deliveryCount += 1;
    run.memberId = memberId;
    run.lockDeadline = now + limits.lockDurationMs;
  };
  const taken: InFlightRun[] = [];
  let count = 0;
  let changed = false;
  let cursor = nextFetchOffset(s);
  for (const batch of batches) {
    // In-flight offsets no fetched batch holds any more (compaction removed them): nothing to deliver.
    if (batch.baseOffset > cursor && cursor < s.nextOffset) {
      const gapLast = batch.baseOffset - 1n < s.nextOffset - 1n ? batch.baseOffset - 1n : s.nextOffset - 1n;
      for (const run of runsWithin(s, cursor, gapLast)) {
        if (run.state !== "available") continue;
        run.state = "archived";
        changed = true;
      }
    }
    cursor = batch.lastOffset + 1n;
    if (count >= limits.maxRecords || batch.baseOffset >= fetchEnd) break;
    const first = batch.baseOffset > s.startOffset ? batch.baseOffset : s.startOffset;
    const last = batch.lastOffset < fetchEnd - 1n ? batch.lastOffset : fetchEnd - 1n;
    if (last < first) continue;
    // Offsets already in flight: only those available are taken again.
    if (first < s.nextOffset) {
      const inFlightLast = last < s.nextOffset - 1n ? last : s.nextOffset - 1n;
      for (const run of runsWithin(s, first, inFlightLast)) {
        if (run.state !== "available") continue;
        changed = true;
        if (batch.skip) {
          run.state = "archived";
          continue;
        }
        lock(run);
        taken.push(run);
        count += Number(run.last - run.first + 1n);
      }
    }
    if (last < s.nextOffset) continue;
    // New records, a whole batch at a time, within the in-flight bound.
    if (s.nextOffset - s.startOffset >= BigInt(limits.maxInFlight)) break;
    changed = true;
    if (first > s.nextOffset) {
      // Offsets no batch holds any more (compaction): nothing to deliver there.
      s.runs.push({ first: s.nextOffset, last: first - 1n, state: "archived", deliveryCount: 0, memberId: null, lockDeadline: 0 });
    }
    const from = first > s.nextOffset ? first : s.nextOffset;
    const run: InFlightRun = { first: from, last, state: "available", deliveryCount: 0, memberId: null, lockDeadline: 0 };
    s.runs.push(run);
    s.nextOffset = last + 1n;
    if (batch.skip) {
      run.state = "archived";
      continue;
    }
    lock(run);
    taken.push(run);
    count += Number(last - from + 1n);
  }
  const ranges = taken.map((r) => ({ firstOffset: r.first, lastOffset: r.last, deliveryCount: r.deliveryCount }));
  normalize(s);
  return { ranges: mergeRanges(ranges), changed };
}

function mergeRanges(ranges: AcquiredRange[]): AcquiredRange[] {
  const out: AcquiredRange[] = [];
  for (const r of ranges) {
    const previous = out[out.length - 1];
    if (previous && previous.lastOffset + 1n === r.firstOffset && previous.deliveryCount === r.deliveryCount) previous.lastOffset = r.lastOffset;
    else out.push({ ...r });
  }
  return out;
}

/** When the next lock lapses, or null when nothing is acquired. */
export function nextLockDeadline(s: SharePartitionState): number | null {
  let next: number | null = null;
  for (const run of s.runs) if (run.state === "acquired" && (next === null || run.lockDeadline < next)) next = run.lockDeadline;
  return next;
}

/** Records from the start offset up to `endOffset` not yet delivered to completion (KIP-1226 lag). */
export function lag(s: SharePartitionState, endOffset: bigint): bigint {
  if (endOffset <= s.startOffset) return 0n;
  let done = 0n;
  for (const run of s.runs) {
    if (run.first >= endOffset) break;
    if (run.state === "acknowledged" || run.state === "archived") {
      const last = run.last < endOffset - 1n ? run.last : endOffset - 1n;
      done += last - run.first + 1n;
    }
  }
  return endOffset - s.startOffset - done;
}

/**
 * Kafka's checks on the shape of acknowledgement batches (before any state is read): ascending,
 * not overlapping, one type or one per offset, each a type the version knows. Returns the
 * problem, or null.
 */
export function validateAckBatches(batches: AckBatch[]): string | null {
  let previousLast = -1n;
  for (const b of batches) {
    if (b.firstOffset > b.lastOffset) return `The first offset ${b.firstOffset} is past the last offset ${b.lastOffset}.`;
    if (b.firstOffset <= previousLast) return "The acknowledgement batches are not in ascending order or overlap.";
    const size = b.lastOffset - b.firstOffset + 1n;
    if (b.acknowledgeTypes.length === 0 || (b.acknowledgeTypes.length !== 1 && BigInt(b.acknowledgeTypes.length) !== size)) {
      return `Expected one acknowledge type or ${size}, got ${b.acknowledgeTypes.length}.`;
    }
    if (b.acknowledgeTypes.some((t) => t < AckType.GAP || t > AckType.REJECT)) return "Invalid acknowledge type.";
    previousLast = b.lastOffset;
  }
  return null;
}
