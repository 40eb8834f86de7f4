// The proxy benchmark's baseline: the least a compiled Bun program can do to sit between Kafka clients and a
// broker. Every client connection gets an upstream connection and bytes go both ways untouched (no framing,
// no rewriting: the broker must advertise the relay's address itself), pausing the reading side while the
// writing side is full. scripts/bench/proxy.ts compares `tansu proxy` to it.
//
//   bare-relay --listener-url tcp://HOST:PORT --upstream HOST:PORT

import type { Socket } from "bun";

function option(name: string): string {
  const at = process.argv.indexOf(name);
  if (at < 0 || !process.argv[at + 1]) throw new Error(`${name} is required`);
  return process.argv[at + 1]!;
}

/** One direction: what `to` has not taken yet; `from` is paused until it has. */
class Pipe {
  pending: Uint8Array[] = [];
  constructor(
    readonly from: Socket<Relay>,
    readonly to: Socket<Relay>,
  ) {}

  send(chunk: Uint8Array): void {
    if (this.pending.length > 0) {
      this.pending.push(new Uint8Array(chunk));
      return;
    }
    const written = Math.max(this.to.write(chunk), 0);
    if (written < chunk.length) {
      this.pending.push(chunk.slice(written));
      this.from.pause();
    }
  }

  drain(): void {
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      const written = Math.max(this.to.write(next), 0);
      if (written < next.length) {
        this.pending[0] = next.subarray(written);
        return;
      }
      this.pending.shift();
    }
    this.from.resume();
  }
}

interface Relay {
  up?: Pipe;
  down?: Pipe;
  early: Uint8Array[];
  peer?: Socket<Relay>;
}

const listener = new URL(option("--listener-url"));
const [upstreamHost, upstreamPort] = option("--upstream").split(":") as [string, string];

const upstreamHandlers = {
  data: (s: Socket<Relay>, chunk: Uint8Array) => s.data.down?.send(chunk),
  drain: (s: Socket<Relay>) => s.data.up?.drain(),
  close: (s: Socket<Relay>) => void s.data.peer?.end(),
};

const server = Bun.listen<Relay>({
  hostname: listener.hostname,
  port: Number(listener.port),
  socket: {
    open(client) {
      client.data = { early: [] };
      client.pause();
      Bun.connect<Relay>({ hostname: upstreamHost, port: Number(upstreamPort), data: { early: [], peer: client }, socket: upstreamHandlers }).then(
        (upstream) => {
          client.data.peer = upstream;
          client.data.up = upstream.data.up = new Pipe(client, upstream);
          client.data.down = upstream.data.down = new Pipe(upstream, client);
          for (const chunk of client.data.early) client.data.up.send(chunk);
          client.resume();
        },
        () => client.end(),
      );
    },
    data(client, chunk) {
      if (client.data.up) client.data.up.send(chunk);
      else client.data.early.push(new Uint8Array(chunk));
    },
    drain: (client) => client.data.down?.drain(),
    close: (client) => void client.data.peer?.end(),
  },
});

console.log(`bare-relay listening on tcp://${server.hostname}:${server.port} in ${performance.now().toFixed(1)} ms`);
