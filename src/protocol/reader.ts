// Bounds-checked cursor over a Kafka message. Every length read from the wire is checked against the
// bytes actually present BEFORE anything is allocated, so a hostile length can never make us allocate
// more than the frame we already hold. Byte fields come back as subarray views of the input (no copy).

import { MalformedMessageError, TruncatedMessageError } from "./errors.ts";

/** Shared empty byte array: the natural default of bytes fields (zero-length, so safe to share). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** The all-zero uuid, Kafka's default (and "no topic id") value. */
export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

// Built on first use, not when the module loads: a broker's start-up evaluates this module,
// and building them there costs its first request measurable memory (scripts/bench/startup.ts).
let hexTable: string[] | undefined;
let utf8Decoder: TextDecoder | undefined;

// Below this size a plain char-code loop beats the TextDecoder call overhead for ASCII strings,
// which is what topic names, client ids and group ids almost always are.
const ASCII_FAST_PATH_MAX = 64;

export class Reader {
  readonly bytes: Uint8Array;
  offset: number;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, offset = 0) {
    if (offset < 0 || offset > bytes.length) {
      throw new TruncatedMessageError(`reader offset ${offset} outside a ${bytes.length}-byte input`);
    }
    this.bytes = bytes;
    this.offset = offset;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Throws unless `n` more bytes are available. */
  private need(n: number): void {
    if (n > this.bytes.length - this.offset) {
      throw new TruncatedMessageError(
        `needed ${n} bytes at offset ${this.offset} but only ${this.bytes.length - this.offset} remain`,
      );
    }
  }

  /** End offset of a `size`-byte region starting here, after checking the region is present. */
  endOf(size: number): number {
    this.need(size);
    return this.offset + size;
  }

  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  readInt8(): number {
    this.need(1);
    return this.view.getInt8(this.offset++);
  }

  readBool(): boolean {
    this.need(1);
    // Kafka treats any non-zero byte as true.
    return this.bytes[this.offset++] !== 0;
  }

  readInt16(): number {
    this.need(2);
    const v = this.view.getInt16(this.offset);
    this.offset += 2;
    return v;
  }

  readUint16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  readInt32(): number {
    this.need(4);
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }

  readUint32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  readInt64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.offset);
    this.offset += 8;
    return v;
  }

  readFloat64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.offset);
    this.offset += 8;
    return v;
  }

  /** Unsigned LEB128 of at most 5 bytes (32 bits), as used for compact lengths and tags. */
  readUnsignedVarint(): number {
    // Integer-only arithmetic: a double-typed result flowing into `offset` deoptimises every reader.
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      this.need(1);
      const b = this.bytes[this.offset++];
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    this.need(1);
    const b = this.bytes[this.offset++];
    if (b > 0x0f) {
      throw new MalformedMessageError(`unsigned varint longer than 32 bits before offset ${this.offset}`);
    }
    return (result | (b << 28)) >>> 0;
  }

  readUuid(): string {
    this.need(16);
    const b = this.bytes;
    const o = this.offset;
    this.offset += 16;
    const HEX = (hexTable ??= Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0")));
    return (
      HEX[b[o]] + HEX[b[o + 1]] + HEX[b[o + 2]] + HEX[b[o + 3]] + "-" +
      HEX[b[o + 4]] + HEX[b[o + 5]] + "-" +
      HEX[b[o + 6]] + HEX[b[o + 7]] + "-" +
      HEX[b[o + 8]] + HEX[b[o + 9]] + "-" +
      HEX[b[o + 10]] + HEX[b[o + 11]] + HEX[b[o + 12]] + HEX[b[o + 13]] + HEX[b[o + 14]] + HEX[b[o + 15]]
    );
  }

  /** Decodes `length` bytes of UTF-8 at the cursor (length already validated by the caller's prefix). */
  private utf8(length: number): string {
    this.need(length);
    const start = this.offset;
    this.offset += length;
    const b = this.bytes;
    if (length <= ASCII_FAST_PATH_MAX) {
      let s = "";
      for (let i = start; i < start + length; i++) {
        const c = b[i];
        if (c >= 0x80) return this.decodeUtf8(start, length);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.decodeUtf8(start, length);
  }

  private decodeUtf8(start: number, length: number): string {
    try {
      utf8Decoder ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      return utf8Decoder.decode(this.bytes.subarray(start, start + length));
    } catch (cause) {
      throw new MalformedMessageError(`invalid UTF-8 in ${length}-byte string at offset ${start}`, { cause });
    }
  }

  /** STRING: int16 length, then UTF-8. Null (-1) is malformed here. */
  readString(): string {
    const s = this.readNullableString();
    if (s === null) throw new MalformedMessageError(`null in a non-nullable string at offset ${this.offset - 2}`);
    return s;
  }

  /** NULLABLE_STRING: int16 length (-1 = null), then UTF-8. */
  readNullableString(): string | null {
    const length = this.readInt16();
    if (length === -1) return null;
    if (length < 0) throw new MalformedMessageError(`negative string length ${length} at offset ${this.offset - 2}`);
    return this.utf8(length);
  }

  /** COMPACT_STRING: unsigned varint length+1, then UTF-8. Null (0) is malformed here. */
  readCompactString(): string {
    const s = this.readCompactNullableString();
    if (s === null) throw new MalformedMessageError(`null in a non-nullable compact string before offset ${this.offset}`);
    return s;
  }

  /** COMPACT_NULLABLE_STRING: unsigned varint length+1 (0 = null), then UTF-8. */
  readCompactNullableString(): string | null {
    const n = this.readUnsignedVarint();
    if (n === 0) return null;
    return this.utf8(n - 1);
  }

  /** Exactly `length` raw bytes as a view into the input. */
  readRawBytes(length: number): Uint8Array {
    this.need(length);
    const start = this.offset;
    this.offset += length;
    return this.bytes.subarray(start, start + length);
  }

  /** BYTES: int32 length, then raw bytes. Null (-1) is malformed here. */
  readBytes(): Uint8Array {
    const b = this.readNullableBytes();
    if (b === null) throw new MalformedMessageError(`null in non-nullable bytes at offset ${this.offset - 4}`);
    return b;
  }

  /** NULLABLE_BYTES (and RECORDS): int32 length (-1 = null), then raw bytes. */
  readNullableBytes(): Uint8Array | null {
    const length = this.readInt32();
    if (length === -1) return null;
    if (length < 0) throw new MalformedMessageError(`negative bytes length ${length} at offset ${this.offset - 4}`);
    return this.readRawBytes(length);
  }

  /** COMPACT_BYTES: unsigned varint length+1, then raw bytes. Null (0) is malformed here. */
  readCompactBytes(): Uint8Array {
    const b = this.readCompactNullableBytes();
    if (b === null) throw new MalformedMessageError(`null in non-nullable compact bytes before offset ${this.offset}`);
    return b;
  }

  /** COMPACT_NULLABLE_BYTES (and COMPACT_RECORDS): unsigned varint length+1 (0 = null). */
  readCompactNullableBytes(): Uint8Array | null {
    const n = this.readUnsignedVarint();
    if (n === 0) return null;
    return this.readRawBytes(n - 1);
  }

  /**
   * ARRAY length: int32, -1 for null (returned as -1). Every element takes at least one byte on the
   * wire, so a count above the remaining bytes is rejected before the caller loops or allocates.
   */
  readArrayLength(): number {
    const n = this.readInt32();
    if (n === -1) return -1;
    if (n < 0) throw new MalformedMessageError(`negative array length ${n} at offset ${this.offset - 4}`);
    this.checkCount(n);
    return n;
  }

  /** COMPACT_ARRAY length: unsigned varint N+1, 0 for null (returned as -1). Same bound as above. */
  readCompactArrayLength(): number {
    const n = this.readUnsignedVarint();
    if (n === 0) return -1;
    this.checkCount(n - 1);
    return n - 1;
  }

  private checkCount(n: number): void {
    if (n > this.bytes.length - this.offset) {
      throw new TruncatedMessageError(
        `array of ${n} elements at offset ${this.offset} cannot fit in the ${this.bytes.length - this.offset} bytes left`,
      );
    }
  }

  /** ARRAY of elements; null is malformed here. */
  readArray<T>(readElement: (r: Reader) => T): T[] {
    const a = this.readNullableArray(readElement);
    if (a === null) throw new MalformedMessageError(`null in a non-nullable array before offset ${this.offset}`);
    return a;
  }

  readNullableArray<T>(readElement: (r: Reader) => T): T[] | null {
    return this.readElements(this.readArrayLength(), readElement);
  }

  /** COMPACT_ARRAY of elements; null is malformed here. */
  readCompactArray<T>(readElement: (r: Reader) => T): T[] {
    const a = this.readCompactNullableArray(readElement);
    if (a === null) throw new MalformedMessageError(`null in a non-nullable compact array before offset ${this.offset}`);
    return a;
  }

  readCompactNullableArray<T>(readElement: (r: Reader) => T): T[] | null {
    return this.readElements(this.readCompactArrayLength(), readElement);
  }

  private readElements<T>(n: number, readElement: (r: Reader) => T): T[] | null {
    if (n < 0) return null;
    const a: T[] = [];
    for (let i = 0; i < n; i++) a.push(readElement(this));
    return a;
  }

  /** Skips a tagged-field section whose tags the caller does not know. */
  skipTaggedFields(): void {
    const count = this.readUnsignedVarint();
    for (let i = 0; i < count; i++) {
      this.readUnsignedVarint(); // tag
      this.skip(this.readUnsignedVarint());
    }
  }
}
