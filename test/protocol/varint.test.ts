import { describe, expect, test } from "bun:test";
import { MalformedMessageError, TruncatedMessageError } from "../../src/protocol/errors.ts";
import { readVarint, readVarlong, varintSize, varlongSize, writeVarint, writeVarlong } from "../../src/protocol/varint.ts";

describe("zigzag varints", () => {
  test("known encodings", () => {
    const encode = (value: number) => {
      const out = new Uint8Array(5);
      return [...out.subarray(0, writeVarint(out, 0, value))];
    };
    expect(encode(0)).toEqual([0]);
    expect(encode(-1)).toEqual([1]);
    expect(encode(1)).toEqual([2]);
    expect(encode(63)).toEqual([0x7e]);
    expect(encode(-64)).toEqual([0x7f]);
    expect(encode(64)).toEqual([0x80, 0x01]);
    expect(encode(0x7fffffff)).toEqual([0xfe, 0xff, 0xff, 0xff, 0x0f]);
    expect(encode(-0x80000000)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  test("int32 round trips with matching sizes", () => {
    for (const value of [0, 1, -1, 63, -64, 64, -65, 8191, 8192, -8193, 1 << 20, -(1 << 27), 0x7fffffff, -0x80000000]) {
      const out = new Uint8Array(5);
      const end = writeVarint(out, 0, value);
      expect(end).toBe(varintSize(value));
      const cursor = { offset: 0 };
      expect(readVarint(out, cursor)).toBe(value);
      expect(cursor.offset).toBe(end);
    }
  });

  test("int64 round trips across the number fast path and the BigInt path", () => {
    const values = [0n, -1n, 1n, 1n << 27n, -(1n << 31n), (1n << 31n) - 1n, 1n << 31n, 1n << 48n, -(1n << 48n), (1n << 53n) + 1n, (1n << 63n) - 1n, -(1n << 63n)];
    for (const value of values) {
      const out = new Uint8Array(10);
      const end = writeVarlong(out, 0, value);
      expect(end).toBe(varlongSize(value));
      const cursor = { offset: 0 };
      expect(readVarlong(out, cursor)).toBe(value);
      expect(cursor.offset).toBe(end);
    }
    const max = new Uint8Array(10);
    expect(writeVarlong(max, 0, -(1n << 63n))).toBe(10);
    expect([...max]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  test("running out of input is TruncatedMessageError, also against an explicit end", () => {
    expect(() => readVarint(new Uint8Array([0x80, 0x80]), { offset: 0 })).toThrow(TruncatedMessageError);
    expect(() => readVarint(new Uint8Array([0x80, 0x01]), { offset: 0 }, 1)).toThrow(TruncatedMessageError);
    expect(() => readVarlong(new Uint8Array(9).fill(0x80), { offset: 0 })).toThrow(TruncatedMessageError);
    expect(() => readVarlong(new Uint8Array([0x80, 0x00]), { offset: 0 }, 1)).toThrow(TruncatedMessageError);
  });

  test("too many continuation bytes is MalformedMessageError", () => {
    expect(() => readVarint(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), { offset: 0 })).toThrow(MalformedMessageError);
    expect(() => readVarlong(new Uint8Array(11).fill(0x80), { offset: 0 })).toThrow(MalformedMessageError);
  });
});

describe("known byte layouts", () => {
  const zigzag: [number, number[]][] = [
    [0, [0x00]],
    [-1, [0x01]],
    [1, [0x02]],
    [-64, [0x7f]],
    [64, [0x80, 0x01]],
    [2147483647, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
    [-2147483648, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];
  test.each(zigzag)("signed varint %p", (value, bytes) => {
    const out = new Uint8Array(5);
    expect([...out.subarray(0, writeVarint(out, 0, value))]).toEqual(bytes);
    expect(readVarint(new Uint8Array(bytes), { offset: 0 })).toBe(value);
  });

  const varlongs: [bigint, number[]][] = [
    [0n, [0x00]],
    [-1n, [0x01]],
    [150n, [0xac, 0x02]],
    [2n ** 48n - 1n, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
    [2n ** 48n, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
    [-(2n ** 48n) - 1n, [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
    [9223372036854775807n, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    [-9223372036854775808n, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ];
  test.each(varlongs)("varlong %p", (value, bytes) => {
    const out = new Uint8Array(10);
    expect([...out.subarray(0, writeVarlong(out, 0, value))]).toEqual(bytes);
    expect(readVarlong(new Uint8Array(bytes), { offset: 0 })).toBe(value);
  });

  test("an 11-byte varlong is malformed, a cut one truncated", () => {
    expect(() => readVarlong(new Uint8Array([...new Array(10).fill(0x80), 0x01]), { offset: 0 })).toThrow(MalformedMessageError);
    expect(() => readVarlong(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), { offset: 0 })).toThrow(TruncatedMessageError);
  });
});
