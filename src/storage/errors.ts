// Typed failures a storage engine reports; the broker maps each to its Kafka error code.

export class StorageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class TopicExistsError extends StorageError {}
export class UnknownTopicError extends StorageError {}
export class InvalidPartitionsError extends StorageError {}
export class OffsetOutOfRangeError extends StorageError {}
export class OutOfOrderSequenceError extends StorageError {}
export class InvalidProducerEpochError extends StorageError {}
/** The store itself is unreachable or failed; the request may be retried. */
export class StorageUnavailableError extends StorageError {}
