// Legacy message sets (magic 0 and 1) at the edges of the broker: Produce v0-2 requests are up-converted to one
// magic-2 record batch, which is all tansu stores; Fetch v0-3 responses are down-converted from stored batches.
//
// Compression in a message set is a wrapper message whose value is a compressed message set of inner messages.
// In a magic-1 wrapper the inner offsets are relative (0..n-1) and the wrapper's offset is the absolute offset of
// the last inner message (KIP-31); in a magic-0 wrapper the inner offsets are absolute.

import { codecFor, DEFAULT_MAX_DECOMPRESSED_BYTES } from "./compression/index.ts";
import { MalformedMessageError, UnsupportedCompressionError } from "./errors.ts";
import { breakHeaderChecksum, withStandardHeaderChecksum } from "./legacy-lz4-header.ts";
import {
  entrySize,
  readMessages,
  withTimestampType,
  writeMessage,
  type MessageToWrite,
  type RawMessage,
} from "./legacy-message.ts";
import {
  Compression,
  compressionOf,
  decodeRecordBatch,
  encodeRecordBatch,
  isControl,
  timestampTypeOf,
} from "./record-batch.ts";

export interface LegacyMessage {
  /** Absolute for a set read from a log; whatever the producer wrote for a Produce request. */
  offset: bigint;
  magic: 0 | 1;
  /** -1 for magic 0; a LogAppendTime wrapper's time for the messages inside it. */
  timestamp: bigint;
  timestampType: 0 | 1;
  /** Codec of the wrapper that carried the message, 0 when it came uncompressed. */
  compression: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

export interface MessageSetDecodeOptions {
  /** Ignore a trailing partial message, as Fetch responses may end with one (default false). */
  allowPartialTail?: boolean;
  /** Cap on the decompressed bytes of one wrapper (default 64 MiB); beyond it MalformedMessageError. */
  maxDecompressedBytes?: number;
}

function innerMessageSet(wrapper: RawMessage, maxBytes: number): Uint8Array {
  const codec = compressionOf(wrapper.attributes);
  if (codec === Compression.zstd) {
    throw new UnsupportedCompressionError("zstd needs magic-2 record batches (Produce v7+); a legacy message cannot carry it");
  }
  if (wrapper.value === null) throw new MalformedMessageError(`compressed wrapper message at offset ${wrapper.offset} has a null value`);
  const compressed = codec === Compression.lz4 && wrapper.magic === 0 ? withStandardHeaderChecksum(wrapper.value) : wrapper.value;
  return codecFor(codec).decompress(compressed, maxBytes);
}

function openWrapper(wrapper: RawMessage, maxBytes: number, into: LegacyMessage[]): void {
  const compression = compressionOf(wrapper.attributes);
  const inner = readMessages(innerMessageSet(wrapper, maxBytes), false);
  if (inner.length === 0) throw new MalformedMessageError(`compressed wrapper message at offset ${wrapper.offset} holds no messages`);
  const lastRelative = inner[inner.length - 1]!.offset;
  const logAppendTime = wrapper.magic === 1 && timestampTypeOf(wrapper.attributes) === 1;
  for (const m of inner) {
    if (m.magic !== wrapper.magic) {
      throw new MalformedMessageError(`magic ${wrapper.magic} wrapper at offset ${wrapper.offset} holds a magic ${m.magic} message`);
    }
    if (compressionOf(m.attributes) !== Compression.none) {
      throw new MalformedMessageError(`compressed wrapper at offset ${wrapper.offset} holds another compressed message`);
    }
    into.push({
      offset: wrapper.magic === 0 ? m.offset : wrapper.offset - lastRelative + m.offset,
      magic: m.magic,
      timestamp: logAppendTime ? wrapper.timestamp : m.timestamp,
      timestampType: logAppendTime ? 1 : 0,
      compression,
      key: m.key,
      value: m.value,
    });
  }
}

/** Every message of a message set in order, compressed wrappers opened; keys and values are views, not copies. */
export function decodeMessageSet(bytes: Uint8Array, options: MessageSetDecodeOptions = {}): LegacyMessage[] {
  const maxBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  const messages: LegacyMessage[] = [];
  for (const m of readMessages(bytes, options.allowPartialTail ?? false)) {
    if (compressionOf(m.attributes) !== Compression.none) {
      openWrapper(m, maxBytes, messages);
      continue;
    }
    messages.push({
      offset: m.offset,
      magic: m.magic,
      timestamp: m.timestamp,
      timestampType: m.magic === 1 ? timestampTypeOf(m.attributes) : 0,
      compression: Compression.none,
      key: m.key,
      value: m.value,
    });
  }
  return messages;
}

/**
 * One magic-2 batch holding every message of a Produce v0-2 message set in order (offset deltas 0..n-1), so it
 * is stored like any other batch. Timestamps are kept (-1 for magic 0, Kafka's NO_TIMESTAMP); the batch is
 * LogAppendTime only if every message was; its codec is the last compressed wrapper's, as Kafka picks it.
 */
export function upconvertMessageSet(bytes: Uint8Array): Uint8Array {
  const messages = decodeMessageSet(bytes);
  if (messages.length === 0) throw new MalformedMessageError("message set holds no messages");
  let compression: number = Compression.none;
  for (const m of messages) if (m.compression !== Compression.none) compression = m.compression;
  const baseTimestamp = messages[0]!.timestamp;
  return encodeRecordBatch({
    baseTimestamp,
    compression,
    timestampType: messages.every((m) => m.timestampType === 1) ? 1 : 0,
    records: messages.map((m, i) => ({ offsetDelta: i, timestampDelta: m.timestamp - baseTimestamp, key: m.key, value: m.value, headers: [] })),
  });
}

export interface LegacyMessageInput {
  offset: bigint;
  /** CreateTime; ignored for magic 0. */
  timestamp: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

export interface MessageSetEncodeOptions {
  magic: 0 | 1;
  /** 0 (none), 1 (gzip), 2 (snappy) or 3 (lz4): all messages go into one wrapper. Default none. */
  compression?: number;
  /** Marks the set LogAppendTime with this time (magic 1): on each uncompressed message, or on the wrapper. */
  logAppendTime?: bigint;
}

function writeSet(messages: MessageToWrite[], magic: 0 | 1): Uint8Array {
  let size = 0;
  for (const m of messages) size += entrySize(magic, m.key, m.value);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const m of messages) o = writeMessage(out, view, o, magic, m);
  return out;
}

/** Encodes messages as a message set, uncompressed or as one compressed wrapper. */
export function encodeMessageSet(messages: LegacyMessageInput[], options: MessageSetEncodeOptions): Uint8Array {
  const { magic, compression = Compression.none, logAppendTime } = options;
  if (compression === Compression.zstd) throw new UnsupportedCompressionError("zstd cannot be carried by a legacy message");
  const codec = codecFor(compression);
  const timestampType = magic === 1 && logAppendTime !== undefined ? 1 : 0;
  if (compression === Compression.none || messages.length === 0) {
    const attributes = withTimestampType(0, timestampType);
    return writeSet(
      messages.map((m) => ({ ...m, attributes, timestamp: logAppendTime ?? m.timestamp })),
      magic,
    );
  }
  const first = messages[0]!.offset;
  const inner = writeSet(
    messages.map((m) => ({ ...m, offset: magic === 0 ? m.offset : m.offset - first, attributes: 0 })),
    magic,
  );
  const value = codec.compress(inner);
  if (compression === Compression.lz4 && magic === 0) breakHeaderChecksum(value);
  let maxTimestamp = -1n;
  for (const m of messages) if (m.timestamp > maxTimestamp) maxTimestamp = m.timestamp;
  return writeSet(
    [
      {
        offset: messages[messages.length - 1]!.offset,
        attributes: withTimestampType(compression, timestampType),
        timestamp: logAppendTime ?? maxTimestamp,
        key: null,
        value,
      },
    ],
    magic,
  );
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A message set for Fetch v0-1 (magic 0) or v2-3 (magic 1) from stored magic-2 batches, with the real absolute
 * offsets. Control batches are dropped and so are headers, as Kafka does: legacy messages cannot carry them.
 * Each gzip, snappy or lz4 batch becomes one wrapper of the same codec, so the wire stays compressed; zstd has
 * no legacy codec id and is sent uncompressed (Kafka refuses such fetches instead). Records before
 * `fromOffset` are left out: some librdkafka versions rely on that for batches split into single messages.
 */
export function downconvertBatches(batches: Uint8Array[], magic: 0 | 1, options: { fromOffset?: bigint } = {}): Uint8Array {
  const fromOffset = options.fromOffset ?? 0n;
  const parts: Uint8Array[] = [];
  for (const bytes of batches) {
    // Stored batches had their CRC verified when they were produced.
    const batch = decodeRecordBatch(bytes, { verifyCrc: false });
    if (isControl(batch.attributes)) continue;
    const messages: LegacyMessageInput[] = [];
    for (const r of batch.records) {
      const offset = batch.baseOffset + BigInt(r.offsetDelta);
      if (offset < fromOffset) continue;
      messages.push({ offset, timestamp: batch.baseTimestamp + r.timestampDelta, key: r.key, value: r.value });
    }
    if (messages.length === 0) continue;
    const codec = compressionOf(batch.attributes);
    parts.push(
      encodeMessageSet(messages, {
        magic,
        compression: codec === Compression.zstd ? Compression.none : codec,
        logAppendTime: timestampTypeOf(batch.attributes) === 1 ? batch.maxTimestamp : undefined,
      }),
    );
  }
  return parts.length === 0 ? new Uint8Array(0) : concat(parts);
}
