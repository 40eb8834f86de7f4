// Snappy (codec 2). We compress to raw Snappy like librdkafka; we decompress raw Snappy and also the xerial
// framing the Java client's snappy-java stream writes: a 16-byte header ("\x82SNAPPY\0", version, compatible
// version) followed by blocks of [int32 big-endian length][raw Snappy].

import { CorruptRecordError } from "../errors.ts";
import { outputLimitExceeded } from "./output-limit.ts";

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_HEADER_BYTES = 16;

// Snappy compresses independent 64 KiB blocks, so offsets always fit 16 bits and a Uint16Array hash table
// of positions relative to the block start suffices.
const BLOCK_BYTES = 65536;
const MAX_HASH_BITS = 14;
// Below this many bytes left in a block there is no room for a 4-byte match probe; emit the rest as literals.
const INPUT_MARGIN = 15;

const table = new Uint16Array(1 << MAX_HASH_BITS);

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

function corrupt(detail: string): CorruptRecordError {
  return new CorruptRecordError(`invalid snappy data: ${detail}`);
}

/** Worst-case compressed size of `n` input bytes (every byte a literal, plus tags and the preamble). */
function maxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

function emitLiteral(out: Uint8Array, o: number, src: Uint8Array, start: number, length: number): number {
  const n = length - 1;
  if (n < 60) {
    out[o++] = n << 2;
  } else if (n < 0x100) {
    out[o++] = 60 << 2;
    out[o++] = n;
  } else if (n < 0x10000) {
    out[o++] = 61 << 2;
    out[o++] = n;
    out[o++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[o++] = 62 << 2;
    out[o++] = n;
    out[o++] = n >>> 8;
    out[o++] = n >>> 16;
  } else {
    out[o++] = 63 << 2;
    out[o++] = n;
    out[o++] = n >>> 8;
    out[o++] = n >>> 16;
    out[o++] = n >>> 24;
  }
  if (length < 16) {
    for (let i = 0; i < length; i++) out[o + i] = src[start + i]!;
  } else {
    out.set(src.subarray(start, start + length), o);
  }
  return o + length;
}

function emitCopy2(out: Uint8Array, o: number, offset: number, length: number): number {
  out[o] = ((length - 1) << 2) | 2;
  out[o + 1] = offset;
  out[o + 2] = offset >>> 8;
  return o + 3;
}

function emitCopy(out: Uint8Array, o: number, offset: number, length: number): number {
  // Copies carry at most 64 bytes; the 60-byte step keeps the final piece at 4 bytes or more.
  while (length >= 68) {
    o = emitCopy2(out, o, offset, 64);
    length -= 64;
  }
  if (length > 64) {
    o = emitCopy2(out, o, offset, 60);
    length -= 60;
  }
  if (length < 12 && offset < 2048) {
    out[o++] = ((offset >>> 8) << 5) | ((length - 4) << 2) | 1;
    out[o++] = offset;
    return o;
  }
  return emitCopy2(out, o, offset, length);
}

/** Compresses `src[start, end)` (at most 64 KiB) into `out` at `o`; returns the offset after the output. */
function compressBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, o: number): number {
  const length = end - start;
  if (length < INPUT_MARGIN) return length > 0 ? emitLiteral(out, o, src, start, length) : o;
  let hashBits = 8;
  while (hashBits < MAX_HASH_BITS && 1 << hashBits < length) hashBits++;
  const shift = 32 - hashBits;
  table.fill(0, 0, 1 << hashBits);

  const ipLimit = end - INPUT_MARGIN;
  let nextEmit = start;
  let ip = start + 1;
  let nextHash = Math.imul(load32(src, ip), 0x1e35a7bd) >>> shift;
  for (;;) {
    // Probe for a 4-byte match, stepping further the longer nothing matches (incompressible input stays fast).
    let skip = 32;
    let nextIp = ip;
    let candidate: number;
    do {
      ip = nextIp;
      const hash = nextHash;
      nextIp = ip + (skip++ >>> 5);
      if (nextIp > ipLimit) return nextEmit < end ? emitLiteral(out, o, src, nextEmit, end - nextEmit) : o;
      nextHash = Math.imul(load32(src, nextIp), 0x1e35a7bd) >>> shift;
      candidate = start + table[hash]!;
      table[hash] = ip - start;
    } while (load32(src, ip) !== load32(src, candidate));

    o = emitLiteral(out, o, src, nextEmit, ip - nextEmit);
    // Emit back-to-back copies while the position right after a copy matches again.
    do {
      const base = ip;
      let matched = 4;
      while (ip + matched < end && src[ip + matched] === src[candidate + matched]) matched++;
      ip += matched;
      o = emitCopy(out, o, base - candidate, matched);
      nextEmit = ip;
      if (ip >= ipLimit) return nextEmit < end ? emitLiteral(out, o, src, nextEmit, end - nextEmit) : o;
      table[Math.imul(load32(src, ip - 1), 0x1e35a7bd) >>> shift] = ip - 1 - start;
      const hash = Math.imul(load32(src, ip), 0x1e35a7bd) >>> shift;
      candidate = start + table[hash]!;
      table[hash] = ip - start;
    } while (load32(src, ip) === load32(src, candidate));
    ip++;
    nextHash = Math.imul(load32(src, ip), 0x1e35a7bd) >>> shift;
  }
}

/** Compresses to raw Snappy (no framing), as librdkafka does. */
export function snappyCompress(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(maxCompressedLength(src.length));
  let o = 0;
  let n = src.length;
  while (n >= 0x80) {
    out[o++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[o++] = n;
  for (let start = 0; start < src.length; start += BLOCK_BYTES) {
    o = compressBlock(src, start, Math.min(start + BLOCK_BYTES, src.length), out, o);
  }
  return out.subarray(0, o);
}

/** Reads the uncompressed-length preamble of the raw Snappy block at `src[start..]`. */
function readPreamble(src: Uint8Array, start: number, end: number): { length: number; next: number } {
  let length = 0;
  let pos = start;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) throw corrupt("truncated length preamble");
    const b = src[pos++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      if (length > 0xffffffff) throw corrupt("length preamble exceeds 32 bits");
      return { length, next: pos };
    }
  }
  throw corrupt("length preamble longer than 5 bytes");
}

/** Decodes the Snappy elements in `src[s, end)` into exactly `dst[d, dEnd)`. */
function decompressElements(src: Uint8Array, s: number, end: number, dst: Uint8Array, d: number, dEnd: number): void {
  const dStart = d;
  while (s < end) {
    const tag = src[s++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let length = tag >>> 2;
      if (length >= 60) {
        const extra = length - 59;
        if (s + extra > end) throw corrupt("truncated literal length");
        length = 0;
        for (let i = 0; i < extra; i++) length += src[s + i]! * 2 ** (8 * i);
        s += extra;
      }
      length += 1;
      if (length > end - s) throw corrupt("literal runs past the input");
      if (length > dEnd - d) throw corrupt("literal runs past the declared length");
      if (length < 16) {
        for (let i = 0; i < length; i++) dst[d + i] = src[s + i]!;
      } else {
        dst.set(src.subarray(s, s + length), d);
      }
      s += length;
      d += length;
      continue;
    }
    let length: number;
    let offset: number;
    if (kind === 1) {
      if (s >= end) throw corrupt("truncated copy");
      length = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[s++]!;
    } else if (kind === 2) {
      if (s + 2 > end) throw corrupt("truncated copy");
      length = 1 + (tag >>> 2);
      offset = src[s]! | (src[s + 1]! << 8);
      s += 2;
    } else {
      if (s + 4 > end) throw corrupt("truncated copy");
      length = 1 + (tag >>> 2);
      offset = (src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16) | (src[s + 3]! << 24)) >>> 0;
      s += 4;
    }
    if (offset === 0 || offset > d - dStart) throw corrupt(`copy offset ${offset} is outside the output`);
    if (length > dEnd - d) throw corrupt("copy runs past the declared length");
    if (offset >= length && length >= 16) {
      dst.copyWithin(d, d - offset, d - offset + length);
      d += length;
    } else {
      // Overlapping copies repeat the last `offset` bytes, so they must go byte by byte.
      for (let i = 0; i < length; i++, d++) dst[d] = dst[d - offset]!;
    }
  }
  if (d !== dEnd) throw corrupt(`decoded ${d - dStart} bytes, the preamble declared ${dEnd - dStart}`);
}

function isXerial(src: Uint8Array): boolean {
  if (src.length < XERIAL_HEADER_BYTES) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (src[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

function decompressXerial(src: Uint8Array, maxBytes: number): Uint8Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  // First pass reads each block's preamble so the output is allocated once, at its exact size.
  const blocks: Array<{ start: number; end: number; length: number }> = [];
  let total = 0;
  for (let pos = XERIAL_HEADER_BYTES; pos < src.length; ) {
    if (pos + 4 > src.length) throw corrupt("truncated xerial block length");
    const size = view.getInt32(pos);
    const end = pos + 4 + size;
    if (size <= 0 || end > src.length) throw corrupt(`xerial block of ${size} bytes does not fit the input`);
    const preamble = readPreamble(src, pos + 4, end);
    total += preamble.length;
    if (total > maxBytes) throw outputLimitExceeded("snappy", maxBytes);
    blocks.push({ start: preamble.next, end, length: preamble.length });
    pos = end;
  }
  const out = new Uint8Array(total);
  let d = 0;
  for (const block of blocks) {
    decompressElements(src, block.start, block.end, out, d, d + block.length);
    d += block.length;
  }
  return out;
}

/** Decompresses raw or xerial-framed Snappy; the declared length is checked against `maxBytes` before allocating. */
export function snappyDecompress(src: Uint8Array, maxBytes: number): Uint8Array {
  if (isXerial(src)) return decompressXerial(src, maxBytes);
  const { length, next } = readPreamble(src, 0, src.length);
  if (length > maxBytes) throw outputLimitExceeded("snappy", maxBytes);
  const out = new Uint8Array(length);
  decompressElements(src, next, src.length, out, 0, length);
  return out;
}
