// LZ4 (codec 3) in the LZ4 frame format, which magic-2 batches use. We write frames the way Kafka's Java client
// does (64 KiB independent blocks, no checksums but the mandatory header one, no content size) and read any
// valid frame: linked or independent blocks, block and content checksums, content size, dictionary id field.

import { CorruptRecordError } from "../errors.ts";
import { outputLimitExceeded } from "./output-limit.ts";
import { xxhash32 } from "./xxhash32.ts";

const MAGIC = 0x184d2204;
const BLOCK_BYTES = 65536;
const BLOCK_MAX_SIZE_ID_64K = 4;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const UNCOMPRESSED_BLOCK = 0x80000000;

// Block-format rules: a match needs 4 bytes, the last 5 bytes of a block are always literals and the last
// match starts at least 12 bytes before the end.
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MATCH_FIND_LIMIT = 12;
const HASH_BITS = 14;

const table = new Uint16Array(1 << HASH_BITS);

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

function hash(sequence: number): number {
  return Math.imul(sequence, 0x9e3779b1) >>> (32 - HASH_BITS);
}

function corrupt(detail: string): CorruptRecordError {
  return new CorruptRecordError(`invalid lz4 data: ${detail}`);
}

/** Where the frame descriptor (FLG, BD, optional fields) starts: after the 4-byte magic. */
export const DESCRIPTOR_START = 4;

/** The header checksum byte (HC): the second byte of the xxHash32 of `frame[start, end)`, the descriptor by the standard. */
export function headerChecksum(frame: Uint8Array, start: number, end: number): number {
  return (xxhash32(frame, 0, start, end) >>> 8) & 0xff;
}

/** Position of the header checksum byte of the LZ4 frame `frame`. */
export function headerChecksumAt(frame: Uint8Array): number {
  if (frame.length < 7 || new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true) !== MAGIC) {
    throw corrupt("bad frame magic");
  }
  const flags = frame[DESCRIPTOR_START]!;
  const at = DESCRIPTOR_START + 2 + (flags & FLG_CONTENT_SIZE ? 8 : 0) + (flags & FLG_DICT_ID ? 4 : 0);
  if (at >= frame.length) throw corrupt("truncated frame header");
  return at;
}

function writeLength(out: Uint8Array, o: number, rest: number): number {
  while (rest >= 255) {
    out[o++] = 255;
    rest -= 255;
  }
  out[o++] = rest;
  return o;
}

function writeSequence(
  out: Uint8Array,
  o: number,
  src: Uint8Array,
  literalStart: number,
  literalLength: number,
  offset: number,
  matchLength: number,
): number {
  const token = o++;
  const ml = matchLength - MIN_MATCH;
  out[token] = ((literalLength < 15 ? literalLength : 15) << 4) | (ml < 15 ? ml : 15);
  if (literalLength >= 15) o = writeLength(out, o, literalLength - 15);
  if (literalLength < 16) {
    for (let i = 0; i < literalLength; i++) out[o + i] = src[literalStart + i]!;
  } else {
    out.set(src.subarray(literalStart, literalStart + literalLength), o);
  }
  o += literalLength;
  out[o++] = offset;
  out[o++] = offset >>> 8;
  if (ml >= 15) o = writeLength(out, o, ml - 15);
  return o;
}

function writeLastLiterals(out: Uint8Array, o: number, src: Uint8Array, start: number, length: number): number {
  out[o++] = (length < 15 ? length : 15) << 4;
  if (length >= 15) o = writeLength(out, o, length - 15);
  out.set(src.subarray(start, start + length), o);
  return o + length;
}

/** Compresses `src[start, end)` (at most 64 KiB) as one LZ4 block into `out` at `o`; returns the offset after it. */
function compressBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, o: number): number {
  const matchLimit = end - LAST_LITERALS;
  const ipLimit = end - MATCH_FIND_LIMIT;
  let anchor = start;
  if (end - start >= MATCH_FIND_LIMIT + 1) {
    table.fill(0);
    let ip = start + 1;
    while (ip < ipLimit) {
      // Probe for a 4-byte match, stepping further the longer nothing matches.
      let step = 1;
      let searches = 1 << 6;
      let candidate = 0;
      let found = false;
      while (ip < ipLimit) {
        const sequence = load32(src, ip);
        const h = hash(sequence);
        candidate = start + table[h]!;
        table[h] = ip - start;
        if (candidate < ip && load32(src, candidate) === sequence) {
          found = true;
          break;
        }
        ip += step;
        step = searches++ >>> 6;
      }
      if (!found) break;
      // Extend backwards over literals that also match.
      while (ip > anchor && candidate > start && src[ip - 1] === src[candidate - 1]) {
        ip--;
        candidate--;
      }
      let length = MIN_MATCH;
      while (ip + length < matchLimit && src[ip + length] === src[candidate + length]) length++;
      o = writeSequence(out, o, src, anchor, ip - anchor, ip - candidate, length);
      ip += length;
      anchor = ip;
      if (ip < ipLimit) table[hash(load32(src, ip - 2))] = ip - 2 - start;
    }
  }
  return writeLastLiterals(out, o, src, anchor, end - anchor);
}

/** Compresses into one LZ4 frame with Kafka's settings. */
export function lz4Compress(src: Uint8Array): Uint8Array {
  const blocks = Math.ceil(src.length / BLOCK_BYTES);
  // A block never grows past its raw size plus 4 (it is stored uncompressed instead), but the compressor
  // writes into the output before that is known, so room is left for the LZ4 worst case.
  const out = new Uint8Array(7 + blocks * 4 + src.length + Math.ceil(src.length / 255) + blocks * 16 + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  out[4] = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENT;
  out[5] = BLOCK_MAX_SIZE_ID_64K << 4;
  out[6] = headerChecksum(out, DESCRIPTOR_START, 6);
  let o = 7;
  for (let start = 0; start < src.length; start += BLOCK_BYTES) {
    const end = Math.min(start + BLOCK_BYTES, src.length);
    const written = compressBlock(src, start, end, out, o + 4) - (o + 4);
    if (written < end - start) {
      view.setUint32(o, written, true);
      o += 4 + written;
    } else {
      view.setUint32(o, (end - start) | UNCOMPRESSED_BLOCK, true);
      out.set(src.subarray(start, end), o + 4);
      o += 4 + end - start;
    }
  }
  view.setUint32(o, 0, true);
  return out.subarray(0, o + 4);
}

function readLength(src: Uint8Array, s: number, end: number): { length: number; next: number } {
  let length = 0;
  let b: number;
  do {
    if (s >= end) throw corrupt("truncated length");
    b = src[s++]!;
    length += b;
  } while (b === 255);
  return { length, next: s };
}

/**
 * Decodes the LZ4 block `src[s, end)` into `dst` at `d`, writing at most up to `dLimit`. Matches may reach back
 * to `historyStart` (the block start for independent blocks, the frame output start for linked ones).
 * Returns the output offset after the block, or -1 when the block needs room past `dLimit`.
 */
function decompressBlock(
  src: Uint8Array,
  s: number,
  end: number,
  dst: Uint8Array,
  d: number,
  dLimit: number,
  historyStart: number,
): number {
  for (;;) {
    if (s >= end) throw corrupt("truncated sequence");
    const token = src[s++]!;
    let literalLength = token >>> 4;
    if (literalLength === 15) {
      const extra = readLength(src, s, end);
      literalLength += extra.length;
      s = extra.next;
    }
    if (literalLength > end - s) throw corrupt("literals run past the block");
    if (literalLength > dLimit - d) return -1;
    if (literalLength < 16) {
      for (let i = 0; i < literalLength; i++) dst[d + i] = src[s + i]!;
    } else {
      dst.set(src.subarray(s, s + literalLength), d);
    }
    s += literalLength;
    d += literalLength;
    // The last sequence of a block is literals only.
    if (s === end) return d;
    if (s + 2 > end) throw corrupt("truncated match offset");
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d - historyStart) throw corrupt(`match offset ${offset} is outside the output`);
    let matchLength = (token & 15) + MIN_MATCH;
    if (matchLength === 15 + MIN_MATCH) {
      const extra = readLength(src, s, end);
      matchLength += extra.length;
      s = extra.next;
    }
    if (matchLength > dLimit - d) return -1;
    if (offset >= matchLength && matchLength >= 16) {
      dst.copyWithin(d, d - offset, d - offset + matchLength);
      d += matchLength;
    } else {
      // Overlapping matches repeat the last `offset` bytes, so they must go byte by byte.
      for (let i = 0; i < matchLength; i++, d++) dst[d] = dst[d - offset]!;
    }
  }
}

interface FrameLayout {
  flags: number;
  blockMax: number;
  contentSize: number | null;
  blocks: Array<{ start: number; end: number; compressed: boolean }>;
  /** Upper bound of the decompressed size, from block sizes alone. */
  bound: number;
}

function readFrameLayout(src: Uint8Array): FrameLayout {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (src.length < 7) throw corrupt("truncated frame header");
  if (view.getUint32(0, true) !== MAGIC) throw corrupt("bad frame magic");
  const flags = src[4]!;
  if ((flags & 0xc0) !== FLG_VERSION_01) throw corrupt(`unsupported frame version ${flags >>> 6}`);
  const blockSizeId = (src[5]! >>> 4) & 7;
  if (blockSizeId < 4) throw corrupt(`invalid block maximum size id ${blockSizeId}`);
  const blockMax = 1 << (8 + 2 * blockSizeId);
  let pos = 6;
  let contentSize: number | null = null;
  if (flags & FLG_CONTENT_SIZE) {
    if (src.length < pos + 8) throw corrupt("truncated frame header");
    const size = view.getBigUint64(pos, true);
    contentSize = size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(size);
    pos += 8;
  }
  if (flags & FLG_DICT_ID) pos += 4;
  if (src.length < pos + 1) throw corrupt("truncated frame header");
  if (src[pos] !== headerChecksum(src, DESCRIPTOR_START, pos)) throw corrupt("frame header checksum mismatch");
  pos++;

  const checksumBytes = flags & FLG_BLOCK_CHECKSUM ? 4 : 0;
  const blocks: FrameLayout["blocks"] = [];
  let bound = 0;
  for (;;) {
    if (pos + 4 > src.length) throw corrupt("truncated block size");
    const word = view.getUint32(pos, true);
    pos += 4;
    if (word === 0) break;
    const size = word & ~UNCOMPRESSED_BLOCK;
    const compressed = (word & UNCOMPRESSED_BLOCK) === 0;
    if (size > blockMax) throw corrupt(`block of ${size} bytes exceeds the frame's ${blockMax}-byte maximum`);
    if (pos + size + checksumBytes > src.length) throw corrupt("block runs past the input");
    if (checksumBytes && view.getUint32(pos + size, true) !== xxhash32(src, 0, pos, pos + size)) {
      throw corrupt("block checksum mismatch");
    }
    blocks.push({ start: pos, end: pos + size, compressed });
    // A sequence of n input bytes yields at most about 255n output bytes, which tightens the bound for
    // frames with large maximum block sizes but small blocks.
    bound += compressed ? Math.min(blockMax, size * 255) : size;
    pos += size + checksumBytes;
  }
  if (flags & FLG_CONTENT_CHECKSUM) pos += 4;
  if (pos > src.length) throw corrupt("truncated content checksum");
  if (pos !== src.length) throw corrupt(`${src.length - pos} bytes after the end of the frame`);
  return { flags, blockMax, contentSize, blocks, bound };
}

/** Decompresses one LZ4 frame, allocating at most `maxBytes` for the output. */
export function lz4Decompress(src: Uint8Array, maxBytes: number): Uint8Array {
  const frame = readFrameLayout(src);
  if (frame.contentSize !== null && frame.contentSize > maxBytes) throw outputLimitExceeded("lz4", maxBytes);
  const capacity = Math.min(frame.contentSize ?? frame.bound, maxBytes);
  const limitedByCap = capacity === maxBytes && (frame.contentSize ?? frame.bound) > maxBytes;
  const out = new Uint8Array(capacity);
  const independent = (frame.flags & FLG_BLOCK_INDEPENDENT) !== 0;
  let d = 0;
  for (const block of frame.blocks) {
    const blockSize = block.end - block.start;
    const dLimit = Math.min(d + frame.blockMax, capacity);
    if (!block.compressed) {
      if (blockSize > capacity - d) throw overflow(frame, limitedByCap, maxBytes);
      out.set(src.subarray(block.start, block.end), d);
      d += blockSize;
      continue;
    }
    const next = decompressBlock(src, block.start, block.end, out, d, dLimit, independent ? d : 0);
    if (next < 0) throw dLimit === capacity ? overflow(frame, limitedByCap, maxBytes) : corrupt("block decodes past the frame's maximum block size");
    d = next;
  }
  if (frame.contentSize !== null && d !== frame.contentSize) {
    throw corrupt(`decoded ${d} bytes, the frame declared ${frame.contentSize}`);
  }
  if (frame.flags & FLG_CONTENT_CHECKSUM) {
    const expected = new DataView(src.buffer, src.byteOffset, src.byteLength).getUint32(src.length - 4, true);
    if (xxhash32(out, 0, 0, d) !== expected) throw corrupt("content checksum mismatch");
  }
  return d === capacity ? out : out.subarray(0, d);
}

function overflow(frame: FrameLayout, limitedByCap: boolean, maxBytes: number): Error {
  if (limitedByCap) return outputLimitExceeded("lz4", maxBytes);
  return corrupt(frame.contentSize !== null ? "output exceeds the declared content size" : "output exceeds its block bound");
}
