// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka magic-2 record batches.
// Slicing-by-16: sixteen 256-entry tables let the main loop fold 16 input bytes per step instead of 1,
// read as four little-endian 32-bit words, which is what makes a pure-JS CRC keep up with batch sizes on
// the produce path (about 1.5 times the speed of slicing-by-8 on bytes, measured on 1 MiB batches).

const POLYNOMIAL = 0x82f63b78;
const SLICES = 16;

// The tables are Int32Array, not Uint32Array, on purpose. A Uint32Array element of 2^31 or more is not an
// int32, so JavaScriptCore's optimising tiers speculate that loads stay int32 and take an OSR exit
// ("Overflow") whenever one doesn't. Which entries a batch hits depends on its bytes, so after the JIT had
// profiled data that stayed low, real batches made it exit, recompile and exit again, leaving the loop in the
// baseline tier at 25-50 MB/s instead of ~1 GB/s. Signed entries keep every value int32 and XOR is the same
// on the bit pattern, so only the final result needs `>>> 0`.

function buildTables(): Int32Array {
  const tables = new Int32Array(SLICES * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    tables[n] = c;
  }
  // Table t[k][n] is the CRC of byte n followed by k zero bytes, derived from table k-1.
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let k = 1; k < SLICES; k++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[k * 256 + n] = c;
    }
  }
  return tables;
}

const T = buildTables();

/** Words are read in the platform's byte order; the folding below needs little-endian ones. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * CRC-32C of `bytes[start, end)`, continuing from `previous` (the unsigned result of an earlier call over the
 * preceding bytes, or 0 to start). Returns an unsigned 32-bit number.
 */
export function crc32c(bytes: Uint8Array, previous = 0, start = 0, end = bytes.length): number {
  let crc = ~previous;
  let i = start;
  // Bytes one at a time up to a 4-byte boundary of the underlying buffer, so the words below are aligned.
  const head = LITTLE_ENDIAN ? Math.min(end, start + ((4 - ((bytes.byteOffset + start) & 3)) & 3)) : end;
  while (i < head) crc = T[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  const wordCount = ((end - i) >>> 4) << 2;
  if (wordCount > 0) {
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, wordCount);
    for (let w = 0; w < wordCount; w += 4) {
      const a = crc ^ words[w]!;
      const b = words[w + 1]!;
      const c = words[w + 2]!;
      const d = words[w + 3]!;
      crc =
        T[3840 + (a & 0xff)]! ^
        T[3584 + ((a >>> 8) & 0xff)]! ^
        T[3328 + ((a >>> 16) & 0xff)]! ^
        T[3072 + (a >>> 24)]! ^
        T[2816 + (b & 0xff)]! ^
        T[2560 + ((b >>> 8) & 0xff)]! ^
        T[2304 + ((b >>> 16) & 0xff)]! ^
        T[2048 + (b >>> 24)]! ^
        T[1792 + (c & 0xff)]! ^
        T[1536 + ((c >>> 8) & 0xff)]! ^
        T[1280 + ((c >>> 16) & 0xff)]! ^
        T[1024 + (c >>> 24)]! ^
        T[768 + (d & 0xff)]! ^
        T[512 + ((d >>> 8) & 0xff)]! ^
        T[256 + ((d >>> 16) & 0xff)]! ^
        T[d >>> 24]!;
    }
    i += wordCount * 4;
  }
  while (i < end) crc = T[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
