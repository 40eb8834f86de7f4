// zstd (codec 4) through node:zlib's one-shot API (loaded on first use), which Bun implements natively.

import { nodeZlib } from "./node-zlib.ts";
import { decompressionFailure } from "./zlib-errors.ts";

/** Compresses at zstd's default level 3, which is also Kafka's default. */
export function zstdCompress(src: Uint8Array): Uint8Array {
  return nodeZlib().zstdCompressSync(src);
}

/**
 * Decompresses zstd frames, stopping at `maxBytes` of output. Bun's decompressor returns what it has for a frame
 * cut short instead of failing; record parsing then catches the shortfall as a truncated record.
 */
export function zstdDecompress(src: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return nodeZlib().zstdDecompressSync(src, { maxOutputLength: maxBytes });
  } catch (error) {
    throw decompressionFailure("zstd", maxBytes, error);
  }
}
