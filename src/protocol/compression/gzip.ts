// gzip (codec 1) through node:zlib's one-shot API, which Bun implements natively.

import { gunzipSync, gzipSync } from "node:zlib";
import { decompressionFailure } from "./zlib-errors.ts";

export function gzipCompress(src: Uint8Array): Uint8Array {
  return gzipSync(src);
}

/** Decompresses gzip data (several concatenated members are allowed), stopping at `maxBytes` of output. */
export function gzipDecompress(src: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return gunzipSync(src, { maxOutputLength: maxBytes });
  } catch (error) {
    throw decompressionFailure("gzip", maxBytes, error);
  }
}
