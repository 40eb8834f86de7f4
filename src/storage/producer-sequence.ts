// Idempotent-producer and transaction bookkeeping for one (topic, partition, producerId),
// as Kafka's broker keeps it. Pure functions over a plain state value so that every engine
// applies the same rules inside its own atomic step (a JS turn, a SQL transaction) and
// stores the result however it likes. An engine calls checkProducerBatch before writing
// and afterProducerBatch once the batch has its offset.

import { InvalidProducerEpochError, OutOfOrderSequenceError } from "./errors.ts";
import type { AppendBatch } from "./storage.ts";

/** How many recent batches per producer are remembered for duplicate detection, as in Kafka. */
const RETAINED_PRODUCER_BATCHES = 5;

/** Sequences are non-negative int32 and wrap from 2^31-1 back to 0. */
const SEQUENCE_MODULUS = 2 ** 31;

export interface ProducerBatch {
  baseSequence: number;
  lastSequence: number;
  baseOffset: bigint;
}

export interface ProducerState {
  epoch: number;
  /** Batches written at `epoch`, oldest first, at most RETAINED_PRODUCER_BATCHES. */
  batches: ProducerBatch[];
  /** First offset of the producer's open transaction on this partition, or null. */
  txnFirstOffset: bigint | null;
}

/** Bookkeeping a control batch produces, for the engine to persist. */
export interface CompletedTransaction {
  firstOffset: bigint;
  lastOffset: bigint;
  aborted: boolean;
}

function lastSequenceOf(baseSequence: number, offsetCount: number): number {
  return (baseSequence + offsetCount - 1) % SEQUENCE_MODULUS;
}

function isNextSequence(last: number, next: number): boolean {
  return next === (last + 1) % SEQUENCE_MODULUS;
}

/**
 * Checks a data batch of an idempotent producer (producerId >= 0) against its state.
 * Returns the base offset of the identical batch already written (a retry: write nothing),
 * or null when the batch is new and in sequence.
 * @throws InvalidProducerEpochError, OutOfOrderSequenceError
 */
function checkSequence(state: ProducerState | null, batch: AppendBatch): bigint | null {
  const { producerId, producerEpoch, baseSequence } = batch;
  if (state === null || producerEpoch > state.epoch) {
    if (baseSequence !== 0) {
      throw new OutOfOrderSequenceError(
        `producer ${producerId} epoch ${producerEpoch} must start at sequence 0, got ${baseSequence}`,
      );
    }
    return null;
  }
  if (producerEpoch < state.epoch) {
    throw new InvalidProducerEpochError(`producer ${producerId} epoch ${producerEpoch} is older than ${state.epoch}`);
  }
  const lastSequence = lastSequenceOf(baseSequence, batch.offsetCount);
  const duplicate = state.batches.find((b) => b.baseSequence === baseSequence && b.lastSequence === lastSequence);
  if (duplicate) return duplicate.baseOffset;
  const previous = state.batches.at(-1)?.lastSequence ?? -1;
  if (!isNextSequence(previous, baseSequence)) {
    throw new OutOfOrderSequenceError(
      `producer ${producerId} epoch ${producerEpoch}: expected sequence ${(previous + 1) % SEQUENCE_MODULUS}, got ${baseSequence}`,
    );
  }
  return null;
}

/** The producer's state after its data batch was written at `baseOffset` (checkSequence passed). */
function afterDataBatch(state: ProducerState | null, batch: AppendBatch, baseOffset: bigint): ProducerState {
  const written: ProducerBatch = {
    baseSequence: batch.baseSequence,
    lastSequence: lastSequenceOf(batch.baseSequence, batch.offsetCount),
    baseOffset,
  };
  const sameEpoch = state !== null && state.epoch === batch.producerEpoch;
  const batches = sameEpoch ? [...state.batches.slice(1 - RETAINED_PRODUCER_BATCHES), written] : [written];
  const open = state?.txnFirstOffset ?? null;
  return {
    epoch: batch.producerEpoch,
    batches,
    txnFirstOffset: open ?? (batch.transactional ? baseOffset : null),
  };
}

/**
 * Checks a COMMIT/ABORT marker against the producer's state: only a fenced (older) epoch
 * is refused, since markers carry no sequence.
 * @throws InvalidProducerEpochError
 */
function checkControlEpoch(state: ProducerState | null, batch: AppendBatch): void {
  if (state !== null && batch.producerEpoch < state.epoch) {
    throw new InvalidProducerEpochError(
      `marker for producer ${batch.producerId} has epoch ${batch.producerEpoch}, older than ${state.epoch}`,
    );
  }
}

/**
 * The producer's state after its marker was written at `offset` (checkControlEpoch passed),
 * and the transaction it closed (null when none was open on this partition).
 */
function afterControlBatch(
  state: ProducerState | null,
  batch: AppendBatch,
  offset: bigint,
): { state: ProducerState; completed: CompletedTransaction | null } {
  const open = state?.txnFirstOffset ?? null;
  // A marker at a newer epoch (the coordinator fenced the producer) starts a fresh
  // sequence history: the next data batch at that epoch must use sequence 0.
  const keepHistory = state !== null && state.epoch === batch.producerEpoch;
  return {
    state: {
      epoch: batch.producerEpoch,
      batches: keepHistory ? state.batches : [],
      txnFirstOffset: null,
    },
    completed: open === null ? null : { firstOffset: open, lastOffset: offset, aborted: batch.control === "abort" },
  };
}

/**
 * Checks a batch of an idempotent producer (producerId >= 0): a marker's epoch, a data
 * batch's epoch and sequence. Returns the base offset of the identical data batch already
 * written (a retry: write nothing), or null when the batch may be written.
 * @throws InvalidProducerEpochError, OutOfOrderSequenceError
 */
export function checkProducerBatch(state: ProducerState | null, batch: AppendBatch): bigint | null {
  if (batch.control) {
    checkControlEpoch(state, batch);
    return null;
  }
  return checkSequence(state, batch);
}

/**
 * The producer's state after its batch was written at `baseOffset` (checkProducerBatch
 * passed), and the transaction a marker closed (null for data batches, or when none was open).
 */
export function afterProducerBatch(
  state: ProducerState | null,
  batch: AppendBatch,
  baseOffset: bigint,
): { state: ProducerState; completed: CompletedTransaction | null } {
  if (batch.control) return afterControlBatch(state, batch, baseOffset);
  return { state: afterDataBatch(state, batch, baseOffset), completed: null };
}
