import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { lz4Compress as wasmLz4Compress, lz4Decompress as wasmLz4Decompress, snappyCompress as wasmSnappyCompress, snappyDecompress as wasmSnappyDecompress } from "@platformatic/wasm-utils";
import { codecFor, DEFAULT_MAX_DECOMPRESSED_BYTES } from "../../src/protocol/compression/index.ts";
import { lz4Compress, lz4Decompress } from "../../src/protocol/compression/lz4.ts";
import { snappyCompress, snappyDecompress } from "../../src/protocol/compression/snappy.ts";
import { xxhash32 } from "../../src/protocol/compression/xxhash32.ts";
import { CorruptRecordError, MalformedMessageError, ProtocolError, UnsupportedCompressionError } from "../../src/protocol/errors.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/codecs");
const CODEC_IDS = [0, 1, 2, 3, 4];
const MAX = DEFAULT_MAX_DECOMPRESSED_BYTES;

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    bytes[i] = seed >>> 24;
  }
  return bytes;
}

/** Inputs that exercise literals, short overlapping copies, long runs and block boundaries. */
function samples(): Array<[string, Uint8Array]> {
  const text = fixture("text.raw");
  const lowEntropy = pseudoRandomBytes(200_000, 7).map((b) => b & 3);
  return [
    ["empty", new Uint8Array(0)],
    ["one byte", new Uint8Array([42])],
    ["short", new TextEncoder().encode("abcabcabcabcabcabcabcabc")],
    ["text", text],
    ["random", pseudoRandomBytes(150_000, 1)],
    ["low entropy", lowEntropy],
    ["zeros 1 MiB", new Uint8Array(1 << 20)],
    ["65535", text.subarray(0, 65535)],
    ["65536", text.subarray(0, 65536)],
    ["65537", text.subarray(0, 65537)],
    ["period 1..20 runs", Uint8Array.from({ length: 5000 }, (_, i) => (i % (1 + ((i >> 8) % 20))) + 65)],
  ];
}

function equalBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.from(actual).equals(Buffer.from(expected))).toBe(true);
}

describe("codec fixtures from other implementations", () => {
  const manifest: Array<{ file: string; codec: number; source: string; by: string }> = JSON.parse(
    readFileSync(join(FIXTURES, "manifest.json"), "utf8"),
  );
  for (const entry of manifest) {
    test(`${entry.file} (${entry.by})`, () => {
      equalBytes(codecFor(entry.codec).decompress(fixture(entry.file), MAX), fixture(`${entry.source}.raw`));
    });
  }

  test("the fixtures cover every LZ4 frame feature we decode", () => {
    const flags = manifest.filter((e) => e.codec === 3).map((e) => fixture(e.file)[4]!);
    expect(flags.some((f) => (f & 0x20) === 0)).toBe(true); // linked blocks
    expect(flags.some((f) => f & 0x10)).toBe(true); // block checksums
    expect(flags.some((f) => f & 0x08)).toBe(true); // content size
    expect(flags.some((f) => f & 0x04)).toBe(true); // content checksum
  });
});

describe("round trips", () => {
  for (const id of CODEC_IDS) {
    for (const [name, input] of samples()) {
      test(`${codecFor(id).name}: ${name}`, () => {
        const codec = codecFor(id);
        equalBytes(codec.decompress(codec.compress(input), MAX), input);
      });
    }
  }
});

describe("interop with @platformatic/wasm-utils (Rust snappy and lz4_flex)", () => {
  // That library throws on empty input once its wasm memory has grown (it keeps a detached view), so empty
  // inputs are covered by the fixtures instead.
  for (const [name, input] of samples().filter(([, bytes]) => bytes.length > 0)) {
    test(`snappy: ${name}`, () => {
      equalBytes(new Uint8Array(wasmSnappyDecompress(Buffer.from(snappyCompress(input)))), input);
      equalBytes(snappyDecompress(new Uint8Array(wasmSnappyCompress(Buffer.from(input))), MAX), input);
    });
    test(`lz4: ${name}`, () => {
      equalBytes(new Uint8Array(wasmLz4Decompress(Buffer.from(lz4Compress(input)))), input);
      equalBytes(lz4Decompress(new Uint8Array(wasmLz4Compress(Buffer.from(input))), MAX), input);
    });
  }

  test("our LZ4 frames use Kafka's settings: independent 64 KiB blocks, no checksums but the header's", () => {
    const frame = lz4Compress(fixture("text.raw"));
    expect(frame[4]).toBe(0x60);
    expect(frame[5]).toBe(0x40);
    expect(frame[6]).toBe((xxhash32(frame, 0, 4, 6) >>> 8) & 0xff);
  });
});

describe("hand-checked vectors", () => {
  test("snappy: literal then overlapping copy", () => {
    // Preamble 10, literal "ab" (tag (2-1)<<2), copy1 of length 8 at offset 2: ((8-4)<<2)|1, offset byte 2.
    const input = new Uint8Array([10, 0x04, 0x61, 0x62, 0x11, 0x02]);
    expect(new TextDecoder().decode(snappyDecompress(input, MAX))).toBe("ababababab");
  });

  test("snappy: copy with 2- and 4-byte offsets", () => {
    // Preamble 8, literal "wxyz", copy2 length 2 offset 4 ("wx"), copy4 length 2 offset 4 ("yz").
    const input = new Uint8Array([8, 0x0c, 0x77, 0x78, 0x79, 0x7a, 0x06, 4, 0, 0x07, 4, 0, 0, 0]);
    expect(new TextDecoder().decode(snappyDecompress(input, MAX))).toBe("wxyzwxyz");
  });

  test("lz4: a frame built by hand with one compressed block", () => {
    // Block: token 0x14 (1 literal, match 4+4), "a", offset 1; then token 0x10 (1 literal) "b".
    const block = [0x14, 0x61, 0x01, 0x00, 0x10, 0x62];
    const header = new Uint8Array([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0]);
    header[6] = (xxhash32(header, 0, 4, 6) >>> 8) & 0xff;
    const frame = new Uint8Array([...header, block.length, 0, 0, 0, ...block, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(lz4Decompress(frame, MAX))).toBe("aaaaaaaaab");
  });

  test("xxhash32 reference values", () => {
    const utf8 = new TextEncoder();
    expect(xxhash32(utf8.encode(""))).toBe(0x02cc5d05);
    expect(xxhash32(utf8.encode("a"))).toBe(0x550d7456);
    expect(xxhash32(utf8.encode("abc"))).toBe(0x32d153ff);
    expect(xxhash32(utf8.encode("Nobody inspects the spammish repetition"))).toBe(0xe2293b2f);
  });
});

describe("decompression cap", () => {
  const zeros = new Uint8Array(8 << 20);
  for (const id of [1, 2, 3, 4]) {
    test(`${codecFor(id).name}: output past the cap is MalformedMessageError`, () => {
      const codec = codecFor(id);
      const compressed = codec.compress(zeros);
      expect(() => codec.decompress(compressed, 1 << 20)).toThrow(MalformedMessageError);
      expect(codec.decompress(compressed, zeros.length).length).toBe(zeros.length);
    });
  }

  test("snappy refuses a huge declared length before allocating it", () => {
    // Preamble 0xFFFFFFFF then nothing.
    expect(() => snappyDecompress(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), MAX)).toThrow(MalformedMessageError);
  });

  test("xerial snappy refuses blocks whose declared lengths add up past the cap", () => {
    const block = snappyCompress(new Uint8Array(1000));
    const framed = new Uint8Array(16 + 2 * (4 + block.length));
    framed.set([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    const view = new DataView(framed.buffer);
    view.setInt32(16, block.length);
    framed.set(block, 20);
    view.setInt32(20 + block.length, block.length);
    framed.set(block, 24 + block.length);
    expect(snappyDecompress(framed, 2000).length).toBe(2000);
    expect(() => snappyDecompress(framed, 1999)).toThrow(MalformedMessageError);
  });

  test("lz4 refuses a declared content size past the cap", () => {
    const frame = fixture("text.size.lz4");
    expect(() => lz4Decompress(frame, 1000)).toThrow(MalformedMessageError);
  });

  test("gzip and zstd bombs of 64 MiB stop at the cap", () => {
    const bomb = new Uint8Array(64 << 20);
    expect(() => codecFor(1).decompress(gzipSync(bomb, { level: 9 }), 1 << 20)).toThrow(MalformedMessageError);
    expect(() => codecFor(4).decompress(zstdCompressSync(bomb), 1 << 20)).toThrow(MalformedMessageError);
  });
});

describe("corrupt input gives typed errors", () => {
  const text = fixture("text.raw").subarray(0, 3000);

  for (const id of [2, 3]) {
    test(`${codecFor(id).name}: every truncation is CorruptRecordError`, () => {
      const codec = codecFor(id);
      const compressed = codec.compress(text);
      for (let n = 0; n < compressed.length; n++) {
        expect(() => codec.decompress(compressed.subarray(0, n), MAX)).toThrow(CorruptRecordError);
      }
    });
  }

  test("gzip: truncation is CorruptRecordError", () => {
    const compressed = codecFor(1).compress(text);
    for (const n of [0, 5, 10, compressed.length >> 1, compressed.length - 1]) {
      expect(() => codecFor(1).decompress(compressed.subarray(0, n), MAX)).toThrow(CorruptRecordError);
    }
  });

  test("zstd: garbage is CorruptRecordError", () => {
    expect(() => codecFor(4).decompress(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), MAX)).toThrow(CorruptRecordError);
  });

  for (const id of [1, 2, 3, 4]) {
    test(`${codecFor(id).name}: single-byte corruptions never escape as untyped errors`, () => {
      const codec = codecFor(id);
      const compressed = codec.compress(text);
      for (let i = 0; i < compressed.length; i += 7) {
        const damaged = compressed.slice();
        damaged[i]! ^= 0x5a;
        try {
          codec.decompress(damaged, 1 << 20);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }
    });
  }

  test("snappy: copy offset before the start of the output", () => {
    expect(() => snappyDecompress(new Uint8Array([4, 0x01, 0x01]), MAX)).toThrow(CorruptRecordError);
  });

  test("snappy: output shorter than the preamble declares", () => {
    expect(() => snappyDecompress(new Uint8Array([5, 0x00, 0x61]), MAX)).toThrow(CorruptRecordError);
  });

  test("lz4: header, block and content checksums are verified", () => {
    const damageAt = (name: string, index: number) => {
      const frame = fixture(name).slice();
      frame[index]! ^= 1;
      return frame;
    };
    expect(() => lz4Decompress(damageAt("short.lz4", 6), MAX)).toThrow(/header checksum/);
    const withBlockCrc = fixture("text.blockcrc.lz4");
    const firstBlockSize = new DataView(withBlockCrc.buffer, withBlockCrc.byteOffset).getUint32(7, true) & 0x7fffffff;
    expect(() => lz4Decompress(damageAt("text.blockcrc.lz4", 11 + firstBlockSize), MAX)).toThrow(/block checksum/);
    const short = fixture("short.lz4");
    expect(() => lz4Decompress(damageAt("short.lz4", short.length - 1), MAX)).toThrow(/content checksum/);
  });

  test("lz4: bytes after the frame are rejected", () => {
    expect(() => lz4Decompress(new Uint8Array([...fixture("short.lz4"), 0]), MAX)).toThrow(CorruptRecordError);
  });

  test("unknown codec ids 5-7 are UnsupportedCompressionError", () => {
    for (const id of [5, 6, 7]) expect(() => codecFor(id)).toThrow(UnsupportedCompressionError);
  });
});
