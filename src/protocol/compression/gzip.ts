// gzip (codec 1) through node:zlib's one-shot API (loaded on first use), which Bun implements natively.

import { nodeZlib } from "./node-zlib.ts";
import { decompressionFailure } from "./zlib-errors.ts";

export function gzipCompress(src: Uint8Array): Uint8Array {
  return nodeZlib().gzipSync(src);
}

/** Decompresses gzip data (several concatenated members are allowed), stopping at `maxBytes` of output. */
export function gzipDecompress(src: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return nodeZlib().gunzipSync(src, { maxOutputLength: maxBytes });
  } catch (error) {
    throw decompressionFailure("gzip", maxBytes, error);
  }
}
