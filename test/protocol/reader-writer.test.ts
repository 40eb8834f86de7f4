import { describe, expect, test } from "bun:test";
import { MalformedMessageError, TruncatedMessageError } from "../../src/protocol/errors.ts";
import { Reader, ZERO_UUID } from "../../src/protocol/reader.ts";
import { utf8Length, Writer } from "../../src/protocol/writer.ts";

function bytesOf(write: (w: Writer) => void): number[] {
  const w = new Writer(1);
  write(w);
  return [...w.finish()];
}

function reader(...bytes: number[]): Reader {
  return new Reader(new Uint8Array(bytes));
}

describe("fixed-width integers are big-endian", () => {
  test("int8/16/32/64 and unsigned forms", () => {
    expect(bytesOf((w) => w.writeInt8(-2))).toEqual([0xfe]);
    expect(bytesOf((w) => w.writeInt16(-2))).toEqual([0xff, 0xfe]);
    expect(bytesOf((w) => w.writeUint16(0xabcd))).toEqual([0xab, 0xcd]);
    expect(bytesOf((w) => w.writeInt32(0x01020304))).toEqual([1, 2, 3, 4]);
    expect(bytesOf((w) => w.writeUint32(0xfffffffe))).toEqual([0xff, 0xff, 0xff, 0xfe]);
    expect(bytesOf((w) => w.writeInt64(-2n))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    expect(bytesOf((w) => w.writeFloat64(1.5))).toEqual([0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
    expect(bytesOf((w) => w.writeBool(true))).toEqual([1]);

    const r = reader(0xfe, 0xff, 0xfe, 0xab, 0xcd, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xfe);
    expect(r.readInt8()).toBe(-2);
    expect(r.readInt16()).toBe(-2);
    expect(r.readUint16()).toBe(0xabcd);
    expect(r.readInt32()).toBe(0x01020304);
    expect(r.readUint32()).toBe(0xfffffffe);
    expect(r.remaining).toBe(0);
    expect(reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe).readInt64()).toBe(-2n);
    expect(reader(0x3f, 0xf8, 0, 0, 0, 0, 0, 0).readFloat64()).toBe(1.5);
    // Kafka reads any non-zero byte as true.
    expect(reader(7).readBool()).toBe(true);
    expect(reader(0).readBool()).toBe(false);
  });
});

describe("varints", () => {
  const unsigned: [number, number[]][] = [
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [0xffffffff, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];
  test.each(unsigned)("unsigned %p", (value, bytes) => {
    expect(bytesOf((w) => w.writeUnsignedVarint(value))).toEqual(bytes);
    expect(reader(...bytes).readUnsignedVarint()).toBe(value);
  });

  test("over-long varints are malformed, cut ones truncated", () => {
    expect(() => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x01).readUnsignedVarint()).toThrow(MalformedMessageError);
    expect(() => reader(0xff, 0xff, 0xff, 0xff, 0x7f).readUnsignedVarint()).toThrow(MalformedMessageError);
    expect(() => reader(0x80, 0x80).readUnsignedVarint()).toThrow(TruncatedMessageError);
  });
});

describe("uuids", () => {
  test("canonical lower-case form, 16 raw bytes", () => {
    const uuid = "0123abcd-4567-89ef-0a1b-2c3d4e5f6071";
    const bytes = [0x01, 0x23, 0xab, 0xcd, 0x45, 0x67, 0x89, 0xef, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71];
    expect(bytesOf((w) => w.writeUuid(uuid))).toEqual(bytes);
    expect(bytesOf((w) => w.writeUuid(uuid.toUpperCase()))).toEqual(bytes);
    expect(reader(...bytes).readUuid()).toBe(uuid);
    expect(reader(...new Array(16).fill(0)).readUuid()).toBe(ZERO_UUID);
  });

  test("invalid uuids are rejected", () => {
    for (const bad of ["", "not-a-uuid", "0123abcd-4567-89ef-0a1b-2c3d4e5f607", "0123abcd_4567-89ef-0a1b-2c3d4e5f6071", "0123abcd-4567-89ef-0a1b-2c3d4e5f607g"]) {
      expect(() => new Writer().writeUuid(bad)).toThrow(MalformedMessageError);
    }
  });
});

describe("strings", () => {
  test("classic and compact, ASCII and multi-byte UTF-8", () => {
    expect(bytesOf((w) => w.writeString("ab"))).toEqual([0, 2, 0x61, 0x62]);
    expect(bytesOf((w) => w.writeCompactString("ab"))).toEqual([3, 0x61, 0x62]);
    expect(bytesOf((w) => w.writeNullableString(null))).toEqual([0xff, 0xff]);
    expect(bytesOf((w) => w.writeCompactNullableString(null))).toEqual([0]);
    // "é" is 2 bytes, "😀" (a surrogate pair) is 4.
    expect(bytesOf((w) => w.writeString("é😀"))).toEqual([0, 6, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80]);
    expect(reader(0, 6, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80).readString()).toBe("é😀");
    expect(reader(3, 0x61, 0x62).readCompactString()).toBe("ab");
    expect(reader(0xff, 0xff).readNullableString()).toBeNull();
    expect(reader(0).readCompactNullableString()).toBeNull();
  });

  test("long strings use multi-byte compact lengths and the non-ASCII decode path", () => {
    for (const s of ["x".repeat(200), "ü".repeat(200), "a".repeat(64) + "é"]) {
      const w = new Writer(4);
      w.writeCompactString(s);
      w.writeString(s);
      const r = new Reader(w.finish());
      expect(r.readCompactString()).toBe(s);
      expect(r.readString()).toBe(s);
      expect(r.remaining).toBe(0);
    }
  });

  test("utf8Length agrees with TextEncoder, lone surrogates included", () => {
    for (const s of ["", "abc", "é", "€", "😀", "a\ud800b", "\udc00", "x😀y€"]) {
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    }
  });

  test("null where not nullable, negative lengths and invalid UTF-8 are malformed", () => {
    expect(() => reader(0xff, 0xff).readString()).toThrow(MalformedMessageError);
    expect(() => reader(0).readCompactString()).toThrow(MalformedMessageError);
    expect(() => reader(0xff, 0xfe).readNullableString()).toThrow(MalformedMessageError);
    expect(() => reader(0, 2, 0xc3, 0x28).readString()).toThrow(MalformedMessageError);
    expect(() => reader(0, 1, 0xff).readString()).toThrow(MalformedMessageError);
  });

  test("a string longer than int16 allows cannot be written in classic form", () => {
    expect(() => new Writer().writeString("x".repeat(0x8000))).toThrow(MalformedMessageError);
    expect(bytesOf((w) => w.writeString("x".repeat(0x7fff))).length).toBe(0x7fff + 2);
  });
});

describe("bytes", () => {
  test("are read as views of the input, not copies", () => {
    const input = new Uint8Array([0, 0, 0, 2, 9, 8, 3, 7, 6]);
    const r = new Reader(input);
    const b = r.readBytes();
    expect([...b]).toEqual([9, 8]);
    expect(b.buffer).toBe(input.buffer);
    const c = r.readCompactBytes();
    expect([...c]).toEqual([7, 6]);
    expect(c.buffer).toBe(input.buffer);
  });

  test("classic and compact, nullable and not", () => {
    expect(bytesOf((w) => w.writeBytes(new Uint8Array([5])))).toEqual([0, 0, 0, 1, 5]);
    expect(bytesOf((w) => w.writeNullableBytes(null))).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(bytesOf((w) => w.writeCompactBytes(new Uint8Array([5])))).toEqual([2, 5]);
    expect(bytesOf((w) => w.writeCompactNullableBytes(null))).toEqual([0]);
    expect(reader(0xff, 0xff, 0xff, 0xff).readNullableBytes()).toBeNull();
    expect(() => reader(0xff, 0xff, 0xff, 0xff).readBytes()).toThrow(MalformedMessageError);
    expect(() => reader(0xff, 0xff, 0xff, 0xfe).readNullableBytes()).toThrow(MalformedMessageError);
  });
});

describe("hostile lengths fail before anything is allocated", () => {
  const never = () => {
    throw new Error("element reader must not run");
  };

  test("a 2-billion element array in a 20-byte message", () => {
    const r = reader(0x7f, 0xff, 0xff, 0xff, ...new Array(16).fill(0));
    expect(() => r.readArray(never)).toThrow(TruncatedMessageError);
  });

  test("a 4-billion element compact array", () => {
    const r = reader(0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3);
    expect(() => r.readCompactArray(never)).toThrow(TruncatedMessageError);
  });

  test("negative array lengths are malformed; -1 is null", () => {
    expect(() => reader(0xff, 0xff, 0xff, 0xfe).readArray(never)).toThrow(MalformedMessageError);
    expect(reader(0xff, 0xff, 0xff, 0xff).readNullableArray(never)).toBeNull();
    expect(() => reader(0xff, 0xff, 0xff, 0xff).readArray(never)).toThrow(MalformedMessageError);
    expect(reader(0).readCompactNullableArray(never)).toBeNull();
  });

  test("huge string and bytes lengths", () => {
    expect(() => reader(0x7f, 0xff, 0x61).readString()).toThrow(TruncatedMessageError);
    expect(() => reader(0x7f, 0xff, 0xff, 0xff, 1).readBytes()).toThrow(TruncatedMessageError);
    expect(() => reader(0xff, 0xff, 0xff, 0xff, 0x0f, 1).readCompactBytes()).toThrow(TruncatedMessageError);
    expect(() => reader(0xff, 0xff, 0xff, 0xff, 0x0f, 1).readCompactString()).toThrow(TruncatedMessageError);
  });

  test("huge tagged field sizes and counts", () => {
    expect(() => reader(1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f).skipTaggedFields()).toThrow(TruncatedMessageError);
    expect(() => reader(0xff, 0xff, 0xff, 0xff, 0x0f).skipTaggedFields()).toThrow(TruncatedMessageError);
    expect(() => reader(1).endOf(2)).toThrow(TruncatedMessageError);
  });

  test("a reader cannot start past its input", () => {
    expect(() => new Reader(new Uint8Array(2), 3)).toThrow(TruncatedMessageError);
  });
});

describe("arrays and tagged fields", () => {
  test("element callbacks see each element in order", () => {
    const w = new Writer();
    w.writeArray([1, 2, 3], (w, e) => w.writeInt8(e));
    w.writeCompactArray([4, 5], (w, e) => w.writeInt8(e));
    w.writeArray(null, () => {});
    w.writeCompactArray(null, () => {});
    expect([...w.finish()]).toEqual([0, 0, 0, 3, 1, 2, 3, 3, 4, 5, 0xff, 0xff, 0xff, 0xff, 0]);
    const r = new Reader(w.finish());
    expect(r.readArray((r) => r.readInt8())).toEqual([1, 2, 3]);
    expect(r.readCompactArray((r) => r.readInt8())).toEqual([4, 5]);
    expect(r.readNullableArray((r) => r.readInt8())).toBeNull();
    expect(r.readCompactNullableArray((r) => r.readInt8())).toBeNull();
  });

  test("unknown tagged fields are skipped", () => {
    const r = reader(2, 0, 1, 0xaa, 5, 2, 0xbb, 0xcc, 0x42);
    r.skipTaggedFields();
    expect(r.readInt8()).toBe(0x42);
  });

  test("sized regions get a minimal varint size prefix, short and long", () => {
    for (const size of [0, 1, 127, 128, 20000]) {
      const w = new Writer(8);
      w.writeInt8(0x11);
      const at = w.beginSizedRegion();
      for (let i = 0; i < size; i++) w.writeInt8(i & 0x7f);
      w.endSizedRegion(at);
      w.writeInt8(0x22);
      const r = new Reader(w.finish());
      expect(r.readInt8()).toBe(0x11);
      expect(r.readUnsignedVarint()).toBe(size);
      const body = r.readRawBytes(size);
      expect([...body]).toEqual(Array.from({ length: size }, (_, i) => i & 0x7f));
      expect(r.readInt8()).toBe(0x22);
      expect(r.remaining).toBe(0);
    }
  });
});

describe("writer buffer management", () => {
  test("a reserved size prefix is patched with the bytes written after it", () => {
    const w = new Writer(2);
    const at = w.reserveInt32();
    for (let i = 0; i < 1000; i++) w.writeInt32(i);
    w.patchSizePrefix(at);
    const r = new Reader(w.finish());
    expect(r.readInt32()).toBe(4000);
    for (let i = 0; i < 1000; i++) expect(r.readInt32()).toBe(i);
  });

  test("raw bytes larger than the buffer trigger growth", () => {
    const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const w = new Writer(16);
    w.writeInt8(9);
    w.writeRawBytes(big);
    const out = w.finish();
    expect(out.length).toBe(100_001);
    expect(out[0]).toBe(9);
    expect(out.subarray(1)).toEqual(big);
  });
});
