import { describe, expect, test } from "bun:test";
import { FrameTooLargeError, MalformedMessageError } from "../../src/protocol/errors.ts";
import { FrameSplitter, type FrameDecision, type FrameHandler } from "../../src/proxy/frame-splitter.ts";
import { concat, frame as framed } from "../protocol/frames.ts";

/**
 * Frames whose first byte says what the handler does: 0 pass, 1 take (replaced by its bytes reversed),
 * 2 pass after asking for 40 head bytes, 3 stop.
 */
function body(kind: number, length: number, seed: number): Uint8Array {
  const b = Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
  if (length > 0) b[0] = kind;
  return b;
}

function recorder(maxTake = 1 << 20) {
  const out: Uint8Array[] = [];
  const events: string[] = [];
  const handler: FrameHandler = {
    decide(head, size): FrameDecision {
      if (head.length === 0) return "pass";
      events.push(`decide ${head.length}/${size}`);
      switch (head[0]) {
        case 1:
          return "take";
        case 2:
          return head.length < Math.min(40, size) ? 40 : "pass";
        case 3:
          return "stop";
        default:
          return "pass";
      }
    },
    take(frame) {
      out.push(framed(frame.slice().reverse()));
    },
    passed() {
      events.push("passed");
    },
  };
  const splitter = new FrameSplitter(handler, (bytes) => out.push(bytes.slice()), 8, maxTake);
  return { splitter, out, events };
}

function expected(bodies: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const b of bodies) {
    if (b[0] === 3) break;
    parts.push(b[0] === 1 ? framed(b.slice().reverse()) : framed(b));
  }
  return concat(parts);
}

describe("FrameSplitter", () => {
  const bodies = [
    body(0, 100, 1),
    body(1, 30, 2),
    body(2, 200, 3),
    body(0, 3, 4),
    body(0, 0, 5),
    body(1, 5000, 6),
    body(2, 12, 7),
    body(0, 70_000, 8),
    body(1, 9, 9),
  ];
  const stream = concat(bodies.map(framed));

  test("whole stream in one chunk: passed frames go out as views of it, taken ones are replaced", () => {
    const { splitter, out } = recorder();
    const views: Uint8Array[] = [];
    const viewing = new FrameSplitter(splitter.handler, (bytes) => views.push(bytes), 8, 1 << 20);
    expect(viewing.push(stream)).toBeNull();
    expect(views.every((v) => v.buffer === stream.buffer)).toBe(true);
    expect(concat([...views])).toEqual(concat(bodies.filter((b) => b[0] !== 1).map(framed)));
    expect(out.length).toBe(3); // the taken frames
  });

  for (const chunkSize of [1, 2, 3, 5, 7, 64, 4099]) {
    test(`chunks of ${chunkSize} bytes give the same output`, () => {
      const { splitter, out } = recorder();
      for (let at = 0; at < stream.length; at += chunkSize) expect(splitter.push(stream.subarray(at, at + chunkSize))).toBeNull();
      expect(concat(out)).toEqual(expected(bodies));
      expect(splitter.midFrame).toBe(false);
    });
  }

  test("random cuts give the same output", () => {
    for (let round = 0; round < 50; round++) {
      const { splitter, out } = recorder();
      let at = 0;
      while (at < stream.length) {
        const n = 1 + Math.floor(Math.random() * 300);
        splitter.push(stream.subarray(at, at + n));
        at += n;
      }
      expect(concat(out)).toEqual(expected(bodies));
    }
  });

  test("a handler asking for more head bytes sees them, and passed() follows each passed frame", () => {
    const { splitter, events } = recorder();
    splitter.push(framed(body(2, 100, 1)));
    expect(events).toEqual(["decide 8/100", "decide 40/100", "passed"]);
  });

  test("midFrame is true while a frame is partly through", () => {
    const { splitter } = recorder();
    const one = framed(body(0, 50, 1));
    splitter.push(one.subarray(0, 2));
    expect(splitter.midFrame).toBe(true);
    splitter.push(one.subarray(2, 30));
    expect(splitter.midFrame).toBe(true);
    splitter.push(one.subarray(30));
    expect(splitter.midFrame).toBe(false);
  });

  test("stop drops that frame and everything after it", () => {
    const { splitter, out } = recorder();
    const withStop = [body(0, 10, 1), body(3, 10, 2), body(0, 10, 3)];
    splitter.push(concat(withStop.map(framed)));
    splitter.push(framed(body(0, 4, 4)));
    expect(concat(out)).toEqual(framed(withStop[0]!));
  });

  test("a take that returns a promise pauses the splitter with the rest of the chunk", async () => {
    const taken: number[] = [];
    let release!: () => void;
    const out: Uint8Array[] = [];
    const splitter = new FrameSplitter(
      {
        decide: (head) => (head[0] === 1 ? "take" : "pass"),
        take: (frame) => {
          taken.push(frame.length);
          return new Promise<void>((resolve) => (release = resolve));
        },
        passed() {},
      },
      (bytes) => out.push(bytes.slice()),
      8,
      1 << 20,
    );
    const after = framed(body(0, 20, 2));
    const paused = splitter.push(concat([framed(body(1, 30, 1)), after]));
    expect(paused).not.toBeNull();
    expect(taken).toEqual([30]);
    expect(out).toEqual([]);
    expect(paused!.rest).toEqual(after);
    release();
    await paused!.until;
    expect(splitter.push(paused!.rest)).toBeNull();
    expect(concat(out)).toEqual(after);
  });

  test("a negative size prefix is malformed", () => {
    const { splitter } = recorder();
    expect(() => splitter.push(new Uint8Array([0xff, 0xff, 0xff, 0xfe, 1, 2]))).toThrow(MalformedMessageError);
  });

  test("a frame that ends before the head the handler needs is malformed", () => {
    const { splitter } = recorder();
    // This handler needs 20 bytes to decide; the frame has 12.
    const short = new FrameSplitter(
      { decide: (head) => (head.length < 20 ? 20 : "pass"), take() {}, passed() {} },
      () => {},
      8,
      1 << 20,
    );
    expect(() => short.push(framed(body(2, 12, 1)))).toThrow(MalformedMessageError);
    expect(() => splitter.push(framed(body(0, 2, 1)))).not.toThrow();
  });

  test("taking a frame over the cap fails before allocating it; passing one is fine", () => {
    const { splitter, out } = recorder(1000);
    splitter.push(framed(body(0, 5000, 1)));
    expect(out.reduce((n, b) => n + b.length, 0)).toBe(5004);
    const big = framed(body(1, 5000, 2));
    expect(() => splitter.push(big.subarray(0, 100))).toThrow(FrameTooLargeError);
  });
});
