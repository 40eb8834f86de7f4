// A bare TCP client for protocol edge cases: write any bytes, read back whole size-prefixed
// frames, and see when the broker closes the connection.
export async function rawSocket(port: number, hostname = "127.0.0.1") {
  let received = new Uint8Array(0);
  let onClosed!: () => void;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const waiters: Array<() => void> = [];
  const socket = await Bun.connect({
    hostname,
    port,
    socket: {
      data(_s, chunk) {
        const next = new Uint8Array(received.length + chunk.length);
        next.set(received);
        next.set(chunk, received.length);
        received = next;
        for (const w of waiters.splice(0)) w();
      },
      close: () => onClosed(),
      error: () => onClosed(),
    },
  });
  /** Resolves with the next `count` frames (without size prefixes). */
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
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { socket, closed, frames };
}
