// Typed failures a storage engine reports; the broker maps each to its Kafka error code.

// Names are set explicitly: the binary is minified, and class names would not survive it.
export class StorageError extends Error {
  override name = "StorageError";
}

export class TopicExistsError extends StorageError { override name = "TopicExistsError"; }
export class UnknownTopicError extends StorageError { override name = "UnknownTopicError"; }
export class InvalidPartitionsError extends StorageError { override name = "InvalidPartitionsError"; }
export class OffsetOutOfRangeError extends StorageError { override name = "OffsetOutOfRangeError"; }
export class OutOfOrderSequenceError extends StorageError { override name = "OutOfOrderSequenceError"; }
export class InvalidProducerEpochError extends StorageError { override name = "InvalidProducerEpochError"; }
/** The store itself is unreachable or failed; the request may be retried. */
export class StorageUnavailableError extends StorageError { override name = "StorageUnavailableError"; }
