import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { crc32c } from "../../src/protocol/crc32c.ts";

// kafkajs's byte-at-a-time implementation: an independent reference for arbitrary inputs.
const kafkajsCrc32c: (buffer: Buffer) => number = createRequire(import.meta.url)("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js");

/** The definition, one bit at a time: slow, but too simple to share a bug with the table-driven code. */
function bitwiseCrc32c(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    bytes[i] = seed >>> 24;
  }
  return bytes;
}

describe("crc32c", () => {
  test("check value of the Castagnoli polynomial", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  });

  test("RFC 3720 (iSCSI) test vectors", () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  test("empty input is 0", () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  test("agrees with kafkajs for every length up to 64 and some long inputs", () => {
    for (let length = 0; length <= 64; length++) {
      const bytes = pseudoRandomBytes(length, length + 1);
      expect(crc32c(bytes)).toBe(kafkajsCrc32c(Buffer.from(bytes)) >>> 0);
    }
    for (const length of [1000, 4093, 65536 + 7]) {
      const bytes = pseudoRandomBytes(length, length);
      expect(crc32c(bytes)).toBe(kafkajsCrc32c(Buffer.from(bytes)) >>> 0);
    }
  });

  test("continuing from a previous result equals one pass, at every split point", () => {
    const bytes = pseudoRandomBytes(45, 9);
    const whole = crc32c(bytes);
    for (let split = 0; split <= bytes.length; split++) {
      expect(crc32c(bytes, crc32c(bytes, 0, 0, split), split)).toBe(whole);
    }
  });

  test("a range of a larger array equals the CRC of a copy of that range", () => {
    const bytes = pseudoRandomBytes(300, 3);
    expect(crc32c(bytes, 0, 21, 250)).toBe(crc32c(bytes.slice(21, 250)));
    expect(crc32c(bytes.subarray(21, 250))).toBe(crc32c(bytes.slice(21, 250)));
  });

  test("agrees with a bitwise reference at every length up to 300 and every start alignment", () => {
    const pool = pseudoRandomBytes(400, 77);
    for (let length = 0; length <= 300; length++) {
      for (let start = 0; start < 8; start++) {
        const range = pool.subarray(start, start + length);
        expect(crc32c(pool, 0, start, start + length)).toBe(bitwiseCrc32c(range));
      }
    }
  });

  test("agrees with a bitwise reference on long random ranges of views with an offset into their buffer", () => {
    const backing = pseudoRandomBytes(200_000, 5);
    for (let round = 0; round < 20; round++) {
      const [viewStart, length, start] = pseudoRandomBytes(3, round + 100);
      const view = backing.subarray(viewStart!, viewStart! + 100_000 + length! * 300);
      const end = view.length - (round % 9);
      expect(crc32c(view, 0, start!, end)).toBe(bitwiseCrc32c(view.subarray(start!, end)));
    }
  });

  test("results are unsigned 32-bit for every single byte value", () => {
    for (let byte = 0; byte < 256; byte++) {
      const actual = crc32c(Uint8Array.of(byte));
      expect(actual).toBe(bitwiseCrc32c(Uint8Array.of(byte)));
      expect(actual >= 0 && actual <= 0xffffffff && Number.isInteger(actual)).toBe(true);
    }
  });

  test("chaining through several random splits equals one pass", () => {
    const bytes = pseudoRandomBytes(10_000, 11);
    const whole = bitwiseCrc32c(bytes);
    for (let seed = 1; seed <= 30; seed++) {
      const cuts = [...pseudoRandomBytes(6, seed)].map((b) => Math.floor((b / 256) * bytes.length)).sort((a, b) => a - b);
      let crc = 0;
      let from = 0;
      for (const to of [...cuts, bytes.length]) {
        crc = crc32c(bytes, crc, from, to);
        from = to;
      }
      expect(crc).toBe(whole);
    }
  });

  // Regression: with Uint32Array tables, entries >= 2^31 are not int32, so once the optimising JIT had seen only
  // low entries, other bytes made it exit and recompile over and over, and the CRC ran ~30x slower in the
  // broker. Counting compilations (not timing) shows whether input that hits different table entries throws
  // the optimised code away. It runs in a child process because JSC shares what it learnt about a function's
  // arithmetic across every instance of the same source, and the tests above have already taught it.
  test("optimised code survives a change of input after warm-up", () => {
    const script = `
      import { numberOfDFGCompiles } from "bun:jsc";
      import { crc32c } from ${JSON.stringify(new URL("../../src/protocol/crc32c.ts", import.meta.url).pathname)};
      const uniform = new Uint8Array(4096).fill(120);
      for (let i = 0; i < 500; i++) crc32c(uniform);
      const warm = numberOfDFGCompiles(crc32c);
      const varied = new Uint8Array(1 << 20);
      let seed = 3;
      for (let i = 0; i < varied.length; i++) varied[i] = seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0 >>> 24;
      for (let i = 0; i < 5; i++) crc32c(varied);
      console.log(JSON.stringify({ warm, after: numberOfDFGCompiles(crc32c) }));
    `;
    const child = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, BUN_DEBUG_QUIET_LOGS: "1" } });
    expect(child.stderr.toString()).toBe("");
    const { warm, after } = JSON.parse(child.stdout.toString()) as { warm: number; after: number };
    expect(warm).toBeGreaterThanOrEqual(1);
    expect(after).toBe(warm);
  });
});
