// Splits a byte stream into Kafka frames (int32 size, then that many bytes) for a proxy that forwards
// most frames untouched. Unlike FrameReader, which hands over every frame whole, the splitter shows its
// handler only the first bytes of each frame and lets it choose:
// - "pass": the frame's bytes go to `emit` as they arrive, as views into the pushed chunks (no copy, and
//   a frame that spans chunks is never assembled), so a proxy's memory does not grow with frame sizes;
// - "take": the whole frame is collected (allocated at its exact size, capped) and handed to `take`;
// - "stop": this frame and everything after it is dropped (the connection is shutting down);
// - a number: call again once the frame's first N bytes are available (or all of it, if shorter).
//
// Views handed to `emit` or `take` point into the chunk being pushed when they lie inside it. Bun may reuse
// that memory once its data handler returns, so whoever keeps one longer must copy it.

import { FrameTooLargeError, MalformedMessageError } from "../protocol/errors.ts";

export type FrameDecision = "pass" | "take" | "stop" | number;

export interface FrameHandler {
  /** `head` is the start of the frame's body (size prefix excluded); `size` is the whole body's length. */
  decide(head: Uint8Array, size: number): FrameDecision;
  /**
   * A whole frame body the handler chose to take. A returned promise pauses the splitter: push() returns
   * it with the unprocessed rest of the chunk, which the caller pushes again once the promise settles.
   */
  take(frame: Uint8Array): void | Promise<void>;
  /** The last bytes of a passed frame have gone to `emit`. */
  passed(): void;
}

export interface Paused {
  until: Promise<void>;
  /** The bytes of the chunk after the taken frame (a view into the chunk). */
  rest: Uint8Array;
}

const SIZE_BYTES = 4;

export class FrameSplitter {
  /** The size prefix and head bytes of the current frame, when they arrived across chunks. */
  #held = new Uint8Array(SIZE_BYTES + 64);
  #heldFill = 0;
  /** Body size of the current frame; -1 between frames. */
  #size = -1;
  /** Head bytes the handler wants before it decides. */
  #want: number;
  #mode: "head" | "pass" | "take" | "stopped" = "head";
  /** Bytes of a passed frame still to come. */
  #remaining = 0;
  #frame: Uint8Array | null = null;
  #frameFill = 0;

  constructor(
    readonly handler: FrameHandler,
    readonly emit: (bytes: Uint8Array) => void,
    /** Head bytes the handler always needs (e.g. 8 for a request's api key, version and correlation id). */
    readonly headBytes: number,
    /** The largest frame the handler may take whole; larger ones are FrameTooLargeError. */
    readonly maxTakeBytes: number,
  ) {
    this.#want = headBytes;
  }

  /** Inside a frame whose first bytes have been seen (a stop now would cut a forwarded frame short). */
  get midFrame(): boolean {
    return this.#mode !== "stopped" && (this.#mode !== "head" || this.#heldFill > 0);
  }

  /**
   * Feeds a chunk. Throws ProtocolError on a negative size prefix, on a frame the handler wants to take
   * that exceeds the cap, and on whatever `decide` throws; the stream cannot be resynchronised after that.
   */
  push(chunk: Uint8Array): Paused | null {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.#mode) {
        case "stopped":
          return null;
        case "pass": {
          const n = Math.min(this.#remaining, chunk.length - pos);
          this.emit(chunk.subarray(pos, pos + n));
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#endPass();
          break;
        }
        case "take": {
          const frame = this.#frame!;
          const n = Math.min(frame.length - this.#frameFill, chunk.length - pos);
          frame.set(chunk.subarray(pos, pos + n), this.#frameFill);
          this.#frameFill += n;
          pos += n;
          if (this.#frameFill === frame.length) {
            this.#frame = null;
            const paused = this.#taken(frame, chunk, pos);
            if (paused) return paused;
          }
          break;
        }
        case "head": {
          const next = this.#head(chunk, pos);
          if (typeof next !== "number") return next;
          pos = next;
        }
      }
    }
    return null;
  }

  /** Reads a frame's prefix and head from `pos`, acts on the handler's decision; returns the new position. */
  #head(chunk: Uint8Array, pos: number): number | Paused {
    // Fast path: prefix and head lie in this chunk and nothing of the frame is held from an earlier one.
    if (this.#heldFill === 0 && chunk.length - pos >= SIZE_BYTES) {
      const size = readSize(chunk, pos);
      const body = pos + SIZE_BYTES;
      for (;;) {
        const headLength = Math.min(this.#want, size);
        if (chunk.length - body < headLength) break;
        const decision = this.handler.decide(chunk.subarray(body, body + headLength), size);
        if (typeof decision === "number") {
          this.#grow(decision, headLength, size);
          continue;
        }
        this.#want = this.headBytes;
        if (decision === "stop") return this.#stop();
        if (decision === "pass") {
          const end = Math.min(chunk.length, body + size);
          this.emit(chunk.subarray(pos, end));
          this.#remaining = body + size - end;
          if (this.#remaining === 0) this.handler.passed();
          else this.#mode = "pass";
          return end;
        }
        if (chunk.length - body >= size) {
          const paused = this.#taken(chunk.subarray(body, body + size), chunk, body + size);
          return paused ?? body + size;
        }
        this.#startTake(size, chunk.subarray(body));
        return chunk.length;
      }
    }
    // Slow path: gather the prefix and head bytes across chunks.
    for (;;) {
      if (this.#size < 0) {
        pos = this.#hold(chunk, pos, SIZE_BYTES);
        if (this.#heldFill < SIZE_BYTES) return pos;
        this.#size = readSize(this.#held, 0);
      }
      const headLength = Math.min(this.#want, this.#size);
      pos = this.#hold(chunk, pos, SIZE_BYTES + headLength);
      if (this.#heldFill < SIZE_BYTES + headLength) return pos;
      const held = this.#held.subarray(0, this.#heldFill);
      const size = this.#size;
      const decision = this.handler.decide(held.subarray(SIZE_BYTES), size);
      if (typeof decision === "number") {
        this.#grow(decision, headLength, size);
        continue;
      }
      this.#want = this.headBytes;
      this.#size = -1;
      this.#heldFill = 0;
      if (decision === "stop") return this.#stop();
      if (decision === "pass") {
        // The held bytes are emitted from a buffer of their own: #held is reused for the next frame.
        this.#held = new Uint8Array(this.#held.length);
        this.emit(held);
        this.#remaining = size - headLength;
        if (this.#remaining === 0) this.handler.passed();
        else this.#mode = "pass";
        return pos;
      }
      this.#startTake(size, held.subarray(SIZE_BYTES));
      if (this.#frameFill < size) return pos;
      const frame = this.#frame!;
      this.#frame = null;
      return this.#taken(frame, chunk, pos) ?? pos;
    }
  }

  /** Copies chunk bytes into #held until it holds `target` bytes; returns the new chunk position. */
  #hold(chunk: Uint8Array, pos: number, target: number): number {
    if (this.#held.length < target) {
      const bigger = new Uint8Array(target);
      bigger.set(this.#held.subarray(0, this.#heldFill));
      this.#held = bigger;
    }
    const n = Math.min(target - this.#heldFill, chunk.length - pos);
    this.#held.set(chunk.subarray(pos, pos + n), this.#heldFill);
    this.#heldFill += n;
    return pos + n;
  }

  #grow(wanted: number, had: number, size: number): void {
    if (wanted <= had || had >= size) throw new MalformedMessageError(`frame of ${size} bytes ends before its header does`);
    this.#want = wanted;
  }

  #startTake(size: number, start: Uint8Array): void {
    if (size > this.maxTakeBytes) throw new FrameTooLargeError(size, this.maxTakeBytes);
    this.#frame = new Uint8Array(size);
    this.#frame.set(start);
    this.#frameFill = start.length;
    this.#mode = "take";
  }

  #taken(frame: Uint8Array, chunk: Uint8Array, pos: number): Paused | null {
    this.#mode = "head";
    if (frame.length > this.maxTakeBytes) throw new FrameTooLargeError(frame.length, this.maxTakeBytes);
    const until = this.handler.take(frame);
    return until ? { until, rest: chunk.subarray(pos) } : null;
  }

  #endPass(): void {
    this.#mode = "head";
    this.handler.passed();
  }

  #stop(): number {
    this.#mode = "stopped";
    return Number.POSITIVE_INFINITY;
  }
}

function readSize(bytes: Uint8Array, at: number): number {
  const size = (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
  if (size < 0) throw new MalformedMessageError(`frame size prefix is negative (${size})`);
  return size;
}
