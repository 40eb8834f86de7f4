import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { crc32c } from "../../src/protocol/crc32c.ts";

// kafkajs's byte-at-a-time implementation: an independent reference for arbitrary inputs.
const kafkajsCrc32c: (buffer: Buffer) => number = createRequire(import.meta.url)("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js");

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
});
