// Offset-range and fetch-size rules of a partition log that do not depend on how an
// engine stores batches. Shared by the engines (the memory engine is the reference).

import { OffsetOutOfRangeError } from "./errors.ts";

interface LogBounds {
  logStartOffset: bigint;
  highWatermark: bigint;
}

/** DeleteRecords' "up to the high watermark". */
const HIGH_WATERMARK = -1n;

/** @throws OffsetOutOfRangeError when a fetch may not start at `fetchOffset`. */
export function checkFetchOffset(fetchOffset: bigint, bounds: LogBounds): void {
  if (fetchOffset < bounds.logStartOffset || fetchOffset > bounds.highWatermark) {
    throw new OffsetOutOfRangeError(
      `fetch offset ${fetchOffset} is outside [${bounds.logStartOffset}, ${bounds.highWatermark}]`,
    );
  }
}

/**
 * The log start offset after DeleteRecords(`requested`): never backward, never past the
 * high watermark.
 * @throws OffsetOutOfRangeError
 */
export function logStartAfterDelete(requested: bigint, bounds: LogBounds): bigint {
  const target = requested === HIGH_WATERMARK ? bounds.highWatermark : requested;
  if (target < 0n || target > bounds.highWatermark) {
    throw new OffsetOutOfRangeError(`cannot delete records before ${requested}: high watermark is ${bounds.highWatermark}`);
  }
  return target > bounds.logStartOffset ? target : bounds.logStartOffset;
}

export interface CollectedBatches {
  batches: Uint8Array[];
  /** Last offset of the last collected batch; null when none was. */
  lastOffset: bigint | null;
}

/**
 * Takes candidate batches in offset order while their total size stays within `maxBytes`,
 * but always the first one whole. Stops at the first batch that does not fit, so the
 * result has no gaps; stops reading `candidates` there too (they may be a database cursor).
 */
export function collectWithinBudget(
  candidates: Iterable<{ bytes: Uint8Array; lastOffset: bigint }>,
  maxBytes: number,
): CollectedBatches {
  const batches: Uint8Array[] = [];
  let lastOffset: bigint | null = null;
  let size = 0;
  for (const candidate of candidates) {
    if (batches.length > 0 && size + candidate.bytes.byteLength > maxBytes) break;
    batches.push(candidate.bytes);
    size += candidate.bytes.byteLength;
    lastOffset = candidate.lastOffset;
  }
  return { batches, lastOffset };
}

/** Where a batch's records start to be readable: those below the log start are gone even when their batch straddles it. */
export function visibleOffset(baseOffset: bigint, bounds: Pick<LogBounds, "logStartOffset">): bigint {
  return baseOffset > bounds.logStartOffset ? baseOffset : bounds.logStartOffset;
}

/** Writes the assigned base offset into bytes 0..8 of a v2 record batch (big-endian int64). */
export function stampBaseOffset(bytes: Uint8Array, baseOffset: bigint): void {
  new DataView(bytes.buffer, bytes.byteOffset, 8).setBigInt64(0, baseOffset);
}
