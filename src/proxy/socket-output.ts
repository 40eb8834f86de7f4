import type { Socket } from "bun";

/**
 * What one side of a proxied connection still has to write to a socket. Bun's socket.write() takes what the
 * kernel accepts and returns the count; the rest is ours to keep until `drain`. Byte ranges pushed back to back
 * from one chunk are merged, so a chunk of passed-through frames goes out in one write, uncopied.
 */
export class SocketOutput {
  #items: Uint8Array[] = [];
  #bytes = 0;

  constructor(readonly socket: Socket<unknown>) {}

  /** Bytes waiting for the socket to drain. */
  get pendingBytes(): number {
    return this.#bytes;
  }

  push(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    const last = this.#items.length - 1;
    const prev = this.#items[last];
    if (prev !== undefined && prev.buffer === bytes.buffer && prev.byteOffset + prev.byteLength === bytes.byteOffset) {
      this.#items[last] = new Uint8Array(prev.buffer, prev.byteOffset, prev.byteLength + bytes.byteLength);
    } else {
      this.#items.push(bytes);
    }
    this.#bytes += bytes.byteLength;
  }

  /**
   * Writes as much as the socket takes. Whatever stays behind and points into `transient` (the chunk a data
   * handler was given, which Bun reuses afterwards) is copied. Returns true when nothing is left.
   */
  flush(transient?: ArrayBufferLike): boolean {
    while (this.#items.length > 0) {
      const next = this.#items[0]!;
      const written = Math.max(this.socket.write(next), 0);
      this.#bytes -= written;
      if (written < next.byteLength) {
        this.#items[0] = next.subarray(written);
        if (transient !== undefined) this.#own(transient);
        return false;
      }
      this.#items.shift();
    }
    return true;
  }

  /** Drops everything pending (the connection is closing). */
  clear(): void {
    this.#items = [];
    this.#bytes = 0;
  }

  #own(transient: ArrayBufferLike): void {
    for (let i = 0; i < this.#items.length; i++) {
      const item = this.#items[i]!;
      if (item.buffer === transient) this.#items[i] = new Uint8Array(item);
    }
  }
}
