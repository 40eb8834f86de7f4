import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { crc32c } from "../../src/protocol/crc32c.ts";
import {
  CorruptRecordError,
  MalformedMessageError,
  ProtocolError,
  TruncatedMessageError,
  UnsupportedCompressionError,
} from "../../src/protocol/errors.ts";
import {
  BATCH_HEADER_BYTES,
  Compression,
  compressionOf,
  decodeControlRecord,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeControlBatch,
  encodeRecordBatch,
  isControl,
  isTransactional,
  readBatchHeader,
  setBaseOffset,
  setPartitionLeaderEpoch,
  setLogAppendTime,
  splitBatches,
  timestampTypeOf,
  type KafkaRecord,
  type RecordInput,
} from "../../src/protocol/record-batch.ts";

const BATCHES = join(import.meta.dir, "../fixtures/batches");
const utf8 = new TextEncoder();
const text = new TextDecoder();

function bytes(s: string): Uint8Array {
  return utf8.encode(s);
}

function str(b: Uint8Array | null): string | null {
  return b === null ? null : text.decode(b);
}

/** Fixes the CRC after a test edits a batch, so the edit reaches the record parser. */
function resealCrc(batch: Uint8Array): void {
  new DataView(batch.buffer, batch.byteOffset).setUint32(17, crc32c(batch, 0, 21, batch.length));
}

const RECORDS: RecordInput[] = [
  { offsetDelta: 0, timestampDelta: 0n, key: bytes("k0"), value: bytes("v0"), headers: [{ key: "h", value: bytes("x") }] },
  { offsetDelta: 1, timestampDelta: 3n, key: null, value: bytes("no key") },
  { offsetDelta: 2, timestampDelta: -2n, key: bytes("tombstone"), value: null },
  { offsetDelta: 3, timestampDelta: 1n << 40n, key: bytes("k3"), value: new Uint8Array(3000).fill(7), headers: [{ key: "ключ", value: null }, { key: "", value: new Uint8Array(0) }] },
  { offsetDelta: 0x7fffffff, timestampDelta: -(1n << 62n), key: new Uint8Array(0), value: new Uint8Array(0) },
];

function expectRecords(actual: KafkaRecord[], expected: RecordInput[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((record, i) => {
    const want = expected[i]!;
    expect(record.offsetDelta).toBe(want.offsetDelta);
    expect(record.timestampDelta).toBe(want.timestampDelta ?? 0n);
    expect(record.attributes).toBe(want.attributes ?? 0);
    expect(record.key === null ? null : [...record.key]).toEqual(want.key ? [...want.key] : null);
    expect(record.value === null ? null : [...record.value]).toEqual(want.value ? [...want.value] : null);
    expect(record.headers.map((h) => [h.key, h.value === null ? null : [...h.value]])).toEqual(
      (want.headers ?? []).map((h) => [h.key, h.value === null ? null : [...h.value]]),
    );
  });
}

describe("fixtures from real clients", () => {
  const names = readdirSync(BATCHES).filter((f) => f.endsWith(".bin"));

  test("every client and codec is represented", () => {
    expect(names.sort()).toEqual(
      [
        "kafkajs-gzip",
        "kafkajs-none",
        "kafkajs-none-transactional",
        ...["gzip", "lz4", "none", "snappy", "zstd"].map((c) => `librdkafka-${c}`),
        ...["gzip", "lz4", "none", "snappy", "zstd"].map((c) => `platformatic-${c}`),
      ].map(
        (n) => `${n}.bin`,
      ).sort(),
    );
  });

  for (const name of names) {
    test(name, () => {
      const batchBytes = new Uint8Array(readFileSync(join(BATCHES, name)));
      const want = JSON.parse(readFileSync(join(BATCHES, name.replace(".bin", ".json")), "utf8"));
      const [split] = splitBatches(batchBytes);
      expect(split!.bytes.length).toBe(batchBytes.length);
      const batch = decodeRecordBatch(batchBytes);
      expect(compressionOf(batch.attributes)).toBe(want.compression);
      expect(isTransactional(batch.attributes)).toBe(want.transactional);
      expect(isControl(batch.attributes)).toBe(false);
      expect(batch.baseTimestamp).toBe(BigInt(want.baseTimestamp));
      expect(batch.maxTimestamp).toBe(BigInt(want.maxTimestamp));
      expect(batch.lastOffsetDelta).toBe(want.lastOffsetDelta);
      expect(batch.producerId).toBe(BigInt(want.producerId));
      expect(batch.producerEpoch).toBe(want.producerEpoch);
      expect(batch.baseSequence).toBe(want.baseSequence);
      expect(batch.recordCount).toBe(want.records.length);
      expect(
        batch.records.map((r) => ({
          offsetDelta: r.offsetDelta,
          timestampDelta: Number(r.timestampDelta),
          key: str(r.key),
          value: str(r.value),
          headers: r.headers.map((h) => [h.key, str(h.value)]),
        })),
      ).toEqual(want.records);
    });
  }

  test("uncompressed encoding is byte-identical to kafkajs and @platformatic/kafka", () => {
    for (const name of ["kafkajs-none", "kafkajs-none-transactional", "platformatic-none"]) {
      const original = new Uint8Array(readFileSync(join(BATCHES, `${name}.bin`)));
      const batch = decodeRecordBatch(original);
      const encoded = encodeRecordBatch({ ...batch, records: batch.records });
      expect(Buffer.from(encoded).equals(Buffer.from(original))).toBe(true);
    }
  });
});

describe("round trips", () => {
  for (const [name, id] of Object.entries(Compression)) {
    test(`${name}: records with headers, null keys and values, extreme deltas`, () => {
      const encoded = encodeRecordBatch({
        baseOffset: 1234n,
        partitionLeaderEpoch: 9,
        compression: id,
        baseTimestamp: 1_700_000_000_000n,
        producerId: 77n,
        producerEpoch: 2,
        baseSequence: 100,
        records: RECORDS,
      });
      const batch = decodeRecordBatch(encoded);
      expect(batch.baseOffset).toBe(1234n);
      expect(batch.batchLength).toBe(encoded.length - 12);
      expect(batch.partitionLeaderEpoch).toBe(9);
      expect(batch.magic).toBe(2);
      expect(compressionOf(batch.attributes)).toBe(id);
      expect(batch.lastOffsetDelta).toBe(0x7fffffff);
      expect(batch.maxTimestamp).toBe(1_700_000_000_000n + (1n << 40n));
      expect(batch.producerId).toBe(77n);
      expect(batch.producerEpoch).toBe(2);
      expect(batch.baseSequence).toBe(100);
      expect(batch.recordCount).toBe(RECORDS.length);
      expectRecords(batch.records, RECORDS);
    });
  }

  test("defaults: no producer, epoch -1, create time, lastOffsetDelta and maxTimestamp from the records", () => {
    const batch = decodeRecordBatch(encodeRecordBatch({ baseTimestamp: 10n, records: [{ offsetDelta: 0 }, { offsetDelta: 4, timestampDelta: 6n }] }));
    expect(batch.baseOffset).toBe(0n);
    expect(batch.partitionLeaderEpoch).toBe(-1);
    expect(batch.producerId).toBe(-1n);
    expect(batch.producerEpoch).toBe(-1);
    expect(batch.baseSequence).toBe(-1);
    expect(batch.attributes).toBe(0);
    expect(batch.lastOffsetDelta).toBe(4);
    expect(batch.maxTimestamp).toBe(16n);
    expectRecords(batch.records, [{ offsetDelta: 0 }, { offsetDelta: 4, timestampDelta: 6n }]);
  });

  test("explicit lastOffsetDelta and maxTimestamp survive (compaction keeps them)", () => {
    const batch = decodeRecordBatch(
      encodeRecordBatch({ baseTimestamp: 10n, maxTimestamp: 99n, lastOffsetDelta: 9, records: [{ offsetDelta: 2 }] }),
    );
    expect(batch.lastOffsetDelta).toBe(9);
    expect(batch.maxTimestamp).toBe(99n);
    const empty = decodeRecordBatch(encodeRecordBatch({ baseTimestamp: 10n, lastOffsetDelta: 3, records: [] }));
    expect(empty.recordCount).toBe(0);
    expect(empty.lastOffsetDelta).toBe(3);
  });

  test("attribute flags and helpers", () => {
    const attributes = decodeRecordBatch(
      encodeRecordBatch({ baseTimestamp: 0n, compression: Compression.lz4, transactional: true, timestampType: 1, records: [{ offsetDelta: 0 }] }),
    ).attributes;
    expect(attributes).toBe(0x10 | 0x08 | 3);
    expect(compressionOf(attributes)).toBe(Compression.lz4);
    expect(isTransactional(attributes)).toBe(true);
    expect(isControl(attributes)).toBe(false);
    expect(timestampTypeOf(attributes)).toBe(1);
    expect(timestampTypeOf(0)).toBe(0);
    // Explicit options override the bits of a starting `attributes`.
    const overridden = readBatchHeader(
      encodeRecordBatch({ baseTimestamp: 0n, attributes: 0x10 | 0x08 | 1, compression: 0, transactional: false, timestampType: 0, records: [] }),
    ).attributes;
    expect(overridden).toBe(0);
  });

  test("unknown codec ids in attributes are UnsupportedCompressionError", () => {
    const batch = encodeRecordBatch({ baseTimestamp: 0n, records: [{ offsetDelta: 0 }] });
    new DataView(batch.buffer).setInt16(21, 5);
    resealCrc(batch);
    expect(() => decodeRecordBatch(batch)).toThrow(UnsupportedCompressionError);
    expect(() => encodeRecordBatch({ baseTimestamp: 0n, compression: 6, records: [] })).toThrow(UnsupportedCompressionError);
  });
});

describe("control batches", () => {
  for (const commit of [true, false]) {
    test(commit ? "commit marker" : "abort marker", () => {
      const encoded = encodeControlBatch({ producerId: 5n, producerEpoch: 1, commit, timestamp: 123n, coordinatorEpoch: 7 });
      const batch = decodeRecordBatch(encoded);
      expect(isControl(batch.attributes)).toBe(true);
      expect(isTransactional(batch.attributes)).toBe(true);
      expect(batch.producerId).toBe(5n);
      expect(batch.producerEpoch).toBe(1);
      expect(batch.baseTimestamp).toBe(123n);
      expect(batch.maxTimestamp).toBe(123n);
      expect(batch.lastOffsetDelta).toBe(0);
      expect(batch.records.length).toBe(1);
      const record = batch.records[0]!;
      expect([...record.key!]).toEqual([0, 0, 0, commit ? 1 : 0]);
      expect(decodeControlRecord(record.key!, record.value)).toEqual({ type: commit ? "commit" : "abort", version: 0, coordinatorEpoch: 7 });
    });
  }

  test("malformed control records", () => {
    expect(() => decodeControlRecord(new Uint8Array([0, 0, 0]), new Uint8Array(6))).toThrow(TruncatedMessageError);
    expect(() => decodeControlRecord(new Uint8Array([0, 0, 0, 2]), new Uint8Array(6))).toThrow(MalformedMessageError);
    expect(() => decodeControlRecord(new Uint8Array([0, 0, 0, 1]), null)).toThrow(MalformedMessageError);
    expect(() => decodeControlRecord(new Uint8Array([0, 0, 0, 1]), new Uint8Array(5))).toThrow(TruncatedMessageError);
  });
});

describe("splitBatches", () => {
  const a = encodeRecordBatch({ baseOffset: 0n, baseTimestamp: 1n, records: RECORDS.slice(0, 2) });
  const b = encodeRecordBatch({ baseOffset: 2n, baseTimestamp: 2n, compression: Compression.gzip, records: RECORDS.slice(2) });
  const both = new Uint8Array([...a, ...b]);

  test("returns views of each batch without copying", () => {
    const split = splitBatches(both);
    expect(split.map((s) => s.header.baseOffset)).toEqual([0n, 2n]);
    expect(split[0]!.bytes.buffer).toBe(both.buffer);
    expect(split[1]!.bytes.byteOffset).toBe(a.length);
    expect(split[1]!.bytes.length).toBe(b.length);
    expect(decodeRecordBatches(both).map((batch) => batch.records.length)).toEqual([2, 3]);
  });

  test("every truncation is TruncatedMessageError, or drops the partial tail when allowed", () => {
    for (let n = 1; n < both.length; n++) {
      const cut = both.subarray(0, n);
      if (n === a.length) {
        expect(splitBatches(cut).length).toBe(1);
        continue;
      }
      expect(() => splitBatches(cut)).toThrow(TruncatedMessageError);
      expect(splitBatches(cut, { allowPartialTail: true }).length).toBe(n < a.length ? 0 : 1);
      expect(decodeRecordBatches(cut, { allowPartialTail: true }).length).toBe(n < a.length ? 0 : 1);
    }
  });

  test("CRC mismatch is CorruptRecordError unless verification is off", () => {
    for (const index of [21, 40, 61, a.length - 1]) {
      const damaged = both.slice();
      damaged[index]! ^= 0x01;
      expect(() => splitBatches(damaged)).toThrow(CorruptRecordError);
      expect(() => decodeRecordBatch(damaged.subarray(0, a.length))).toThrow(CorruptRecordError);
      expect(splitBatches(damaged, { verifyCrc: false }).length).toBe(2);
    }
    // baseOffset, batchLength's neighbours and the leader epoch lie outside the CRC.
    const relabelled = both.slice();
    relabelled[7] = 99;
    relabelled[15] = 3;
    expect(splitBatches(relabelled).length).toBe(2);
  });

  test("magic 0 and 1 are MalformedMessageError", () => {
    for (const magic of [0, 1, 3]) {
      const legacy = a.slice();
      legacy[16] = magic;
      expect(() => splitBatches(legacy)).toThrow(MalformedMessageError);
      expect(() => splitBatches(legacy)).toThrow(/magic/);
      expect(() => readBatchHeader(legacy)).toThrow(MalformedMessageError);
    }
  });

  test("impossible batch lengths", () => {
    const view = (batch: Uint8Array) => new DataView(batch.buffer, batch.byteOffset);
    const negative = a.slice();
    view(negative).setInt32(8, -1);
    expect(() => splitBatches(negative)).toThrow(MalformedMessageError);
    expect(() => splitBatches(negative, { allowPartialTail: true })).toThrow(MalformedMessageError);
    const belowHeader = a.slice();
    view(belowHeader).setInt32(8, BATCH_HEADER_BYTES - 13);
    expect(() => splitBatches(belowHeader)).toThrow(MalformedMessageError);
    const huge = a.slice();
    view(huge).setInt32(8, 0x7fffffff);
    expect(() => splitBatches(huge)).toThrow(TruncatedMessageError);
    expect(splitBatches(huge, { allowPartialTail: true })).toEqual([]);
  });

  test("empty input has no batches", () => {
    expect(splitBatches(new Uint8Array(0))).toEqual([]);
  });
});

describe("decodeRecordBatch rejects inconsistent contents", () => {
  const batch = () => encodeRecordBatch({ baseTimestamp: 0n, records: RECORDS.slice(0, 3) });

  test("every truncation is TruncatedMessageError", () => {
    const whole = batch();
    for (let n = 0; n < whole.length; n++) expect(() => decodeRecordBatch(whole.subarray(0, n))).toThrow(TruncatedMessageError);
  });

  test("trailing bytes after the batch", () => {
    expect(() => decodeRecordBatch(new Uint8Array([...batch(), 0]))).toThrow(MalformedMessageError);
  });

  test("record count larger or smaller than the records present", () => {
    for (const [count, error] of [
      [4, TruncatedMessageError],
      [2, MalformedMessageError],
      [-1, MalformedMessageError],
      [0x7fffffff, TruncatedMessageError],
    ] as const) {
      const edited = batch();
      new DataView(edited.buffer).setInt32(57, count);
      resealCrc(edited);
      expect(() => decodeRecordBatch(edited)).toThrow(error);
    }
  });

  test("a record length past the batch, and a key length past the record", () => {
    const edited = batch();
    edited[61] = 0xfe; // first record's length varint becomes large (and continues into the next byte)
    resealCrc(edited);
    expect(() => decodeRecordBatch(edited)).toThrow(ProtocolError);
    const single = encodeRecordBatch({ baseTimestamp: 0n, records: [{ offsetDelta: 0, key: bytes("abc"), value: null }] });
    // Record: length, attributes, timestampDelta, offsetDelta, key length (zigzag 3 = 6) at byte 61 + 4.
    expect(single[65]).toBe(6);
    single[65] = 100;
    resealCrc(single);
    expect(() => decodeRecordBatch(single)).toThrow(TruncatedMessageError);
  });

  test("null and invalid UTF-8 header keys", () => {
    const withHeader = () => encodeRecordBatch({ baseTimestamp: 0n, records: [{ offsetDelta: 0, key: null, value: null, headers: [{ key: "ab", value: null }] }] });
    const nullKey = withHeader();
    // Header key length (zigzag 2 = 4) sits after length, attributes, timestampDelta, offsetDelta, key, value, count.
    expect(nullKey[68]).toBe(4);
    nullKey[68] = 1; // zigzag -1
    resealCrc(nullKey);
    expect(() => decodeRecordBatch(nullKey)).toThrow(MalformedMessageError);
    const badUtf8 = withHeader();
    badUtf8[69] = 0xff;
    resealCrc(badUtf8);
    expect(() => decodeRecordBatch(badUtf8)).toThrow(/UTF-8/);
  });

  for (const [name, id] of Object.entries(Compression)) {
    test(`${name}: any single-byte change with a resealed CRC decodes or throws a ProtocolError`, () => {
      const original = encodeRecordBatch({ baseTimestamp: 0n, compression: id, records: RECORDS.slice(0, 4) });
      for (let i = BATCH_HEADER_BYTES; i < original.length; i += 3) {
        const edited = original.slice();
        edited[i]! ^= 0xa5;
        resealCrc(edited);
        try {
          decodeRecordBatch(edited, { maxDecompressedBytes: 1 << 20 });
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }
    });
  }

  test("zip bomb: decompressed records past maxDecompressedBytes are MalformedMessageError", () => {
    for (const compression of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
      const bomb = encodeRecordBatch({ baseTimestamp: 0n, compression, records: [{ offsetDelta: 0, value: new Uint8Array(4 << 20) }] });
      expect(bomb.length).toBeLessThan(1 << 20);
      expect(() => decodeRecordBatch(bomb, { maxDecompressedBytes: 1 << 20 })).toThrow(MalformedMessageError);
      expect(decodeRecordBatch(bomb).records[0]!.value!.length).toBe(4 << 20);
    }
  });
});

describe("in-place patches", () => {
  test("setBaseOffset leaves the CRC valid", () => {
    const batch = encodeRecordBatch({ baseTimestamp: 5n, records: RECORDS.slice(0, 2) });
    const crc = readBatchHeader(batch).crc;
    setBaseOffset(batch, 987654321012n);
    expect(readBatchHeader(batch).baseOffset).toBe(987654321012n);
    expect(readBatchHeader(batch).crc).toBe(crc);
    expect(splitBatches(batch).length).toBe(1);
  });

  test("setLogAppendTime stamps maxTimestamp and the type bit and reseals the CRC", () => {
    const records = new Uint8Array([
      ...encodeRecordBatch({ baseTimestamp: 5n, records: RECORDS.slice(0, 1) }),
      ...encodeRecordBatch({ baseTimestamp: 5n, compression: Compression.zstd, records: RECORDS.slice(0, 2) }),
    ]);
    const second = splitBatches(records)[1]!.bytes;
    setLogAppendTime(second, 1_700_000_000_123n);
    const [, header] = splitBatches(records).map((s) => s.header);
    expect(header!.maxTimestamp).toBe(1_700_000_000_123n);
    expect(timestampTypeOf(header!.attributes)).toBe(1);
    expect(compressionOf(header!.attributes)).toBe(Compression.zstd);
    expectRecords(decodeRecordBatch(second).records, RECORDS.slice(0, 2));
  });

  test("patches refuse what is not a whole magic-2 batch", () => {
    expect(() => setBaseOffset(new Uint8Array(20), 1n)).toThrow(TruncatedMessageError);
    const legacy = encodeRecordBatch({ baseTimestamp: 0n, records: [] });
    legacy[16] = 1;
    expect(() => setLogAppendTime(legacy, 1n)).toThrow(MalformedMessageError);
    const cut = encodeRecordBatch({ baseTimestamp: 0n, records: RECORDS.slice(0, 1) });
    expect(() => setLogAppendTime(cut.subarray(0, cut.length - 1), 1n)).toThrow(TruncatedMessageError);
  });
});

test("setPartitionLeaderEpoch stamps the epoch and leaves the CRC valid", () => {
  const bytes = encodeRecordBatch({ baseTimestamp: 0n, records: [{ offsetDelta: 0, value: new Uint8Array([1]) }] });
  setPartitionLeaderEpoch(bytes, 7);
  expect(readBatchHeader(bytes).partitionLeaderEpoch).toBe(7);
  expect(() => splitBatches(bytes)).not.toThrow();
});
