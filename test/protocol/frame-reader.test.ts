import { describe, expect, test } from "bun:test";
import { FrameTooLargeError, MalformedMessageError } from "../../src/protocol/errors.ts";
import { DEFAULT_MAX_FRAME_BYTES, FrameReader } from "../../src/protocol/frame-reader.ts";
import { concat, frame } from "./frames.ts";

function payload(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

function asArrays(frames: Uint8Array[]): number[][] {
  return frames.map((f) => [...f]);
}

describe("FrameReader", () => {
  const payloads = [payload(10, 1), payload(0, 2), payload(3, 3), payload(300, 4)];
  const stream = concat(payloads.map(frame));

  test("several frames in one chunk come back as views of that chunk", () => {
    const reader = new FrameReader();
    const frames = reader.push(stream);
    expect(asArrays(frames)).toEqual(asArrays(payloads));
    for (const f of frames) expect(f.buffer).toBe(stream.buffer);
    expect(reader.buffered).toBe(0);
  });

  test("a stream split at every possible pair of boundaries yields the same frames", () => {
    for (let first = 0; first <= stream.length; first++) {
      for (let second = first; second <= stream.length; second += 7) {
        const reader = new FrameReader();
        const frames = [
          ...reader.push(stream.subarray(0, first)),
          ...reader.push(stream.subarray(first, second)),
          ...reader.push(stream.subarray(second)),
        ];
        expect(asArrays(frames)).toEqual(asArrays(payloads));
        expect(reader.buffered).toBe(0);
      }
    }
  });

  test("byte-at-a-time delivery, with buffered counting the held bytes", () => {
    const reader = new FrameReader();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) {
      const before = reader.buffered;
      const out = reader.push(stream.subarray(i, i + 1));
      frames.push(...out);
      const consumed = out.reduce((n, f) => n + 4 + f.length, 0);
      expect(reader.buffered).toBe(before + 1 - consumed);
    }
    expect(asArrays(frames)).toEqual(asArrays(payloads));
  });

  test("a frame assembled across chunks does not alias them, so the chunks may be reused", () => {
    const reader = new FrameReader();
    const wire = frame(payload(100, 9));
    const chunk = new Uint8Array(60);
    chunk.set(wire.subarray(0, 60));
    expect(reader.push(chunk)).toEqual([]);
    chunk.fill(0); // the socket layer reuses its buffer
    chunk.set(wire.subarray(60));
    const [assembled] = reader.push(chunk.subarray(0, wire.length - 60));
    chunk.fill(0);
    expect([...assembled!]).toEqual([...payload(100, 9)]);
  });

  test("a frame at exactly the maximum is accepted; one byte more throws before allocating", () => {
    const reader = new FrameReader({ maxFrameBytes: 16 });
    expect(asArrays(reader.push(frame(payload(16, 5))))).toEqual([[...payload(16, 5)]]);
    const header = new Uint8Array(4);
    new DataView(header.buffer).setInt32(0, 17);
    expect(() => new FrameReader({ maxFrameBytes: 16 }).push(header)).toThrow(FrameTooLargeError);
  });

  test("an oversized prefix split across chunks is refused once complete", () => {
    const reader = new FrameReader({ maxFrameBytes: 1000 });
    const header = new Uint8Array(4);
    new DataView(header.buffer).setInt32(0, 0x7fffffff);
    expect(reader.push(header.subarray(0, 2))).toEqual([]);
    expect(() => reader.push(header.subarray(2))).toThrow(FrameTooLargeError);
  });

  test("the default maximum is Kafka's 100 MiB", () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(104857600);
    const header = new Uint8Array(4);
    new DataView(header.buffer).setInt32(0, DEFAULT_MAX_FRAME_BYTES + 1);
    expect(() => new FrameReader().push(header)).toThrow(FrameTooLargeError);
  });

  test("a negative size is MalformedMessageError", () => {
    expect(() => new FrameReader().push(new Uint8Array([0xff, 0xff, 0xff, 0xfe, 0]))).toThrow(MalformedMessageError);
  });
});
