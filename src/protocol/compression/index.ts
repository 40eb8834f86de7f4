// Maps the codec id in a record batch's attributes (bits 0-2) to its compressor and decompressor.

import { UnsupportedCompressionError } from "../errors.ts";
import { gzipCompress, gzipDecompress } from "./gzip.ts";
import { lz4Compress, lz4Decompress } from "./lz4.ts";
import { snappyCompress, snappyDecompress } from "./snappy.ts";
import { zstdCompress, zstdDecompress } from "./zstd.ts";

export { DEFAULT_MAX_DECOMPRESSED_BYTES } from "./output-limit.ts";

export interface Codec {
  readonly name: string;
  compress(src: Uint8Array): Uint8Array;
  /** Throws MalformedMessageError past `maxBytes` of output, CorruptRecordError on invalid input. */
  decompress(src: Uint8Array, maxBytes: number): Uint8Array;
}

const CODECS: ReadonlyArray<Codec> = [
  { name: "none", compress: (src) => src, decompress: (src) => src },
  { name: "gzip", compress: gzipCompress, decompress: gzipDecompress },
  { name: "snappy", compress: snappyCompress, decompress: snappyDecompress },
  { name: "lz4", compress: lz4Compress, decompress: lz4Decompress },
  { name: "zstd", compress: zstdCompress, decompress: zstdDecompress },
];

/** The codec for id 0 (none) to 4 (zstd); UnsupportedCompressionError for 5-7. */
export function codecFor(id: number): Codec {
  const codec = CODECS[id];
  if (!codec) throw new UnsupportedCompressionError(`unknown compression codec id ${id}`);
  return codec;
}
