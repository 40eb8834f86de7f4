// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka magic-2 record batches.
// Slicing-by-8: eight 256-entry tables let the main loop fold 8 input bytes per step instead of 1,
// which is what makes a pure-JS CRC keep up with batch sizes on the produce path.

const POLYNOMIAL = 0x82f63b78;

// The tables are Int32Array, not Uint32Array, on purpose. A Uint32Array element of 2^31 or more is not an
// int32, so JavaScriptCore's optimising tiers speculate that loads stay int32 and take an OSR exit
// ("Overflow") whenever one doesn't. Which entries a batch hits depends on its bytes, so after the JIT had
// profiled data that stayed low, real batches made it exit, recompile and exit again, leaving the loop in the
// baseline tier at 25-50 MB/s instead of ~1 GB/s. Signed entries keep every value int32 and XOR is the same
// on the bit pattern, so only the final result needs `>>> 0`.
function buildTables(): Int32Array {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    tables[n] = c;
  }
  // Table t[k][n] is the CRC of byte n followed by k zero bytes, derived from table k-1.
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let k = 1; k < 8; k++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[k * 256 + n] = c;
    }
  }
  return tables;
}

const T = buildTables();

/**
 * CRC-32C of `bytes[start, end)`, continuing from `previous` (the unsigned result of an earlier call over the
 * preceding bytes, or 0 to start). Returns an unsigned 32-bit number.
 */
export function crc32c(bytes: Uint8Array, previous = 0, start = 0, end = bytes.length): number {
  let crc = ~previous;
  let i = start;
  const fastEnd = start + ((end - start) & ~7);
  while (i < fastEnd) {
    const lo = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc =
      T[1792 + (lo & 0xff)]! ^
      T[1536 + ((lo >>> 8) & 0xff)]! ^
      T[1280 + ((lo >>> 16) & 0xff)]! ^
      T[1024 + (lo >>> 24)]! ^
      T[768 + bytes[i + 4]!]! ^
      T[512 + bytes[i + 5]!]! ^
      T[256 + bytes[i + 6]!]! ^
      T[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) crc = T[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
