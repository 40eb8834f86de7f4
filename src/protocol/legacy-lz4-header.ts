// Kafka before 0.10 (magic 0) computed the LZ4 frame header checksum over the 4-byte frame magic as well as the
// frame descriptor (KAFKA-3160). Kafka ignores that checksum in magic-0 wrappers and writes the broken one when
// it down-converts to magic 0, because the old clients verify it; librdkafka and kafka-python repair it before
// decoding. The frame decoder (compression/lz4.ts) checks the standard checksum, so these helpers rewrite the
// one byte at the frame edge.

import { CorruptRecordError } from "./errors.ts";
import { xxhash32 } from "./compression/xxhash32.ts";

const FRAME_MAGIC = 0x184d2204;
const FLG_CONTENT_SIZE = 0x08;
const FLG_DICT_ID = 0x01;
/** Frame magic (4 bytes), FLG, BD. */
const DESCRIPTOR_START = 4;

/** Position of the header checksum byte (HC) of the LZ4 frame `frame`. */
function headerChecksumAt(frame: Uint8Array): number {
  if (frame.length < 7 || new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true) !== FRAME_MAGIC) {
    throw new CorruptRecordError("invalid lz4 data: bad frame magic");
  }
  const flags = frame[DESCRIPTOR_START]!;
  const at = DESCRIPTOR_START + 2 + (flags & FLG_CONTENT_SIZE ? 8 : 0) + (flags & FLG_DICT_ID ? 4 : 0);
  if (at >= frame.length) throw new CorruptRecordError("invalid lz4 data: truncated frame header");
  return at;
}

function checksumByte(frame: Uint8Array, start: number, end: number): number {
  return (xxhash32(frame, 0, start, end) >>> 8) & 0xff;
}

/** A copy of a magic-0 LZ4 frame with the standard header checksum, whatever checksum it arrived with. */
export function withStandardHeaderChecksum(frame: Uint8Array): Uint8Array {
  const at = headerChecksumAt(frame);
  const fixed = new Uint8Array(frame);
  fixed[at] = checksumByte(frame, DESCRIPTOR_START, at);
  return fixed;
}

/** Rewrites, in place, the header checksum of a frame about to go into a magic-0 wrapper the way Kafka 0.8/0.9 did. */
export function breakHeaderChecksum(frame: Uint8Array): void {
  const at = headerChecksumAt(frame);
  frame[at] = checksumByte(frame, 0, at);
}
