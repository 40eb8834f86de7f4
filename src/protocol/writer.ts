// Growable big-endian output buffer for Kafka messages. Length-prefixed regions whose size is only
// known afterwards (frame size, tagged field values) are reserved and patched in place.

import { MalformedMessageError } from "./errors.ts";

/** Created on first use, not at start-up (see reader.ts). */
let utf8Encoder: TextEncoder | undefined;

/** Largest byte length an int16-prefixed STRING can carry. */
const MAX_STRING_BYTES = 0x7fff;

/** Bytes an unsigned varint may take (32-bit values). */
const MAX_UNSIGNED_VARINT_BYTES = 5;

/** UTF-8 byte length of `s` without encoding it; lone surrogates count as the 3-byte U+FFFD they become. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // the pair is 2 UTF-16 units and 4 UTF-8 bytes
      i++;
    } else n += 2;
  }
  return n;
}

function hexNibble(c: number, uuid: string): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  throw new MalformedMessageError(`invalid uuid ${JSON.stringify(uuid)}`);
}

/** Below this, zero-filling costs nothing worth avoiding. */
const ZEROED_UP_TO = 4096;

/**
 * Uninitialised memory for large buffers: zero-filling dominates the cost of large frames (a fetch
 * response full of records) in Bun. Safe because only bytes below `offset` are ever exposed, and every
 * byte below it has been written (reserved slots are always patched before `finish`). Small ones are
 * plain arrays: Buffer's pool is first touched by a broker's first response otherwise, which costs its
 * start-up memory (docs/BENCHMARKS.md, Startup).
 */
function allocate(size: number): Uint8Array {
  if (size <= ZEROED_UP_TO) return new Uint8Array(size);
  const b = Buffer.allocUnsafe(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  offset = 0;

  constructor(initialCapacity = 256) {
    this.buf = allocate(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** The bytes written so far, as a view (no copy). Later writes may reallocate, so take it last. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.offset);
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    const next = allocate(Math.max(this.buf.length * 2, this.offset + n));
    next.set(this.buf.subarray(0, this.offset));
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  writeInt8(v: number): void {
    this.ensure(1);
    this.view.setInt8(this.offset++, v);
  }

  writeBool(v: boolean): void {
    this.ensure(1);
    this.buf[this.offset++] = v ? 1 : 0;
  }

  writeInt16(v: number): void {
    this.ensure(2);
    this.view.setInt16(this.offset, v);
    this.offset += 2;
  }

  writeUint16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.offset, v);
    this.offset += 2;
  }

  writeInt32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.offset, v);
    this.offset += 4;
  }

  writeUint32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.offset, v);
    this.offset += 4;
  }

  writeInt64(v: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.offset, v);
    this.offset += 8;
  }

  writeFloat64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.offset, v);
    this.offset += 8;
  }

  /** Unsigned LEB128 of a value in [0, 2^32). */
  writeUnsignedVarint(v: number): void {
    this.ensure(MAX_UNSIGNED_VARINT_BYTES);
    const b = this.buf;
    // `>>> 7` keeps the arithmetic in integers for the whole unsigned 32-bit range.
    while (v > 0x7f) {
      b[this.offset++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.offset++] = v;
  }

  /** Canonical 8-4-4-4-12 hex uuid (either case) as 16 raw bytes. */
  writeUuid(uuid: string): void {
    if (uuid.length !== 36 || uuid[8] !== "-" || uuid[13] !== "-" || uuid[18] !== "-" || uuid[23] !== "-") {
      throw new MalformedMessageError(`invalid uuid ${JSON.stringify(uuid)}`);
    }
    this.ensure(16);
    let i = 0;
    while (i < 36) {
      if (i === 8 || i === 13 || i === 18 || i === 23) i++;
      this.buf[this.offset++] = (hexNibble(uuid.charCodeAt(i), uuid) << 4) | hexNibble(uuid.charCodeAt(i + 1), uuid);
      i += 2;
    }
  }

  /** Writes the UTF-8 of `s`, whose byte length the caller has already computed. */
  private writeUtf8(s: string, byteLength: number): void {
    this.ensure(byteLength);
    if (byteLength === s.length) {
      const b = this.buf;
      let o = this.offset;
      for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
      this.offset = o;
    } else {
      (utf8Encoder ??= new TextEncoder()).encodeInto(s, this.buf.subarray(this.offset, this.offset + byteLength));
      this.offset += byteLength;
    }
  }

  writeString(s: string): void {
    const n = utf8Length(s);
    if (n > MAX_STRING_BYTES) {
      throw new MalformedMessageError(`string of ${n} bytes exceeds the int16 length limit of ${MAX_STRING_BYTES}`);
    }
    this.writeInt16(n);
    this.writeUtf8(s, n);
  }

  writeNullableString(s: string | null): void {
    if (s === null) this.writeInt16(-1);
    else this.writeString(s);
  }

  writeCompactString(s: string): void {
    const n = utf8Length(s);
    this.writeUnsignedVarint(n + 1);
    this.writeUtf8(s, n);
  }

  writeCompactNullableString(s: string | null): void {
    if (s === null) this.writeUnsignedVarint(0);
    else this.writeCompactString(s);
  }

  /** Raw bytes with no length prefix. */
  writeRawBytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
  }

  writeBytes(b: Uint8Array): void {
    this.writeInt32(b.length);
    this.writeRawBytes(b);
  }

  writeNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.writeInt32(-1);
    else this.writeBytes(b);
  }

  writeCompactBytes(b: Uint8Array): void {
    this.writeUnsignedVarint(b.length + 1);
    this.writeRawBytes(b);
  }

  writeCompactNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.writeUnsignedVarint(0);
    else this.writeCompactBytes(b);
  }

  /** ARRAY length; -1 writes null. */
  writeArrayLength(n: number): void {
    this.writeInt32(n);
  }

  /** COMPACT_ARRAY length; -1 writes null. */
  writeCompactArrayLength(n: number): void {
    this.writeUnsignedVarint(n + 1);
  }

  /** ARRAY of elements; null writes the null marker. */
  writeArray<T>(items: readonly T[] | null, writeElement: (w: Writer, e: T) => void): void {
    if (items === null) return this.writeArrayLength(-1);
    this.writeArrayLength(items.length);
    for (const e of items) writeElement(this, e);
  }

  /** COMPACT_ARRAY of elements; null writes the null marker. */
  writeCompactArray<T>(items: readonly T[] | null, writeElement: (w: Writer, e: T) => void): void {
    if (items === null) return this.writeCompactArrayLength(-1);
    this.writeCompactArrayLength(items.length);
    for (const e of items) writeElement(this, e);
  }

  /** Reserves 4 bytes (e.g. a frame size) and returns their position for {@link patchSizePrefix}. */
  reserveInt32(): number {
    return this.reserve(4);
  }

  /**
   * Reserves `n` bytes and returns their position. The caller fills them through {@link dataView} before its
   * next write, which may reallocate: the generated codecs write arrays of fixed-width structs so, in one loop.
   */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  /** The buffer's view, valid until the next write. */
  get dataView(): DataView {
    return this.view;
  }

  /** Fills a {@link reserveInt32} slot with the number of bytes written after it. */
  patchSizePrefix(at: number): void {
    this.view.setInt32(at, this.offset - at - 4);
  }

  /**
   * Starts a region prefixed by its unsigned-varint byte size (a tagged field's value). Room for the
   * longest varint is reserved; {@link endSizedRegion} writes the real size and closes the gap.
   */
  beginSizedRegion(): number {
    this.ensure(MAX_UNSIGNED_VARINT_BYTES);
    const at = this.offset;
    this.offset += MAX_UNSIGNED_VARINT_BYTES;
    return at;
  }

  endSizedRegion(at: number): void {
    const dataStart = at + MAX_UNSIGNED_VARINT_BYTES;
    const size = this.offset - dataStart;
    this.offset = at;
    this.writeUnsignedVarint(size);
    if (this.offset !== dataStart) this.buf.copyWithin(this.offset, dataStart, dataStart + size);
    this.offset += size;
  }
}
