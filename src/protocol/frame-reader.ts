// Splits a TCP byte stream into Kafka frames: int32 big-endian size, then that many bytes.
//
// Aliasing: a frame lying wholly inside one pushed chunk is returned as a view of that chunk, not a copy. Bun
// may reuse the memory of the chunk it hands a socket data handler once the handler returns, so a caller that
// keeps a frame beyond its handler (e.g. across an await) must copy it first. Frames assembled from several
// chunks are in buffers this reader allocated and hands over; they stay valid.

import { FrameTooLargeError, MalformedMessageError } from "./errors.ts";

/** Like Kafka's socket.request.max.bytes default. */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

const SIZE_BYTES = 4;

export class FrameReader {
  #maxFrameBytes: number;
  /** A size prefix split across chunks. */
  readonly #sizePrefix = new Uint8Array(SIZE_BYTES);
  #sizePrefixFilled = 0;
  /** The frame being assembled across chunks, allocated at its exact size. */
  #partial: Uint8Array | null = null;
  #partialFilled = 0;

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Changes the largest frame accepted from the next size prefix on (a SASL connection's limit rises once authenticated). */
  set maxFrameBytes(max: number) {
    this.#maxFrameBytes = max;
  }

  /** Bytes received but not yet returned as part of a frame, size prefixes included. */
  get buffered(): number {
    return this.#partial === null ? this.#sizePrefixFilled : SIZE_BYTES + this.#partialFilled;
  }

  /**
   * Feeds a TCP chunk; returns the frames it completes, without their size prefix. Throws FrameTooLargeError
   * (before allocating) when a prefix exceeds the maximum and MalformedMessageError on a negative one; the
   * stream cannot be resynchronised after either, so the connection should be closed.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let pos = 0;
    const partial = this.#partial;
    if (partial !== null) {
      pos = Math.min(partial.length - this.#partialFilled, chunk.length);
      partial.set(pos === chunk.length ? chunk : chunk.subarray(0, pos), this.#partialFilled);
      this.#partialFilled += pos;
      if (this.#partialFilled < partial.length) return frames;
      frames.push(partial);
      this.#partial = null;
      this.#partialFilled = 0;
    }
    while (pos < chunk.length) {
      let size: number;
      if (this.#sizePrefixFilled === 0 && chunk.length - pos >= SIZE_BYTES) {
        size = (chunk[pos]! << 24) | (chunk[pos + 1]! << 16) | (chunk[pos + 2]! << 8) | chunk[pos + 3]!;
        pos += SIZE_BYTES;
      } else {
        while (this.#sizePrefixFilled < SIZE_BYTES && pos < chunk.length) this.#sizePrefix[this.#sizePrefixFilled++] = chunk[pos++]!;
        if (this.#sizePrefixFilled < SIZE_BYTES) break;
        const p = this.#sizePrefix;
        size = (p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!;
        this.#sizePrefixFilled = 0;
      }
      this.#checkSize(size);
      if (chunk.length - pos >= size) {
        frames.push(chunk.subarray(pos, pos + size));
        pos += size;
      } else {
        // The frame continues in later chunks: allocate it once at its exact size and fill it as they come.
        this.#partial = new Uint8Array(size);
        this.#partial.set(chunk.subarray(pos));
        this.#partialFilled = chunk.length - pos;
        pos = chunk.length;
      }
    }
    return frames;
  }

  #checkSize(size: number): void {
    if (size < 0) throw new MalformedMessageError(`frame size prefix is negative (${size})`);
    if (size > this.#maxFrameBytes) throw new FrameTooLargeError(size, this.#maxFrameBytes);
  }
}
