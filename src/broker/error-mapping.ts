import { ErrorCode } from "../protocol/error-codes.ts";
import { CorruptRecordError, MalformedMessageError, TruncatedMessageError, UnsupportedCompressionError } from "../protocol/errors.ts";
import {
  InvalidPartitionsError,
  InvalidProducerEpochError,
  OffsetOutOfRangeError,
  OutOfOrderSequenceError,
  StorageUnavailableError,
  TopicExistsError,
  UnknownTopicError,
} from "../storage/errors.ts";
import { consola } from "../log.ts";

/**
 * The Kafka error code for a failure inside a handler. Unknown failures are logged (they are
 * bugs or outages we want to see) and reported as UNKNOWN_SERVER_ERROR, never thrown at the
 * connection, so one bad partition does not fail the whole request.
 */
export function errorCodeOf(error: unknown, context: string): number {
  if (error instanceof UnknownTopicError) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  if (error instanceof TopicExistsError) return ErrorCode.TOPIC_ALREADY_EXISTS;
  if (error instanceof InvalidPartitionsError) return ErrorCode.INVALID_PARTITIONS;
  if (error instanceof OffsetOutOfRangeError) return ErrorCode.OFFSET_OUT_OF_RANGE;
  if (error instanceof OutOfOrderSequenceError) return ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER;
  if (error instanceof InvalidProducerEpochError) return ErrorCode.INVALID_PRODUCER_EPOCH;
  if (error instanceof CorruptRecordError) return ErrorCode.CORRUPT_MESSAGE;
  if (error instanceof UnsupportedCompressionError) return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
  if (error instanceof MalformedMessageError || error instanceof TruncatedMessageError) return ErrorCode.CORRUPT_MESSAGE;
  if (error instanceof StorageUnavailableError) {
    consola.warn(`${context}: storage unavailable: ${error.message}`);
    return ErrorCode.KAFKA_STORAGE_ERROR;
  }
  consola.error(`${context}:`, error);
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
