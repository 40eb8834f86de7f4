// PostgreSQL's binary COPY format, both ways: produce writes record rows with
// COPY ... FROM STDIN (FORMAT binary) and fetch reads them with COPY (SELECT ...) TO STDOUT.
// Binary, because the text format would double every key and value as hex and make the
// server parse it. Layout: an 11-byte signature, int32 flags, int32 extension length; then per
// tuple an int16 field count and per field an int32 length (-1: NULL) and the bytes; then an
// int16 -1. Fields are in each type's binary send format (big-endian integers; bytea as is;
// jsonb as a version byte 1 and the JSON text).

import { MalformedMessageError } from "../../../protocol/errors.ts";

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const COPY_HEADER = new Uint8Array([...SIGNATURE, 0, 0, 0, 0, 0, 0, 0, 0]);
const COPY_TRAILER = new Uint8Array([0xff, 0xff]);
const JSONB_VERSION = 1;

/** Bytes a field takes in a tuple: its length word and its data. */
export const fieldSize = {
  int32: 4 + 4,
  int64: 4 + 8,
  bytes: (value: Uint8Array | null) => 4 + (value?.byteLength ?? 0),
  jsonb: (text: Uint8Array | null) => 4 + (text === null ? 0 : 1 + text.byteLength),
};

/** COPY data goes to the server in chunks of this size (a tuple larger than that in one of its own). */
const CHUNK_BYTES = 128 * 1024;
/** Chunks kept for reuse across COPYs: enough for a few MiB of rows in flight. */
const POOLED_CHUNKS = 32;
const pool: Uint8Array[] = [];

/**
 * Writes COPY data (signature, tuples, trailer) into chunks and hands each to `emit` once it is
 * full, so the server starts on the first rows while later ones are still being written. Chunks
 * come from a pool, and go back to it with recycle() once the caller knows `emit`'s consumer is
 * done with them; a writer that is not recycled leaves them to the garbage collector.
 */
export class CopyWriter {
  readonly #emit: (chunk: Uint8Array) => void;
  readonly #taken: Uint8Array[] = [];
  #bytes: Uint8Array;
  #view: DataView;
  #at: number;

  constructor(emit: (chunk: Uint8Array) => void) {
    this.#emit = emit;
    this.#bytes = this.#take(CHUNK_BYTES);
    this.#view = new DataView(this.#bytes.buffer);
    this.#bytes.set(COPY_HEADER);
    this.#at = COPY_HEADER.byteLength;
  }

  /** Starts a tuple of `fields` fields taking `size` bytes in all (its field count included). */
  tuple(fields: number, size: number): void {
    if (this.#at + size > this.#bytes.byteLength) {
      this.#flush();
      this.#bytes = this.#take(size);
      this.#view = new DataView(this.#bytes.buffer);
      this.#at = 0;
    }
    this.#view.setInt16(this.#at, fields);
    this.#at += 2;
  }

  int32(value: number): void {
    this.#view.setInt32(this.#at, 4);
    this.#view.setInt32(this.#at + 4, value);
    this.#at += 8;
  }

  int64(value: bigint): void {
    this.#view.setInt32(this.#at, 8);
    this.#view.setBigInt64(this.#at + 4, value);
    this.#at += 12;
  }

  bytesOrNull(value: Uint8Array | null): void {
    if (value === null) return this.null();
    this.#view.setInt32(this.#at, value.byteLength);
    this.#bytes.set(value, this.#at + 4);
    this.#at += 4 + value.byteLength;
  }

  /** `text` is UTF-8 JSON. */
  jsonbOrNull(text: Uint8Array | null): void {
    if (text === null) return this.null();
    this.#view.setInt32(this.#at, 1 + text.byteLength);
    this.#bytes[this.#at + 4] = JSONB_VERSION;
    this.#bytes.set(text, this.#at + 5);
    this.#at += 5 + text.byteLength;
  }

  null(): void {
    this.#view.setInt32(this.#at, -1);
    this.#at += 4;
  }

  /** Writes the trailer and hands over what is left. */
  end(): void {
    if (this.#at + COPY_TRAILER.byteLength > this.#bytes.byteLength) {
      this.#flush();
      this.#bytes = this.#take(COPY_TRAILER.byteLength);
      this.#at = 0;
    }
    this.#bytes.set(COPY_TRAILER, this.#at);
    this.#at += COPY_TRAILER.byteLength;
    this.#flush();
  }

  /** Returns the chunks to the pool: only once nothing reads the chunks handed to `emit` any more. */
  recycle(): void {
    for (const chunk of this.#taken.splice(0)) if (pool.length < POOLED_CHUNKS) pool.push(chunk);
  }

  #flush(): void {
    if (this.#at > 0) this.#emit(this.#bytes.subarray(0, this.#at));
  }

  #take(size: number): Uint8Array {
    if (size > CHUNK_BYTES) return new Uint8Array(size);
    const chunk = pool.pop() ?? new Uint8Array(CHUNK_BYTES);
    this.#taken.push(chunk);
    return chunk;
  }
}

/** One tuple being read: its fields in order, each a view into the COPY data or null. */
export class CopyTupleReader {
  readonly #data: Uint8Array;
  readonly #view: DataView;
  #at: number;
  #fieldsLeft = 0;

  constructor(data: Uint8Array) {
    if (data.byteLength < COPY_HEADER.byteLength || SIGNATURE.some((b, i) => data[i] !== b)) {
      throw new MalformedMessageError("COPY output does not start with the binary COPY signature");
    }
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.#at = COPY_HEADER.byteLength + this.#view.getInt32(SIGNATURE.length + 4);
  }

  /** Moves to the next tuple; false at the trailer. */
  next(): boolean {
    if (this.#fieldsLeft !== 0) throw new MalformedMessageError(`COPY tuple read with ${this.#fieldsLeft} fields left`);
    const fields = this.#view.getInt16(this.#at);
    this.#at += 2;
    if (fields < 0) return false;
    this.#fieldsLeft = fields;
    return true;
  }

  int64(): bigint {
    const field = this.#field(8);
    return this.#view.getBigInt64(field!);
  }

  bytesOrNull(): Uint8Array | null {
    const start = this.#field(null);
    return start === null ? null : this.#data.subarray(start, this.#at);
  }

  /** The JSON text of a jsonb field, without its version byte. */
  jsonbOrNull(): Uint8Array | null {
    const start = this.#field(null);
    if (start === null) return null;
    if (this.#data[start] !== JSONB_VERSION) throw new MalformedMessageError(`jsonb field of version ${this.#data[start]}`);
    return this.#data.subarray(start + 1, this.#at);
  }

  /** Start of the next field's data (null for NULL), checking its length when `size` is given. */
  #field(size: number | null): number | null {
    if (this.#fieldsLeft-- <= 0) throw new MalformedMessageError("COPY tuple has fewer fields than read");
    const length = this.#view.getInt32(this.#at);
    this.#at += 4;
    if (length < 0) {
      if (size !== null) throw new MalformedMessageError("NULL in a COPY field that cannot be NULL");
      return null;
    }
    if (size !== null && length !== size) throw new MalformedMessageError(`COPY field of ${length} bytes, expected ${size}`);
    const start = this.#at;
    this.#at += length;
    return start;
  }
}
