// Kafka error codes for the transaction coordinator's answers, chosen per API version the way
// Kafka chooses them, so that every client generation sees a code it knows how to handle.

import { consola } from "../../log.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { StorageUnavailableError } from "../../storage/errors.ts";
import { errorCodeOf } from "../error-mapping.ts";
import type { TxnRefusal } from "./txn-state.ts";
import { TxnConflictError } from "./txn-store.ts";

/**
 * `producerFencedSince`: the first version of the API that knows PRODUCER_FENCED (KIP-588);
 * older clients get INVALID_PRODUCER_EPOCH for the same condition. Null: the API never
 * answers PRODUCER_FENCED (Produce and TxnOffsetCommit report a stale epoch as INVALID_PRODUCER_EPOCH).
 */
export function refusalCode(refusal: TxnRefusal, apiVersion: number, producerFencedSince: number | null): number {
  switch (refusal) {
    case "producerIdMismatch":
      return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    case "fenced":
      return producerFencedSince !== null && apiVersion >= producerFencedSince ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
    case "concurrent":
      return ErrorCode.CONCURRENT_TRANSACTIONS;
    case "invalidState":
      return ErrorCode.INVALID_TXN_STATE;
  }
}

/**
 * A failure while reading or writing coordinator state. Store outages and lost races are
 * answered with codes clients retry (as Kafka's coordinator does when its log is
 * unavailable); anything else is logged by errorCodeOf.
 */
export function coordinatorErrorCode(error: unknown, context: string): number {
  if (error instanceof TxnConflictError) return ErrorCode.CONCURRENT_TRANSACTIONS;
  if (error instanceof StorageUnavailableError) {
    consola.warn(`${context}: storage unavailable: ${error.message}`);
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
  return errorCodeOf(error, context);
}
