// `npm run build`: compiles dist/tansu, one self-contained executable with precompiled bytecode, laid out
// by how a broker starts. A first build runs as a broker a few times (RECORDED_STARTS), each until it has
// answered one ApiVersions request, recording which functions that uses (Bun's BUN_BYTECODE_ORDER_OUT); the
// build that ships puts their bytecode together at the front (--bytecode-order), so a start touches fewer
// pages of the executable: 1.4-2.2 MiB less resident memory (docs/BENCHMARKS.md, Startup).
//
//   bun scripts/build.ts [--target=bun-linux-arm64] [--outfile=dist/tansu]
//
// Bytecode is the same for every target, so a recording from a build for this machine lays out a
// cross-compiled one too (the release workflow passes --target).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "..");
const ENTRY = join(REPO, "src/cli/main.ts");

/** How every tansu executable is compiled; benchmarks compile their baselines the same way. */
export const COMPILE_FLAGS = ["--compile", "--minify", "--bytecode", "--format=esm", "--splitting", "--sourcemap"];

/**
 * The starts a layout is recorded from, the most common first: configured by the environment (as the container
 * image and fly.toml run it) on the default store and on memory://, then with options, which citty parses.
 */
const RECORDED_STARTS: { storage: string; flags: boolean }[] = [
  { storage: "sqlite://tansu.db", flags: false },
  { storage: "memory://", flags: false },
  { storage: "memory://", flags: true },
];

// The ApiVersions exchange and the wait for the listening line are written here, not taken from test/harness: the
// container image's build stage has scripts/build.ts and src/, no tests.

/** A Kafka ApiVersions v0 request frame: size, api key 18, version 0, correlation id 1, null client id. */
const API_VERSIONS_V0 = new Uint8Array([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);
const LISTENING = "listening on 127.0.0.1:";
/** A recorded start takes milliseconds; one that has not answered by then is stuck. */
const RECORD_TIMEOUT_MS = 30_000;

function compile(outfile: string, extra: string[]): void {
  const built = Bun.spawnSync([process.execPath, "build", ...COMPILE_FLAGS, ...extra, ENTRY, "--outfile", outfile], {
    stdout: "inherit",
    stderr: "inherit",
  });
  if (!built.success) throw new Error(`bun build failed for ${outfile} (exit ${built.exitCode})`);
}

/**
 * Reads the broker's stdout to its end; `port` resolves once its "listening on HOST:PORT" line appears. Read to
 * the end, not only to that line: the broker logs its stop there too.
 */
function watchStdout(stdout: ReadableStream<Uint8Array>): { port: Promise<number>; ended: Promise<void> } {
  const { promise: port, resolve, reject } = Promise.withResolvers<number>();
  const ended = (async () => {
    let text = "";
    const decoder = new TextDecoder();
    for await (const chunk of stdout) {
      text += decoder.decode(chunk, { stream: true });
      const at = text.indexOf(LISTENING);
      if (at >= 0) resolve(Number.parseInt(text.slice(at + LISTENING.length), 10));
    }
    reject(new Error(`the broker exited before listening; it wrote: ${text.trim()}`));
  })();
  return { port, ended };
}

/** Sends one ApiVersions request and waits for any answer. */
async function answerOne(port: number): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open: (socket) => void socket.write(API_VERSIONS_V0),
      data: (socket) => {
        // Settled first: end() closes the socket at once, and the close handler would reject.
        resolve();
        socket.end();
      },
      close: () => reject(new Error("the broker closed the connection before answering ApiVersions")),
      connectError: (_socket, error) => reject(error),
    },
  });
  await promise;
}

/** Runs `binary` as a broker in `dir` until it answered one request, writing what it ran to `order`. */
async function recordStart(binary: string, start: (typeof RECORDED_STARTS)[number], dir: string, order: string): Promise<void> {
  const options = { "listener-url": "tcp://127.0.0.1:0", "advertised-listener-url": "tcp://127.0.0.1:9092", "storage-engine": start.storage };
  const argv = [binary, "broker"];
  // Not the builder's environment: a broker option set there (TLS files, SASL, an HTTP listener) would change, or
  // fail, the start being recorded.
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    BUN_BYTECODE_ORDER_OUT: order,
  };
  for (const [name, value] of Object.entries(options)) {
    if (start.flags) argv.push(`--${name}`, value);
    else env[name.toUpperCase().replaceAll("-", "_")] = value;
  }
  const broker = Bun.spawn(argv, {
    cwd: dir,
    env,
    stdout: "pipe",
    stderr: "inherit",
  });
  const stdout = watchStdout(broker.stdout);
  const what = `the broker on ${start.storage}${start.flags ? " configured by options" : ""}`;
  let code: number;
  let timer: Timer | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} had not answered ApiVersions after ${RECORD_TIMEOUT_MS} ms`)), RECORD_TIMEOUT_MS);
  });
  try {
    await Promise.race([stdout.port.then(answerOne), stuck]);
  } finally {
    clearTimeout(timer);
    // The order file is written as the process exits; SIGTERM is the broker's clean stop.
    broker.kill("SIGTERM");
    [code] = await Promise.all([broker.exited, stdout.ended]);
  }
  if (code !== 0) throw new Error(`${what} exited with ${code}`);
  if (!(await Bun.file(order).exists())) throw new Error(`${what} wrote no ${order}`);
}

async function build(args: string[]): Promise<void> {
  const target = args.find((a) => a.startsWith("--target="));
  const outfile = resolve(REPO, args.find((a) => a.startsWith("--outfile="))?.slice("--outfile=".length) ?? "dist/tansu");
  const unknown = args.filter((a) => a !== target && !a.startsWith("--outfile="));
  if (unknown.length > 0) throw new Error(`unknown option ${unknown[0]} (expected --target=TARGET or --outfile=PATH)`);

  const work = mkdtempSync(join(tmpdir(), "tansu-build-"));
  try {
    const recorder = join(work, "tansu");
    compile(recorder, []);
    const orders: string[] = [];
    for (const [i, start] of RECORDED_STARTS.entries()) {
      const order = join(work, `start-${i}.order`);
      await recordStart(recorder, start, work, order);
      orders.push(order);
    }
    compile(outfile, [`--bytecode-order=${orders.join(",")}`, ...(target ? [target] : [])]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  try {
    await build(process.argv.slice(2));
  } catch (error) {
    console.error(`build: ${(error as Error).message}`);
    process.exit(1);
  }
}
