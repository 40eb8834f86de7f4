// Typed failures of the sans-I/O codec. The broker turns each into a Kafka answer
// (e.g. UNSUPPORTED_VERSION) or a clean close of the offending connection.

// Names are set explicitly: the binary is minified, and class names would not survive it.
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** Input ended before the message did, or a length field points past the end. */
export class TruncatedMessageError extends ProtocolError { override name = "TruncatedMessageError"; }

/** Input is structurally wrong: negative lengths, bad varints, invalid UTF-8, trailing bytes. */
export class MalformedMessageError extends ProtocolError { override name = "MalformedMessageError"; }

/** A frame's size prefix exceeds the configured maximum; nothing was allocated for it. */
export class FrameTooLargeError extends ProtocolError {
  override name = "FrameTooLargeError";
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`frame of ${size} bytes exceeds the maximum of ${max}`);
  }
}

export class UnknownApiKeyError extends ProtocolError {
  override name = "UnknownApiKeyError";
  constructor(readonly apiKey: number) {
    super(`unknown API key ${apiKey}`);
  }
}

export class UnsupportedVersionError extends ProtocolError {
  override name = "UnsupportedVersionError";
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
  ) {
    super(`API key ${apiKey} version ${apiVersion} is not supported`);
  }
}

/** A record batch whose CRC-32C does not match its contents. */
export class CorruptRecordError extends ProtocolError { override name = "CorruptRecordError"; }

/** A compression codec the batch names that we cannot (or will not) handle. */
export class UnsupportedCompressionError extends ProtocolError { override name = "UnsupportedCompressionError"; }
