// The startup baseline: the least a compiled Bun program can do to look like a Kafka listener.
// It binds the --listener-url port, logs "listening" with its startup time like the broker does,
// and answers ApiVersions with a fixed v0 body. scripts/bench/startup.ts compares the broker to it,
// and test/ship/scratch.test.ts uses it to check the container's file set independently of the broker.

const API_VERSIONS = 18;
const UNSUPPORTED_VERSION = 35;

function listenerAddress(argv: string[]): { hostname: string; port: number } {
  const at = argv.indexOf("--listener-url");
  const url = new URL(at >= 0 && argv[at + 1] ? argv[at + 1] : "tcp://127.0.0.1:9092");
  return { hostname: url.hostname, port: Number(url.port) };
}

/** ApiVersions response v0 listing only ApiVersions 0..0; error 35 for any other request version, as Kafka does. */
function apiVersionsResponse(correlationId: number, requestVersion: number): Uint8Array {
  const frame = new Uint8Array(4 + 4 + 2 + 4 + 6);
  const view = new DataView(frame.buffer);
  view.setInt32(0, frame.byteLength - 4);
  view.setInt32(4, correlationId);
  view.setInt16(8, requestVersion === 0 ? 0 : UNSUPPORTED_VERSION);
  view.setInt32(10, 1);
  view.setInt16(14, API_VERSIONS);
  view.setInt16(16, 0);
  view.setInt16(18, 0);
  return frame;
}

/** Binds the --listener-url port, answers ApiVersions, and logs the listening line. */
export function serve(): void {
  const { hostname, port } = listenerAddress(process.argv);
  const server = Bun.listen<{ pending: Uint8Array }>({
    hostname,
    port,
    socket: {
      open(socket) {
        socket.data = { pending: new Uint8Array(0) };
      },
      data(socket, chunk) {
        const joined = new Uint8Array(socket.data.pending.byteLength + chunk.byteLength);
        joined.set(socket.data.pending);
        joined.set(chunk, socket.data.pending.byteLength);
        let at = 0;
        const view = new DataView(joined.buffer);
        while (joined.byteLength - at >= 4 && joined.byteLength - at >= 4 + view.getInt32(at)) {
          const size = view.getInt32(at);
          if (size < 8 || view.getInt16(at + 4) !== API_VERSIONS) {
            socket.end();
            return;
          }
          socket.write(apiVersionsResponse(view.getInt32(at + 8), view.getInt16(at + 6)));
          at += 4 + size;
        }
        socket.data.pending = joined.subarray(at);
      },
    },
  });

  console.log(`bare-listen listening on tcp://${server.hostname}:${server.port} in ${performance.now().toFixed(1)} ms`);
}

// Run as a program it serves at once; bare-sqlite.ts imports it and serves once its store is open.
if (import.meta.main) serve();
