// Zigzag base-128 varints as used inside magic-2 records (lengths, deltas, counts).
// Readers advance a shared cursor so a record can be walked without allocating per field.

import { MalformedMessageError, TruncatedMessageError } from "./errors.ts";

/** A read position inside a byte array; readers advance `offset` past what they consumed. */
export interface Cursor {
  offset: number;
}

function truncated(what: string, cursor: Cursor): TruncatedMessageError {
  return new TruncatedMessageError(`${what} runs past the end of its input at byte ${cursor.offset}`);
}

/**
 * Reads a zigzag varint of a signed 32-bit integer. Like Kafka's own reader, bits of the fifth byte beyond 32
 * are dropped and a sixth byte is malformed.
 */
export function readVarint(bytes: Uint8Array, cursor: Cursor, end = bytes.length): number {
  let pos = cursor.offset;
  let raw = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end) throw truncated("varint", cursor);
    const b = bytes[pos++]!;
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift > 28) throw new MalformedMessageError(`varint at byte ${cursor.offset} is longer than 5 bytes`);
  }
  cursor.offset = pos;
  return (raw >>> 1) ^ -(raw & 1);
}

/**
 * Reads a zigzag varint of a signed 64-bit integer (at most 10 bytes). Up to 7 bytes (49 bits, every realistic
 * timestamp delta) accumulate as plain numbers; only longer ones pay for BigInt arithmetic per byte.
 */
export function readVarlong(bytes: Uint8Array, cursor: Cursor, end = bytes.length): bigint {
  let pos = cursor.offset;
  let raw = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    if (pos >= end) throw truncated("varlong", cursor);
    const b = bytes[pos++]!;
    raw += (b & 0x7f) * scale;
    if (b < 0x80) {
      cursor.offset = pos;
      return BigInt(raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2);
    }
    scale *= 128;
  }
  let big = BigInt(raw);
  let shift = 49n;
  for (;;) {
    if (pos >= end) throw truncated("varlong", cursor);
    const b = bytes[pos++]!;
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7n;
    if (shift > 63n) throw new MalformedMessageError(`varlong at byte ${cursor.offset} is longer than 10 bytes`);
  }
  cursor.offset = pos;
  big = BigInt.asUintN(64, big);
  return (big >> 1n) ^ -(big & 1n);
}

/** Bytes a zigzag varint of the signed 32-bit `value` takes. */
export function varintSize(value: number): number {
  const raw = ((value << 1) ^ (value >> 31)) >>> 0;
  if (raw < 0x80) return 1;
  if (raw < 0x4000) return 2;
  if (raw < 0x200000) return 3;
  if (raw < 0x10000000) return 4;
  return 5;
}

/** Writes a zigzag varint of the signed 32-bit `value` at `offset`; returns the offset after it. */
export function writeVarint(bytes: Uint8Array, offset: number, value: number): number {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  while (raw >= 0x80) {
    bytes[offset++] = (raw & 0x7f) | 0x80;
    raw >>>= 7;
  }
  bytes[offset++] = raw;
  return offset;
}

function zigzag64(value: bigint): bigint {
  return BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
}

/** Bytes a zigzag varint of the signed 64-bit `value` takes. */
export function varlongSize(value: bigint): number {
  if (value >= -0x80000000n && value <= 0x7fffffffn) return varintSize(Number(value));
  let raw = zigzag64(value);
  let size = 1;
  while (raw >= 0x80n) {
    raw >>= 7n;
    size++;
  }
  return size;
}

/** Writes a zigzag varint of the signed 64-bit `value` at `offset`; returns the offset after it. */
export function writeVarlong(bytes: Uint8Array, offset: number, value: bigint): number {
  if (value >= -0x80000000n && value <= 0x7fffffffn) return writeVarint(bytes, offset, Number(value));
  let raw = zigzag64(value);
  while (raw >= 0x80n) {
    bytes[offset++] = Number(raw & 0x7fn) | 0x80;
    raw >>= 7n;
  }
  bytes[offset++] = Number(raw);
  return offset;
}
