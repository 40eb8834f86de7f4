// Kafka before 0.10 (magic 0) computed the LZ4 frame header checksum over the 4-byte frame magic as well as the
// frame descriptor (KAFKA-3160). Kafka ignores that checksum in magic-0 wrappers and writes the broken one when
// it down-converts to magic 0, because the old clients verify it; librdkafka and kafka-python repair it before
// decoding. The frame decoder (compression/lz4.ts) checks the standard checksum, so these helpers rewrite the
// one byte at the frame edge.

import { DESCRIPTOR_START, headerChecksum, headerChecksumAt } from "./compression/lz4.ts";

/** A copy of a magic-0 LZ4 frame with the standard header checksum, whatever checksum it arrived with. */
export function withStandardHeaderChecksum(frame: Uint8Array): Uint8Array {
  const at = headerChecksumAt(frame);
  const fixed = new Uint8Array(frame);
  fixed[at] = headerChecksum(frame, DESCRIPTOR_START, at);
  return fixed;
}

/** Rewrites, in place, the header checksum of a frame about to go into a magic-0 wrapper the way Kafka 0.8/0.9 did. */
export function breakHeaderChecksum(frame: Uint8Array): void {
  const at = headerChecksumAt(frame);
  frame[at] = headerChecksum(frame, 0, at);
}
