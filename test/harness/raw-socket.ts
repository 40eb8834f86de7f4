// A raw TCP client for protocol-level tests: collects whatever the server sends, splits it into frames,
// and reports when the server closes the connection.

export interface RawSocket {
  socket: Awaited<ReturnType<typeof Bun.connect>>;
  /** Resolves when the server closes the connection (or it fails). */
  closed: Promise<void>;
  /** Resolves with the first `count` frames (without size prefixes) received on the connection. */
  frames(count: number): Promise<Uint8Array[]>;
}

export async function rawSocket(port: number, hostname = "127.0.0.1"): Promise<RawSocket> {
  let received = new Uint8Array(0);
  let onClosed!: () => void;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const socket = await Bun.connect({
    hostname,
    port,
    socket: {
      data(_s, chunk) {
        const next = new Uint8Array(received.length + chunk.length);
        next.set(received);
        next.set(chunk, received.length);
        received = next;
        wake();
      },
      close: () => {
        onClosed();
        wake();
      },
      error: () => {
        onClosed();
        wake();
      },
    },
  });
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  const frames = async (count: number) => {
    for (;;) {
      const out: Uint8Array[] = [];
      let at = 0;
      while (out.length < count && at + 4 <= received.length) {
        const size = new DataView(received.buffer, at).getInt32(0);
        if (at + 4 + size > received.length) break;
        out.push(received.slice(at + 4, at + 4 + size));
        at += 4 + size;
      }
      if (out.length === count) return out;
      if (isClosed) throw new Error(`connection closed after ${out.length} of ${count} frames`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { socket, closed, frames };
}
