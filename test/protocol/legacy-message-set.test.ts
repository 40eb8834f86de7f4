import { describe, expect, test } from "bun:test";
import { crc32 } from "node:zlib";
import { codecFor } from "../../src/protocol/compression/index.ts";
import { xxhash32 } from "../../src/protocol/compression/xxhash32.ts";
import { CorruptRecordError, MalformedMessageError, TruncatedMessageError, UnsupportedCompressionError } from "../../src/protocol/errors.ts";
import {
  decodeMessageSet,
  downconvertBatches,
  encodeMessageSet,
  upconvertMessageSet,
  type LegacyMessageInput,
} from "../../src/protocol/legacy-message-set.ts";
import {
  Compression,
  compressionOf,
  decodeRecordBatch,
  encodeControlBatch,
  encodeRecordBatch,
  timestampTypeOf,
} from "../../src/protocol/record-batch.ts";

const text = new TextEncoder();
const bytes = (s: string) => text.encode(s);
const str = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
const hex = (s: string) => Uint8Array.from(s.replace(/[^0-9a-f]/gi, "").match(/../g)!.map((h) => parseInt(h, 16)));

/** A message set entry built field by field from the protocol guide, CRC from node:zlib (an independent CRC-32). */
function entry(offset: bigint, magic: number, attributes: number, timestamp: bigint | null, key: Uint8Array | null, value: Uint8Array | null, keyLength?: number): Uint8Array {
  const body: number[] = [magic, attributes];
  const push = (b: Uint8Array) => body.push(...b);
  const int32 = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n);
    return b;
  };
  if (timestamp !== null) {
    const t = new Uint8Array(8);
    new DataView(t.buffer).setBigInt64(0, timestamp);
    push(t);
  }
  push(int32(keyLength ?? (key === null ? -1 : key.length)));
  if (key) push(key);
  push(int32(value === null ? -1 : value.length));
  if (value) push(value);
  const out = new Uint8Array(16 + body.length);
  const view = new DataView(out.buffer);
  view.setBigInt64(0, offset);
  view.setInt32(8, 4 + body.length);
  out.set(body, 16);
  view.setUint32(12, crc32(out.subarray(16)));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const inputs = (n: number, base = 0n): LegacyMessageInput[] =>
  Array.from({ length: n }, (_, i) => ({
    offset: base + BigInt(i),
    timestamp: 1_700_000_000_000n + BigInt(i * 10),
    key: i % 3 === 0 ? null : bytes(`key-${i}`),
    value: i % 4 === 3 ? null : bytes(`value-${i}-${"x".repeat(i * 7)}`),
  }));

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe("known byte layouts", () => {
  // offset 5, size 17, crc, magic 0, attributes 0, key "k", value "hi"
  const MAGIC_0 = hex("0000000000000005 00000011 d0a1b23e 00 00 00000001 6b 00000002 6869");
  // offset 7, size 23, crc, magic 1, attributes 0, timestamp 1700000000000, key null, value "v"
  const MAGIC_1 = hex("0000000000000007 00000017 c1672ac5 01 00 0000018bcfe56800 ffffffff 00000001 76");

  test("magic 0 decodes field by field", () => {
    expect(decodeMessageSet(MAGIC_0)).toEqual([
      { offset: 5n, magic: 0, timestamp: -1n, timestampType: 0, compression: 0, key: bytes("k"), value: bytes("hi") },
    ]);
  });

  test("magic 1 decodes field by field", () => {
    expect(decodeMessageSet(MAGIC_1)).toEqual([
      { offset: 7n, magic: 1, timestamp: 1_700_000_000_000n, timestampType: 0, compression: 0, key: null, value: bytes("v") },
    ]);
  });

  test("the encoder writes exactly these bytes", () => {
    expect(encodeMessageSet([{ offset: 5n, timestamp: 123n, key: bytes("k"), value: bytes("hi") }], { magic: 0 })).toEqual(MAGIC_0);
    expect(encodeMessageSet([{ offset: 7n, timestamp: 1_700_000_000_000n, key: null, value: bytes("v") }], { magic: 1 })).toEqual(MAGIC_1);
  });

  test("keys and values are views into the input, not copies", () => {
    const [m] = decodeMessageSet(MAGIC_0);
    expect(m!.value!.buffer).toBe(MAGIC_0.buffer);
  });

  test("LogAppendTime is attribute bit 3 of a magic 1 message", () => {
    const set = encodeMessageSet([{ offset: 0n, timestamp: 1n, key: null, value: bytes("v") }], { magic: 1, logAppendTime: 99n });
    expect(set[17]).toBe(0x08);
    expect(view(set).getBigInt64(18)).toBe(99n);
    expect(decodeMessageSet(set)[0]).toMatchObject({ timestamp: 99n, timestampType: 1 });
  });
});

describe("round trips", () => {
  for (const magic of [0, 1] as const) {
    for (const [name, codec] of [["none", 0], ["gzip", 1], ["snappy", 2], ["lz4", 3]] as const) {
      test(`magic ${magic}, ${name}: keys, values, nulls, offsets and timestamps survive`, () => {
        const messages = inputs(20, 1000n);
        const decoded = decodeMessageSet(encodeMessageSet(messages, { magic, compression: codec }));
        expect(decoded).toEqual(
          messages.map((m) => ({
            offset: m.offset,
            magic,
            timestamp: magic === 0 ? -1n : m.timestamp,
            timestampType: 0,
            compression: codec,
            key: m.key,
            value: m.value,
          })),
        );
      });
    }
  }
});

describe("compressed wrappers", () => {
  function wrapperParts(set: Uint8Array) {
    const v = view(set);
    const attributes = set[17]!;
    const magic = set[16]!;
    const valueAt = 18 + (magic === 1 ? 8 : 0) + 4;
    const valueLength = v.getInt32(valueAt);
    return { offset: v.getBigInt64(0), attributes, value: set.subarray(valueAt + 4, valueAt + 4 + valueLength) };
  }

  test("magic 1: the wrapper holds the last absolute offset, inner messages relative ones (KIP-31)", () => {
    const set = encodeMessageSet(inputs(5, 40n), { magic: 1, compression: Compression.gzip });
    const wrapper = wrapperParts(set);
    expect(wrapper.offset).toBe(44n);
    expect(wrapper.attributes & 7).toBe(Compression.gzip);
    const inner = decodeMessageSet(codecFor(Compression.gzip).decompress(wrapper.value, 1 << 20));
    expect(inner.map((m) => m.offset)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(decodeMessageSet(set).map((m) => m.offset)).toEqual([40n, 41n, 42n, 43n, 44n]);
  });

  test("magic 0: inner offsets are absolute", () => {
    const set = encodeMessageSet(inputs(3, 70n), { magic: 0, compression: Compression.snappy });
    const wrapper = wrapperParts(set);
    expect(wrapper.offset).toBe(72n);
    const inner = decodeMessageSet(codecFor(Compression.snappy).decompress(wrapper.value, 1 << 20));
    expect(inner.map((m) => m.offset)).toEqual([70n, 71n, 72n]);
  });

  test("magic 1 wrapper with relative inner offsets from a gapped log", () => {
    // Inner relative offsets 0, 2, 5 under wrapper offset 105: absolute 100, 102, 105.
    const inner = concat(entry(0n, 1, 0, 1n, null, bytes("a")), entry(2n, 1, 0, 2n, null, bytes("b")), entry(5n, 1, 0, 3n, null, bytes("c")));
    const set = entry(105n, 1, Compression.gzip, 3n, null, codecFor(Compression.gzip).compress(inner));
    expect(decodeMessageSet(set).map((m) => [m.offset, str(m.value)])).toEqual([[100n, "a"], [102n, "b"], [105n, "c"]]);
  });

  test("a LogAppendTime wrapper's time applies to every inner message", () => {
    const inner = concat(entry(0n, 1, 0, 10n, null, bytes("a")), entry(1n, 1, 0, 20n, null, bytes("b")));
    const set = entry(1n, 1, Compression.gzip | 0x08, 777n, null, codecFor(Compression.gzip).compress(inner));
    expect(decodeMessageSet(set).map((m) => [m.timestamp, m.timestampType])).toEqual([[777n, 1], [777n, 1]]);
  });

  test("snappy in the xerial framing the Java client writes", () => {
    const inner = concat(entry(0n, 1, 0, 5n, bytes("k"), bytes("java")), entry(1n, 1, 0, 6n, null, bytes("snappy")));
    const raw = codecFor(Compression.snappy).compress(inner);
    const xerial = new Uint8Array(16 + 4 + raw.length);
    xerial.set([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    view(xerial).setInt32(16, raw.length);
    xerial.set(raw, 20);
    const set = entry(1n, 1, Compression.snappy, 6n, null, xerial);
    expect(decodeMessageSet(set).map((m) => [str(m.key), str(m.value)])).toEqual([["k", "java"], [null, "snappy"]]);
  });

  describe("lz4 header checksum", () => {
    // Frames from our encoder have a 7-byte header: magic, FLG, BD, HC.
    const brokenHc = (frame: Uint8Array) => (xxhash32(frame, 0, 0, 6) >>> 8) & 0xff;
    const standardHc = (frame: Uint8Array) => (xxhash32(frame, 0, 4, 6) >>> 8) & 0xff;

    test("magic 0 wrappers are written with Kafka 0.8's checksum over the frame magic too", () => {
      const { value } = wrapperParts(encodeMessageSet(inputs(4), { magic: 0, compression: Compression.lz4 }));
      expect(brokenHc(value)).not.toBe(standardHc(value));
      expect(value[6]).toBe(brokenHc(value));
    });

    test("magic 1 wrappers are written with the standard checksum", () => {
      const { value } = wrapperParts(encodeMessageSet(inputs(4), { magic: 1, compression: Compression.lz4 }));
      expect(value[6]).toBe(standardHc(value));
    });

    test("magic 0 accepts the broken and the standard checksum", () => {
      const inner = concat(entry(0n, 0, 0, null, null, bytes("a")), entry(1n, 0, 0, null, null, bytes("b")));
      const frame = codecFor(Compression.lz4).compress(inner);
      const broken = new Uint8Array(frame);
      broken[6] = brokenHc(frame);
      for (const value of [frame, broken]) {
        expect(decodeMessageSet(entry(1n, 0, Compression.lz4, null, null, value)).map((m) => str(m.value))).toEqual(["a", "b"]);
      }
    });

    test("magic 1 rejects the broken checksum, as Kafka does", () => {
      const frame = codecFor(Compression.lz4).compress(entry(0n, 1, 0, 1n, null, bytes("a")));
      frame[6] = brokenHc(frame);
      expect(() => decodeMessageSet(entry(0n, 1, Compression.lz4, 1n, null, frame))).toThrow(CorruptRecordError);
    });
  });
});

describe("upconvertMessageSet", () => {
  test("magic 0: one batch, offset deltas 0..n-1, NO_TIMESTAMP, null keys and values kept", () => {
    const messages = inputs(6, 500n);
    const batch = decodeRecordBatch(upconvertMessageSet(encodeMessageSet(messages, { magic: 0 })));
    expect(batch.baseOffset).toBe(0n);
    expect(batch.baseTimestamp).toBe(-1n);
    expect(batch.maxTimestamp).toBe(-1n);
    expect(batch.lastOffsetDelta).toBe(5);
    expect(batch.producerId).toBe(-1n);
    expect(compressionOf(batch.attributes)).toBe(Compression.none);
    expect(batch.records.map((r) => [r.offsetDelta, r.timestampDelta, r.key, r.value, r.headers])).toEqual(
      messages.map((m, i) => [i, 0n, m.key, m.value, []]),
    );
  });

  test("magic 1: timestamps kept, including one earlier than the first", () => {
    const set = concat(entry(0n, 1, 0, 1000n, null, bytes("a")), entry(1n, 1, 0, 900n, null, bytes("b")), entry(2n, 1, 0, 1500n, null, bytes("c")));
    const batch = decodeRecordBatch(upconvertMessageSet(set));
    expect(batch.baseTimestamp).toBe(1000n);
    expect(batch.maxTimestamp).toBe(1500n);
    expect(batch.records.map((r) => batch.baseTimestamp + r.timestampDelta)).toEqual([1000n, 900n, 1500n]);
    expect(timestampTypeOf(batch.attributes)).toBe(0);
  });

  for (const [name, codec] of [["gzip", 1], ["snappy", 2], ["lz4", 3]] as const) {
    for (const magic of [0, 1] as const) {
      test(`magic ${magic} ${name} wrapper becomes a ${name} batch`, () => {
        const messages = inputs(10);
        const batch = decodeRecordBatch(upconvertMessageSet(encodeMessageSet(messages, { magic, compression: codec })));
        expect(compressionOf(batch.attributes)).toBe(codec);
        expect(batch.records.map((r) => [r.offsetDelta, str(r.key), str(r.value)])).toEqual(messages.map((m, i) => [i, str(m.key), str(m.value)]));
      });
    }
  }

  test("several wrappers and plain messages become one batch in order; the last wrapper's codec wins", () => {
    const set = concat(
      encodeMessageSet(inputs(2), { magic: 1, compression: Compression.gzip }),
      entry(0n, 1, 0, 5n, null, bytes("plain")),
      encodeMessageSet(inputs(3), { magic: 1, compression: Compression.snappy }),
    );
    const batch = decodeRecordBatch(upconvertMessageSet(set));
    expect(compressionOf(batch.attributes)).toBe(Compression.snappy);
    expect(batch.records.map((r) => [r.offsetDelta, str(r.value)])).toEqual([
      [0, "value-0-"],
      [1, "value-1-xxxxxxx"],
      [2, "plain"],
      [3, "value-0-"],
      [4, "value-1-xxxxxxx"],
      [5, "value-2-xxxxxxxxxxxxxx"],
    ]);
  });

  test("a LogAppendTime wrapper makes a LogAppendTime batch", () => {
    const set = encodeMessageSet(inputs(2), { magic: 1, compression: Compression.gzip, logAppendTime: 4242n });
    const batch = decodeRecordBatch(upconvertMessageSet(set));
    expect(timestampTypeOf(batch.attributes)).toBe(1);
    expect(batch.maxTimestamp).toBe(4242n);
  });
});

describe("downconvertBatches", () => {
  const ts = 1_700_000_000_000n;
  const record = (i: number, extra: object = {}) => ({ offsetDelta: i, timestampDelta: BigInt(i), key: bytes(`k${i}`), value: bytes(`v${i}`), ...extra });

  test("absolute offsets, magic 1 timestamps, headers dropped, control batches dropped", () => {
    const data = encodeRecordBatch({
      baseOffset: 10n,
      baseTimestamp: ts,
      records: [record(0, { headers: [{ key: "h", value: bytes("x") }] }), record(1)],
    });
    const marker = encodeControlBatch({ producerId: 1n, producerEpoch: 0, commit: true, timestamp: ts });
    view(marker).setBigInt64(0, 12n);
    const more = encodeRecordBatch({ baseOffset: 13n, baseTimestamp: ts + 50n, records: [record(0)] });
    const decoded = decodeMessageSet(downconvertBatches([data, marker, more], 1));
    expect(decoded.map((m) => [m.offset, m.magic, m.timestamp, str(m.key), str(m.value)])).toEqual([
      [10n, 1, ts, "k0", "v0"],
      [11n, 1, ts + 1n, "k1", "v1"],
      [13n, 1, ts + 50n, "k0", "v0"],
    ]);
  });

  test("magic 0 drops timestamps", () => {
    const data = encodeRecordBatch({ baseOffset: 3n, baseTimestamp: ts, records: [record(0)] });
    const set = downconvertBatches([data], 0);
    expect(set[16]).toBe(0);
    expect(decodeMessageSet(set)).toEqual([{ offset: 3n, magic: 0, timestamp: -1n, timestampType: 0, compression: 0, key: bytes("k0"), value: bytes("v0") }]);
  });

  for (const [name, codec] of [["gzip", 1], ["snappy", 2], ["lz4", 3]] as const) {
    for (const magic of [0, 1] as const) {
      test(`a ${name} batch becomes one ${name} wrapper (magic ${magic})`, () => {
        const data = encodeRecordBatch({ baseOffset: 100n, baseTimestamp: ts, compression: codec, records: [0, 1, 2, 3].map((i) => record(i)) });
        const set = downconvertBatches([data], magic);
        expect(set[17]! & 7).toBe(codec);
        expect(view(set).getBigInt64(0)).toBe(103n);
        expect(decodeMessageSet(set).map((m) => [m.offset, m.compression, str(m.value)])).toEqual([0, 1, 2, 3].map((i) => [100n + BigInt(i), codec, `v${i}`]));
      });
    }
  }

  test("zstd has no legacy codec id: its records go uncompressed", () => {
    const data = encodeRecordBatch({ baseOffset: 0n, baseTimestamp: ts, compression: Compression.zstd, records: [record(0), record(1)] });
    const decoded = decodeMessageSet(downconvertBatches([data], 1));
    expect(decoded.map((m) => [m.offset, m.compression, str(m.value)])).toEqual([[0n, 0, "v0"], [1n, 0, "v1"]]);
  });

  test("records before fromOffset are left out, and so are batches left empty", () => {
    const first = encodeRecordBatch({ baseOffset: 0n, baseTimestamp: ts, records: [record(0), record(1)] });
    const second = encodeRecordBatch({ baseOffset: 2n, baseTimestamp: ts, records: [record(0), record(1), record(2)] });
    const decoded = decodeMessageSet(downconvertBatches([first, second], 1, { fromOffset: 3n }));
    expect(decoded.map((m) => m.offset)).toEqual([3n, 4n]);
  });

  test("LogAppendTime: plain messages carry the append time, a wrapper carries it over the inner create times", () => {
    const plain = encodeRecordBatch({ baseTimestamp: ts, timestampType: 1, maxTimestamp: ts + 999n, records: [record(0), record(1)] });
    expect(decodeMessageSet(downconvertBatches([plain], 1)).map((m) => [m.timestamp, m.timestampType])).toEqual([[ts + 999n, 1], [ts + 999n, 1]]);
    const gz = encodeRecordBatch({ baseTimestamp: ts, timestampType: 1, maxTimestamp: ts + 999n, compression: Compression.gzip, records: [record(0)] });
    const set = downconvertBatches([gz], 1);
    expect(set[17]).toBe(Compression.gzip | 0x08);
    expect(view(set).getBigInt64(18)).toBe(ts + 999n);
    expect(decodeMessageSet(set)[0]).toMatchObject({ timestamp: ts + 999n, timestampType: 1 });
  });

  test("nothing to send is an empty set", () => {
    expect(downconvertBatches([], 0).length).toBe(0);
    const marker = encodeControlBatch({ producerId: 1n, producerEpoch: 0, commit: false, timestamp: ts });
    expect(downconvertBatches([marker], 1).length).toBe(0);
  });

  test("up-converting a down-converted log gives the same records back", () => {
    const batches = [
      encodeRecordBatch({ baseOffset: 0n, baseTimestamp: ts, compression: Compression.lz4, records: [0, 1, 2].map((i) => record(i)) }),
      encodeRecordBatch({ baseOffset: 3n, baseTimestamp: ts + 10n, records: [0, 1].map((i) => record(i)) }),
    ];
    const back = decodeRecordBatch(upconvertMessageSet(downconvertBatches(batches, 1)));
    expect(back.records.map((r) => [r.offsetDelta, back.baseTimestamp + r.timestampDelta, str(r.key), str(r.value)])).toEqual([
      [0, ts, "k0", "v0"],
      [1, ts + 1n, "k1", "v1"],
      [2, ts + 2n, "k2", "v2"],
      [3, ts + 10n, "k0", "v0"],
      [4, ts + 11n, "k1", "v1"],
    ]);
  });
});

describe("bad input", () => {
  test("CRC mismatch anywhere in a message is CorruptRecordError", () => {
    const good = entry(0n, 1, 0, 5n, bytes("key"), bytes("value"));
    for (let i = 12; i < good.length; i++) {
      const bad = new Uint8Array(good);
      bad[i] ^= 0x01;
      expect(() => decodeMessageSet(bad)).toThrow(CorruptRecordError);
    }
  });

  test("a flipped byte inside a compressed wrapper is caught by the wrapper's CRC", () => {
    const set = encodeMessageSet(inputs(5), { magic: 1, compression: Compression.gzip });
    const bad = new Uint8Array(set);
    bad[bad.length - 10] ^= 0xff;
    expect(() => upconvertMessageSet(bad)).toThrow(CorruptRecordError);
  });

  describe("truncation at every byte", () => {
    const parts = [
      entry(0n, 1, 0, 5n, bytes("key"), bytes("value")),
      encodeMessageSet(inputs(4, 1n), { magic: 1, compression: Compression.gzip }),
      entry(5n, 1, 0, 6n, null, null),
    ];
    const set = concat(...parts);
    const ends = parts.map((_, i) => parts.slice(0, i + 1).reduce((n, p) => n + p.length, 0));
    const complete = (cut: number) => [1, 5, 6][ends.filter((e) => e <= cut).length - 1] ?? 0;

    test("a Produce message set cut anywhere but between messages is TruncatedMessageError", () => {
      for (let cut = 1; cut < set.length; cut++) {
        const prefix = set.subarray(0, cut);
        if (ends.includes(cut)) expect(decodeRecordBatch(upconvertMessageSet(prefix)).recordCount).toBe(complete(cut));
        else expect(() => upconvertMessageSet(prefix)).toThrow(TruncatedMessageError);
      }
    });

    test("a Fetch response cut anywhere yields the complete messages before the cut", () => {
      for (let cut = 0; cut <= set.length; cut++) {
        expect(decodeMessageSet(set.subarray(0, cut), { allowPartialTail: true }).length).toBe(complete(cut));
      }
    });
  });

  test("structural errors are MalformedMessageError", () => {
    const cases: Array<[string, Uint8Array]> = [
      ["size below the minimum", hex("0000000000000000 0000000d 00000000 00 00 00000000 0000")],
      ["magic 2", entry(0n, 2, 0, 5n, null, bytes("v"))],
      ["negative key length", entry(0n, 0, 0, null, null, bytes("v"), -2)],
      ["magic 1 too short for its timestamp", entry(0n, 1, 0, null, null, null)],
      ["null wrapper value", entry(0n, 1, Compression.gzip, 5n, null, null)],
      ["empty wrapper", entry(0n, 1, Compression.gzip, 5n, null, codecFor(Compression.gzip).compress(new Uint8Array(0)))],
      [
        "nested compression",
        entry(0n, 1, Compression.gzip, 5n, null, codecFor(Compression.gzip).compress(encodeMessageSet(inputs(2), { magic: 1, compression: Compression.gzip }))),
      ],
      ["magic 0 inside magic 1", entry(0n, 1, Compression.gzip, 5n, null, codecFor(Compression.gzip).compress(entry(0n, 0, 0, null, null, bytes("v"))))],
    ];
    for (const [name, set] of cases) {
      expect(() => decodeMessageSet(set), name).toThrow(MalformedMessageError);
    }
    expect(() => upconvertMessageSet(new Uint8Array(0))).toThrow(MalformedMessageError);
  });

  test("fields that do not fill the declared size are malformed", () => {
    const m = entry(0n, 0, 0, null, null, bytes("v"));
    const padded = new Uint8Array(m.length + 1);
    padded.set(m);
    view(padded).setInt32(8, view(m).getInt32(8) + 1);
    view(padded).setUint32(12, crc32(padded.subarray(16)));
    expect(() => decodeMessageSet(padded)).toThrow(MalformedMessageError);
  });

  test("a key longer than its message is TruncatedMessageError", () => {
    expect(() => decodeMessageSet(entry(0n, 0, 0, null, bytes("k"), bytes("v"), 50))).toThrow(TruncatedMessageError);
  });

  test("zstd and unknown codecs are UnsupportedCompressionError", () => {
    const zstd = entry(0n, 1, Compression.zstd, 5n, null, codecFor(Compression.zstd).compress(entry(0n, 1, 0, 5n, null, bytes("v"))));
    expect(() => decodeMessageSet(zstd)).toThrow(UnsupportedCompressionError);
    expect(() => decodeMessageSet(entry(0n, 1, 6, 5n, null, bytes("v")))).toThrow(UnsupportedCompressionError);
    expect(() => encodeMessageSet(inputs(1), { magic: 1, compression: Compression.zstd })).toThrow(UnsupportedCompressionError);
  });

  test("a decompression bomb stops at maxDecompressedBytes", () => {
    const big = encodeMessageSet([{ offset: 0n, timestamp: 0n, key: null, value: new Uint8Array(100_000) }], { magic: 1, compression: Compression.gzip });
    expect(() => decodeMessageSet(big, { maxDecompressedBytes: 10_000 })).toThrow(MalformedMessageError);
  });
});
