// One legacy message (magic 0, Kafka 0.8; magic 1, Kafka 0.10, KIP-32) inside a message set, as Produce v0-2 and
// Fetch v0-3 carry them. A message set is a plain concatenation of entries:
//
//   offset int64 | messageSize int32 (bytes after this field) | crc uint32 (CRC-32/IEEE of magic to the end)
//   magic int8 | attributes int8 | [timestamp int64, magic 1 only] | key bytes | value bytes
//
// where bytes is an int32 length (-1 for null) and the data. Attributes bits 0-2 name the codec of a wrapper
// message whose value is a compressed message set; bit 3 (magic 1) marks LogAppendTime. Magic 2 kept both in
// the same bits, so record-batch.ts's compressionOf and timestampTypeOf read them here too.
//
// Reading never copies: keys and values are views into the input.

import { nodeZlib } from "./compression/node-zlib.ts";
import { CorruptRecordError, MalformedMessageError, TruncatedMessageError } from "./errors.ts";
import { LOG_OVERHEAD } from "./record-batch.ts";

const CRC_BYTES = 4;
/** crc, magic, attributes, the two length fields. */
const MAGIC_0_MIN_BYTES = 14;
/** Magic 0's minimum plus the timestamp. */
const MAGIC_1_MIN_BYTES = 22;

const TIMESTAMP_TYPE_BIT = 0x08;

export interface RawMessage {
  offset: bigint;
  magic: 0 | 1;
  attributes: number;
  /** As written; -1 for magic 0, which has no timestamp field. */
  timestamp: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

export function withTimestampType(attributes: number, timestampType: 0 | 1): number {
  return timestampType === 1 ? attributes | TIMESTAMP_TYPE_BIT : attributes & ~TIMESTAMP_TYPE_BIT;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readBytes(bytes: Uint8Array, view: DataView, at: number, end: number, what: string): { data: Uint8Array | null; next: number } {
  if (at + 4 > end) throw new TruncatedMessageError(`${what} length at byte ${at} runs past its message`);
  const length = view.getInt32(at);
  if (length === -1) return { data: null, next: at + 4 };
  if (length < 0) throw new MalformedMessageError(`${what} at byte ${at} declares a length of ${length}`);
  if (length > end - at - 4) throw new TruncatedMessageError(`${what} of ${length} bytes at byte ${at} runs past its message`);
  return { data: bytes.subarray(at + 4, at + 4 + length), next: at + 4 + length };
}

/** Parses the message whose entry spans `bytes[at, end)`, after checking its CRC. */
function readMessage(bytes: Uint8Array, view: DataView, at: number, end: number): RawMessage {
  const start = at + LOG_OVERHEAD;
  const expected = view.getUint32(start);
  const actual = nodeZlib().crc32(bytes.subarray(start + CRC_BYTES, end));
  if (actual !== expected) {
    throw new CorruptRecordError(`message at byte ${at} has CRC ${expected.toString(16)} but its contents hash to ${actual.toString(16)}`);
  }
  const magic = bytes[start + 4]!;
  if (magic !== 0 && magic !== 1) {
    throw new MalformedMessageError(`message at byte ${at} has magic ${magic}; message sets hold magic 0 and 1 only`);
  }
  if (magic === 1 && end - start < MAGIC_1_MIN_BYTES) {
    throw new MalformedMessageError(`magic 1 message at byte ${at} of ${end - start} bytes is below the minimum ${MAGIC_1_MIN_BYTES}`);
  }
  const attributes = bytes[start + 5]!;
  let p = start + 6;
  let timestamp = -1n;
  if (magic === 1) {
    timestamp = view.getBigInt64(p);
    p += 8;
  }
  const key = readBytes(bytes, view, p, end, "key");
  const value = readBytes(bytes, view, key.next, end, "value");
  if (value.next !== end) {
    throw new MalformedMessageError(`message at byte ${at} declares ${end - start} bytes but its fields take ${value.next - start}`);
  }
  return { offset: view.getBigInt64(at), magic, attributes, timestamp, key: key.data, value: value.data };
}

/**
 * Parses every message of one message set level (wrappers are returned as they are, not opened). A trailing
 * partial message (Fetch responses may end with one) is ignored when `allowPartialTail`, else
 * TruncatedMessageError.
 */
export function readMessages(bytes: Uint8Array, allowPartialTail: boolean): RawMessage[] {
  const view = viewOf(bytes);
  const messages: RawMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    const remaining = bytes.length - at;
    // A partial message is one whose declared size runs past the end; a wrong size is malformed even there.
    let end = Infinity;
    if (remaining >= LOG_OVERHEAD) {
      const size = view.getInt32(at + 8);
      if (size < MAGIC_0_MIN_BYTES) throw new MalformedMessageError(`message at byte ${at} declares a size of ${size}, below the minimum`);
      end = at + LOG_OVERHEAD + size;
    }
    if (end > bytes.length) {
      if (allowPartialTail) break;
      throw new TruncatedMessageError(`message at byte ${at} is cut off after ${remaining} bytes`);
    }
    messages.push(readMessage(bytes, view, at, end));
    at = end;
  }
  return messages;
}

export interface MessageToWrite {
  offset: bigint;
  attributes: number;
  /** Ignored for magic 0. */
  timestamp: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

/** Bytes one entry takes in a message set, offset and size fields included. */
export function entrySize(magic: 0 | 1, key: Uint8Array | null, value: Uint8Array | null): number {
  return LOG_OVERHEAD + (magic === 0 ? MAGIC_0_MIN_BYTES : MAGIC_1_MIN_BYTES) + (key?.length ?? 0) + (value?.length ?? 0);
}

function writeBytes(out: Uint8Array, view: DataView, o: number, data: Uint8Array | null): number {
  if (data === null) {
    view.setInt32(o, -1);
    return o + 4;
  }
  view.setInt32(o, data.length);
  out.set(data, o + 4);
  return o + 4 + data.length;
}

/** Writes one entry at `o` (room already sized with entrySize) and returns the offset after it. */
export function writeMessage(out: Uint8Array, view: DataView, o: number, magic: 0 | 1, message: MessageToWrite): number {
  const start = o + LOG_OVERHEAD;
  view.setBigInt64(o, message.offset);
  let p = start + CRC_BYTES;
  out[p++] = magic;
  out[p++] = message.attributes;
  if (magic === 1) {
    view.setBigInt64(p, message.timestamp);
    p += 8;
  }
  p = writeBytes(out, view, p, message.key);
  p = writeBytes(out, view, p, message.value);
  view.setInt32(o + 8, p - start);
  view.setUint32(start, nodeZlib().crc32(out.subarray(start + CRC_BYTES, p)));
  return p;
}
