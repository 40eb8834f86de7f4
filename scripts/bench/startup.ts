// Startup benchmark: how long from exec until a compiled program answers a Kafka client's first
// request, and how much memory it holds then, for the broker (dist/tansu) against the least a
// compiled Bun listener can do (scripts/bench/baseline/bare-listen.ts). Scale-to-zero pays this on
// every wake-up. Writes the "Startup" section of docs/BENCHMARKS.md.
//
//   npm run build && bun scripts/bench/startup.ts [--runs 20] [--broker PATH] [--compare PATH]
//
// --broker measures another build of the broker instead of dist/tansu; --compare adds the rows of a
// second build (say, the one before a change) to the same run, so before and after share conditions.
//
// The broker runs configured by the environment (`tansu broker`, as the container image and fly.toml
// run it) and by flags (citty parses them). Subjects take turns run by run, so load from other work on
// the machine falls on all of them alike. Each subject runs from its own fresh copy of its binary: how
// many of a binary's pages a process maps (most of its RSS) depends on the page cache's history of
// that file, which otherwise differs between a binary built a minute ago and one run a hundred times.
//
// The raw ApiVersions client, free-port and temp-dir helpers are the test harness's.
import { chmodSync, copyFileSync, readFileSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join } from "node:path";
import { freePort } from "../../test/harness/free-port.ts";
import { tempDir } from "../../test/harness/temp-dir.ts";
import { BENCHMARKS_MD, sourceCommit, writeBenchmarkSection } from "./report.ts";
import { firstAnswer, firstMetadata } from "./first-answer.ts";
import { startupOptions } from "./startup-options.ts";
import { median } from "./median.ts";
import { compileBaseline } from "./baseline/compile.ts";


interface Subject {
  name: string;
  /** The binary as built; it runs from a fresh copy. */
  binary: string;
  argv(binary: string, port: number): string[];
  env(port: number): Record<string, string>;
  /** Which baseline its ratios are against. */
  baseline?: Subject;
  /** A broker: after the first answer and its memory, a Metadata request is timed too. */
  broker?: boolean;
}

interface Sample {
  startupMs: number;
  rssKiB: number;
  anonKiB: number;
  /** From spawn to the first Metadata answer; NaN for a baseline. */
  metadataMs: number;
}

function statusKiB(status: string, field: string, pid: number): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

async function measure(subject: Subject, binary: string): Promise<Sample> {
  const port = freePort();
  const argv = subject.argv(binary, port);
  const started = performance.now();
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "ignore", env: { ...process.env, ...subject.env(port) } });
  try {
    await Promise.race([
      firstAnswer(port, proc.stdout),
      proc.exited.then((code) => {
        throw new Error(`${argv.join(" ")} exited with ${code} before answering`);
      }),
    ]);
    const startupMs = performance.now() - started;
    const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
    let metadataMs = Number.NaN;
    if (subject.broker) {
      await firstMetadata(port);
      metadataMs = performance.now() - started;
    }
    return { startupMs, rssKiB: statusKiB(status, "VmRSS", proc.pid), anonKiB: statusKiB(status, "RssAnon", proc.pid), metadataMs };
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

const BOOTSTRAP_SAMPLES = 1000;

/**
 * The median of `values` with a 90% bootstrap interval: the 5th and 95th percentiles of the medians of
 * BOOTSTRAP_SAMPLES resamplings. What one run can tell apart: two builds whose intervals overlap were not told
 * apart. Resampled with a fixed-seed generator, so the same samples always give the same interval.
 */
function medianWithInterval(values: number[]): { median: number; low: number; high: number } {
  let seed = 0x9e3779b9;
  const random = () => {
    // xorshift32
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const medians: number[] = [];
  for (let b = 0; b < BOOTSTRAP_SAMPLES; b++) {
    const resampled: number[] = [];
    for (let i = 0; i < values.length; i++) resampled.push(values[Math.floor(random() * values.length)]);
    medians.push(median(resampled));
  }
  medians.sort((a, b) => a - b);
  return { median: median(values), low: medians[Math.floor(BOOTSTRAP_SAMPLES * 0.05)], high: medians[Math.floor(BOOTSTRAP_SAMPLES * 0.95)] };
}

interface Summary {
  subject: Subject;
  /** Each round's startup, in round order: ratios pair a subject's run with its baseline's in the same round. */
  timesMs: number[];
  /** Each round's time to the first Metadata answer (NaN for a baseline). */
  metadataTimesMs: number[];
  startupMs: number;
  minMs: number;
  maxMs: number;
  rssMiB: number;
  anonMiB: number;
  binaryMiB: number;
}

/** Every subject once for warm-up (and the sqlite store's schema), then `runs` rounds, subjects taking turns. */
async function benchAll(subjects: Subject[], runs: number, work: string): Promise<Summary[]> {
  const copies = subjects.map((subject, i) => {
    const copy = join(work, `${i}-${basename(subject.binary)}`);
    copyFileSync(subject.binary, copy);
    chmodSync(copy, 0o755);
    return copy;
  });
  const samples: Sample[][] = subjects.map(() => []);
  for (let round = 0; round <= runs; round++) {
    for (const [i, subject] of subjects.entries()) {
      const sample = await measure(subject, copies[i]);
      if (round > 0) samples[i].push(sample);
    }
  }
  return subjects.map((subject, i) => {
    const times = samples[i].map((s) => s.startupMs);
    return {
      subject,
      timesMs: times,
      metadataTimesMs: samples[i].map((s) => s.metadataMs),
      startupMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      rssMiB: median(samples[i].map((s) => s.rssKiB)) / 1024,
      anonMiB: median(samples[i].map((s) => s.anonKiB)) / 1024,
      binaryMiB: statSync(subject.binary).size / 2 ** 20,
    };
  });
}

function brokerSubjects(binary: string, label: string, storage: Record<"memory" | "sqlite", string>, baselines: Record<"memory" | "sqlite", Subject>): Subject[] {
  const subjects: Subject[] = [];
  for (const engine of ["memory", "sqlite"] as const) {
    subjects.push({
      name: `${label}, ${engine}://, configured by environment`,
      binary,
      argv: (copy) => [copy, "broker"],
      env: (port) => ({ LISTENER_URL: `tcp://127.0.0.1:${port}`, ADVERTISED_LISTENER_URL: `tcp://127.0.0.1:${port}`, STORAGE_ENGINE: storage[engine] }),
      baseline: baselines[engine],
      broker: true,
    });
  }
  for (const engine of ["memory", "sqlite"] as const) {
    subjects.push({
      name: `${label}, ${engine}://, configured by flags`,
      binary,
      argv: (copy, port) => [copy, "broker", "--listener-url", `tcp://127.0.0.1:${port}`, "--advertised-listener-url", `tcp://127.0.0.1:${port}`, "--storage-engine", storage[engine]],
      env: () => ({}),
      baseline: baselines[engine],
      broker: true,
    });
  }
  return subjects;
}

/** The broker on memory://, configured by flags with `extra` options too; `broker` false where Metadata would be refused. */
function withOptions(binary: string, name: string, extra: () => string[], baseline: Subject, broker = true): Subject {
  return {
    name,
    binary,
    argv: (copy, port) => [copy, "broker", "--listener-url", `tcp://127.0.0.1:${port}`, "--advertised-listener-url", `tcp://127.0.0.1:${port}`, "--storage-engine", "memory://", ...extra()],
    env: () => ({}),
    baseline,
    broker,
  };
}

function section(results: Summary[], runs: number, command: string): string {
  const bare = results[0];
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const revision = sourceCommit();
  // The median of the rounds' ratios: a round runs every subject once, one after the other, so load that comes and
  // goes on the machine falls on both sides of each ratio.
  const ratio = (r: Summary, base: Summary, times = r.timesMs) => {
    const { median, low, high } = medianWithInterval(times.map((ms, round) => ms / base.timesMs[round]));
    return `${median.toFixed(2)} (${low.toFixed(2)}–${high.toFixed(2)})`;
  };
  const metadata = (r: Summary) =>
    r.subject.broker ? [median(r.metadataTimesMs).toFixed(1), ratio(r, bare, r.metadataTimesMs)] : ["—", "—"];
  const ratios = (r: Summary) => {
    const base = results.find((b) => b.subject === (r.subject.baseline ?? bare.subject))!;
    if (base === r) return ["1", "+0.0", "—"];
    return [ratio(r, base), `+${(r.rssMiB - base.rssMiB).toFixed(1)}`, base === bare ? "bare" : "bare + SQLite"];
  };
  const vsBare = (r: Summary) => (r === bare ? ["1", "+0.0"] : [ratio(r, bare), `+${(r.rssMiB - bare.rssMiB).toFixed(1)}`]);
  return [
    "## Startup",
    "",
    "From spawn to the first answered ApiVersions v0 request (a raw TCP client connects as soon as the program's",
    "\"listening\" line reaches its stdout: polling the port would add up to a retry interval to every sample, about",
    "1.5 ms here), and resident memory right after that answer: VmRSS (what the goal counts; mostly pages",
    "of the executable the process touched) and RssAnon (memory it allocated). Medians of",
    `${runs} runs after one warm-up run each; subjects take turns run by run, each from a fresh copy of its binary,`,
    "and a ratio is the median of the rounds' ratios (each subject's run over its baseline's in the same round),",
    "with its 90% bootstrap interval in brackets: builds whose intervals overlap were not told apart by the run.",
    "The baseline is a compiled Bun program that only binds the port and answers ApiVersions with a fixed frame",
    "(scripts/bench/baseline/bare-listen.ts); \"bare + SQLite\" also opens a bun:sqlite file the way the engine does",
    "(bare-sqlite.ts): the least a broker on sqlite:// can cost. The sqlite store exists already (created by the",
    "warm-up), as it does when a stopped machine wakes up. \"Configured by environment\" is `tansu broker` with",
    "LISTENER_URL and STORAGE_ENGINE set, as the container image and fly.toml run it; \"by flags\" passes",
    "them as options, which citty parses. The last two tansu rows add an HTTP listener (metrics counted, /metrics, /ui/",
    "and the registry API routed) and SASL SCRAM with the ACL authorizer: what those options cost at start-up.",
    "The last two columns follow a broker further: once its memory is read, a second connection asks Metadata v0 for",
    "every topic, what a client asks next and the first request that reads the store; from spawn to that answer, and",
    "its ratio to the bare listener's first answer in the same round (the SASL broker refuses Metadata before",
    "authentication, so it has none).",
    "The broker is `npm run build`'s: its bytecode laid out by recorded starts (scripts/build.ts). The baselines are",
    "compiled with the same flags without a layout; a layout recorded from the bare listener's own start changes",
    "nothing for a program that small (28.82 against 28.86 MiB, medians of 10, measured once).",
    "",
    row(["program", "startup median (ms)", "min–max (ms)", "VmRSS (MiB)", "RssAnon (MiB)", "binary (MiB)", "startup ×bare", "VmRSS −bare (MiB)", "startup ×floor", "VmRSS −floor (MiB)", "floor", "first Metadata (ms)", "first Metadata ×bare"]),
    row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", ":---:", "---:", "---:"]),
    ...results.map((r) =>
      row([
        r.subject.name,
        r.startupMs.toFixed(1),
        `${r.minMs.toFixed(1)}–${r.maxMs.toFixed(1)}`,
        r.rssMiB.toFixed(1),
        r.anonMiB.toFixed(1),
        r.binaryMiB.toFixed(1),
        ...vsBare(r),
        ...ratios(r),
        ...metadata(r),
      ]),
    ),
    "",
    "Where the time and memory went, measured on this machine with compiled programs that add one piece to the bare",
    "listener and with probes at each stage of a broker's start: citty's parsing loads node:util, which Bun compiles",
    "from source at run time (+1.2 ms, +3.3 MiB), and scule's regular expressions (+1.6 MiB), so `tansu broker` without",
    "options, which has nothing to parse, no longer loads citty; the ~90 generated codec modules (+1 ms, +2.8 MiB) and",
    "every API handler with its imports (+4.6 ms, +10 MiB) now load per API on its first request; node:crypto for",
    "member ids in the group coordinator (+2.5 ms, +5.6 MiB) gave way to the global `crypto.randomUUID`; tables built",
    "when a module loads (hex digits, a TextDecoder, error names: +2 MiB) are built on first use; SQLite's 43",
    "statements (+1.4 MiB) are prepared on first use and an up-to-date file is recognised without a write transaction",
    "(+0.9 MiB); the engines, the HTTP listener, the log cleaner and the transaction sweep load when first needed.",
    "What is left is mostly pages of the executable that any use of a runtime feature touches (VmRSS is RssFile",
    "plus RssAnon; the broker allocates about 2 MiB more than the bare listener), and SQLite's own open. Merging main",
    "(security, schemas, lake, metrics, proxy, share groups) kept all of their code off this path but what every broker",
    "runs: TLS-capable listeners, the SASL, quota and metrics hooks of each connection, the principal and allow-all",
    "authorizer of each request, the schema validator that loads the schema layer on first produce, and the options",
    "of all of it; against this branch's build from before the merge (b0fcf39), in one run of 30, that cost +1.3 ms and",
    "+1.0 MiB configured by environment and +1.9 ms and +2.3 MiB by flags (main's unknown-option check and more options).",
    "The next round worked on what the runtime itself sets up during a broker's first request (probe runs of 10-20):",
    "the first regular expression a process compiles (~1 MiB of runtime code) and node:path (~1.2 MiB, 0.4 ms) are",
    "gone from the start-up path; the API table is data and a handler is made on its API's first request, and",
    "ApiVersions' ~50 entries are written by the generated codec in one loop straight into the buffer, so the JIT",
    "compiles nothing before the first answer (~0.6 ms, ~1.4 MiB); small response buffers no longer set up Buffer's",
    "pool; and SQLite keeps its emptied -wal and -shm files when the last connection closes, so a restarted broker",
    "does not create them anew (0.3-1.4 ms of each sqlite:// start).",
    "",
    "The round before that (measured against main before it, in one run). The executable's bytecode is laid out by recorded",
    "starts (scripts/build.ts, Bun's --bytecode-order): the pages of embedded code a start touches went from 2.3 to",
    "1.0 MiB, -1.4 MiB configured by environment and -2.2 MiB by flags; no change in time. consola is made on the first",
    "line logged through it, and the readiness line is written by the reporter directly, as consola.info would write",
    "it: making consola (0.3 ms) and its log path for that one line (0.15 ms; a Date, the repeat check's",
    "JSON.stringify) cost 0.4 ms and 0.5-0.8 MiB of every start, measured as compiled programs that add each to the bare",
    "listener (import +0.2 MiB, creation +0.4, first line +0.7). The start-up path calls no Array method that takes a",
    "callback (map, filter, some, at, nor Promise's finally: JavaScriptCore compiles each of those builtins on its",
    "first call, 40-200 µs each), the ACL name tables are built on first use, and the SQLite engine's 43 statements are",
    "getters of a class instead of 43 closures and property definitions made at each open. The ApiVersions codec is",
    "imported while the broker waits for its first client instead of when that client's request came (0.2-0.3 ms of",
    "the first answer; measured 1.47x -> 1.43x on memory://, 1.67x -> 1.61x on sqlite://). The measurement itself",
    "changed: waiting for the listening line instead of polling every 1 ms took about 1.5 ms off every sample, which",
    "makes every ratio larger (the bare listener went from ~6 to ~5 ms).",
    "Where a sqlite:// start goes now, from probes with marks in a build (medians of 30, ms after exec): the runtime",
    "reaches main.ts as late as the bare listener does (2.5-3.4, run to run); loading and evaluating the start-up",
    "modules ~0.7 (their chunks 0.5, the protocol tables 0.2); the first call of the broker command's large run",
    "function 0.25 and the options 0.1-0.2; importing the engine with bun:sqlite 0.56 and opening the file 1.0 (the",
    "floor's open, WAL switch and query: 0.8); listening 0.35 (bare: 0.27); the first request 0.75 from connection to",
    "answer (bare: 0.3), in ten steps of 0.01-0.11 ms, each code running for the first time (reading the frame, the",
    "header, the handler, the body, the queue, the answer, its encoding, the write). SQLite alone costs the floor 0.8-1.2 ms, 0.15-0.2x",
    "of the bare listener, so 1.5x on sqlite:// leaves the rest of the broker under 1.7 ms, where memory:// takes",
    "2.0-2.5. Tried and dropped: consola made with only the five log types used (0.30 against 0.32 ms: its cost is its",
    "first run, not its size); the ApiVersions codec imported with the start-up modules (the first request's 0.66 ms",
    "became 0.61, the rest moved to start); answering one ApiVersions inside the broker while it waits for its first",
    "client, so the real first answer runs warm (1.47x -> 1.41x on memory://, 1.64x -> 1.61x on sqlite:// in one run",
    "of 60: a trick for the first answer alone that does not close the gap); opening the store on its first use",
    "(ApiVersions needs no store, but a broker with a store it cannot open would then look healthy until a client",
    "came; Kafka fails at start).",
    "",
    "The round after. The floor opens its database before it listens, as the broker must (it had opened it after",
    "its listening line, overlapping the client's reaction to it; 1.12-1.17x either way), and each ratio shows its",
    "interval. Pieces measured alone in compiled probes (medians of 40): importing the broker command's modules",
    "0.87 ms, of which consola's core 0.17 and the 135-property ErrorCode literal about 0.1; the API table and its",
    "dispatcher 0.1; the sqlite engine's import and open 0.28 ms more than the floor's same calls (its modules 0.2).",
    "Taking such pieces away did not shorten the whole start. consola's core off the start-up path (tansu's own table",
    "of its four log levels, consola required on the first line logged through it) and the background tasks' timers",
    "started after the listening line, measured together against the same source in 300 paired rounds: 1.640x",
    "(1.627-1.654) against 1.624x (1.610-1.640) on sqlite://, 1.472x against 1.447x on memory://; not kept. What a",
    "piece costs alone is mostly the runtime's first use of something (a class, a Map, a promise job, an inline",
    "cache, a builtin), which the next code to use it pays instead. Two builds of the same source measured 1.615x",
    "and 1.640x in one run of 150 rounds. Also measured and not kept: one bundle without code splitting (3.3x: every",
    "module's functions made at start); JavaScriptCore without its JIT (BUN_JSC_useJIT=0 for every program: no",
    "change in ratio). 1.5x on sqlite:// needs about 0.6 ms less of the broker's ~2.9 ms over the bare listener,",
    "and no single piece of it is that large.",
    "",
    "This round counted memory touched instead of code run. On this VM a page's first touch costs 1.6 µs",
    "(allocated memory) to 2-2.4 µs (a page of the executable, mapped 16 at a time), measured by a C probe. Page faults",
    "up to the first answer (perf stat, medians of 30): bare 794, floor 926, memory:// 1,286, sqlite:// 1,394. About 150",
    "of the broker's are JavaScriptCore's JSCWarmUp thread, which starts once a process has allocated 64 heap blocks of",
    "16 KiB and faults in a supply of blocks ahead of need: the broker allocates 75-76 blocks before its first answer on memory://",
    "and 79-80 on sqlite:// (bisected with BUN_JSC_warmUpMarkedBlockStartAfterBlocks), the floor about 51. Those blocks",
    "are 0.5 MiB of the broker's VmRSS (32.14 against 31.64 MiB on sqlite://, 29.92 against 29.40 on memory://, with",
    "BUN_JSC_useWarmUpMarkedBlocks=0, medians of 25); its time was not told apart (1.631x (1.610-1.643) against 1.613x",
    "(1.600-1.639), 150 rounds). Only the environment or --smol turns it off; staying under 64 blocks would take",
    "allocating a fifth less (the generated API table as constant arrays, a spec made per API on first use, saved 2 blocks;",
    "not kept). The other ~300 extra faults are the main thread's, nearly all in the allocator's heap",
    "(every fault's address recorded once with perf: 801 against the floor's 406 there, the executable's pages the",
    "same), about 0.5 ms of the broker's ~2.35 ms over the floor: memory for the code it runs and the objects it makes",
    "(a heap snapshot at the first answer: 144 functions' code blocks 128 KiB, 1,302 structures 143 KiB, 676",
    "functions' executables 149 KiB, against 17, 412 and 146 in the floor). By stage (marks with fault counts,",
    "medians of 30): the runtime reaches main.ts after 766 faults (bare 696; embedding the broker's 247 modules in",
    "the bare listener without loading any costs it 48 faults and 1.036x against 0.990x, as Bun reads every module's",
    "name at start); the first request takes 38 from its data to its answer (bare 12), 0.42 ms against 0.10, its",
    "response's encoding the largest step (0.10 ms). Ruled out in paired runs against the bare listener: embedded",
    "source maps (1.699x against 1.704x without), 107 KB of never-called code in a loaded module (1.006x against",
    "0.998x: with bytecode nothing is parsed), the first calls of 120 distinct small functions against 120 calls of",
    "one (1.029x against 1.038x), a dynamic import in place of a static one (1.006x against 0.995x), and less bytecode",
    "compiled ahead of time (--bytecode-depth 1: 2.03x, 3: 1.69x, all: 1.67x). 1.5x on sqlite:// would take",
    "allocating about 1 MiB less before the first answer, or many of the 0.01-0.1 ms pieces at once.",
    "",
    "This round counted instructions (Start-up instructions, below): callgrind counts what the main thread runs to",
    "the first answer, the same to 0.3% run to run. They explain the time: the broker on sqlite:// ran 12.4 million",
    "against the floor's 5.35 million, and its ~2.3 ms over the floor is ~3 million instructions a millisecond. By",
    "stage (a build that blocks at a named point, counted up to there): the runtime reaches the first line of a",
    "program after 3.6 million; the broker's start-up modules took 2.4 million to load and evaluate, the API table's",
    "module alone 0.7 million (~90 objects each with a closure of its own, and a 90-property ApiKey object) and the",
    "ErrorCode object 0.25 million; the engine's import 0.9 million (the floor's import of bun:sqlite 0.64) and its",
    "open 0.9 (the floor's 0.43); listening 0.77 million, ~50 closures and Map entries of the dispatcher's table",
    "among it; the first request 1.2 million from its data to its answer, its encoding 0.34. A finding for what to",
    "cut next: a function's first call costs for all of its body, run or not; a never-taken branch of 300 lines in",
    "a function called once cost 0.89 million instructions (3,000 a line). The API tables are now constant arrays",
    "with one loader each, a spec made on an API's first use, and ApiKey and ErrorCode enums that the bundler writes",
    "as numbers where they are used: 12.40 -> 11.40 million instructions on sqlite:// and 10.87 -> 9.88 on memory://.",
    "",
    "The round after counted again and cut what a first answer does not need. An up-to-date sqlite store is",
    "configured on its first operation, not at open: WAL mode and the synchronous level each make SQLite read the",
    "file's schema (0.25-0.3 million instructions for tansu's tables; the floor's file has none), and the class of its 43",
    "statements, whose getters took 0.12 million to define, is defined then too. ALLOW_ALL reports supported operations",
    "from a table of its own, so acl-codes.ts leaves the start-up path (0.12 million); the ApiVersions codec is imported",
    "outside the 90-case switch (0.06 million: a function's first call prepares all of it, taken branches or not); the",
    "broker command's lake and HTTP steps and the connection's refusals moved out of the functions every start calls",
    "(0.05 million). Start-up instructions, sqlite:// 11.39 -> 10.69 million and memory:// 9.88 -> 9.51 (Start-up",
    "instructions, below). In time, in the run above (100 rounds against the previous build): sqlite:// 1.59x -> 1.54x",
    "and memory:// 1.40x against 1.41x. That run's bare listener took 6.5 ms; two earlier runs the same day, at 7.2 and",
    "8.5 ms, put the previous build at 1.39x and 1.41x on sqlite:// (the last stop, at 5.1 ms, at 1.57x), with the bare",
    "listener's instructions unchanged: what the machine adds to every process start moves each ratio by up to 0.2x,",
    "so only a ratio measured beside the previous build in the same run tells a change. What a sqlite:// start runs",
    "now, by marks (millions of instructions): the runtime to main.ts as for the bare listener; loading the start-up",
    "chunks 0.65 and evaluating their modules 0.8; the broker command's run 0.42 before its first line (its body",
    "truncated: 0.01 for its first lines, 0.24 for 67 of its 85, its awaits about 0.1 of it); bun:sqlite 0.64 and the",
    "engine's modules 0.3; opening the file 0.36; the schema layer and security 0.19; listening 0.65 (the dispatcher",
    "0.2, the sockets 0.15, the codec's import 0.1); the first request 1.8 from its open handler to the answer, 0.41 of",
    "it before its data reaches JavaScript (the bare listener's 0.36), encoding the answer 0.33. Embedding the broker's",
    "247 modules in the bare listener costs it 0.25 million without loading any. Measured and not kept: consola's core",
    "replaced by a stub, private fields made public, the AbortController made on first use (0.02 million), a hand URL",
    "parser, the broker's settings built outside run, and the first request's codec called without an await once loaded",
    "(each within run-to-run spread, now up to 0.5%).",
    "",
    "This round deferred the sqlite:// open itself, which an earlier round had measured and dropped (a broker that",
    "looks healthy with a store it cannot open). Now a file whose database header (the first 100 bytes, read by",
    "mapping the file, without SQLite) shows a schema version this tansu can migrate is opened by the store's first",
    "operation; a path that cannot be opened, a file that is not a database and one from a newer tansu still fail",
    "before the broker listens, and a new file is created and migrated at start (a database whose header is behind,",
    "as a killed broker's WAL leaves it, is migrated by its first operation). bun:sqlite, the engine's modules and the",
    "open, 1.2 million instructions, leave the start-up path for the first request that reads the store: sqlite://",
    "10.69 -> 9.5 million (Start-up instructions, below), as memory://. Reading the header with Bun.file's read cost 1.5 million and",
    "importing node:fs 2.5 million, more than the open they would save; mapping it costs about 0.02. In time, three",
    "runs of 100 rounds the same day (the last is the table above) put sqlite:// at 1.40x each time against 1.54x, 1.49x",
    "and 1.56x for the previous build (21cf05a) beside it, and its VmRSS at +4.1 to +4.4 MiB against +5.8. The work",
    "moved rather than went: the first Metadata, which now opens the store, came at 2.00x and 2.03x the bare listener's",
    "first answer in the last two runs against the previous build's 1.91x and 2.00x (intervals overlapping). A client's",
    "first Metadata costs a broker 2-3 ms on either engine, whose code (the Metadata handler and codec, the topic",
    "listing) loads then. The engine again sets WAL mode and the synchronous level as it opens its file, and its module",
    "defines the statements' class again; the round before had moved both to the first operation, which the deferred open",
    "makes moot.",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} at ${revision} on ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Bun ${Bun.version},`,
    `with \`${command}\`.`,
  ].join("\n");
}

const { runs, broker, compare, command } = startupOptions("scripts/bench/startup.ts", 20);

const work = tempDir("tansu-startup-");
const bareSqliteFile = join(work, "bare.db");
const bare: Subject = {
  name: "baseline: bare Bun.listen",
  binary: compileBaseline("bare-listen", work),
  argv: (copy, port) => [copy, "--listener-url", `tcp://127.0.0.1:${port}`],
  env: () => ({}),
};
const bareSqlite: Subject = {
  name: "floor: bare Bun.listen + SQLite open",
  binary: compileBaseline("bare-sqlite", work),
  argv: (copy, port) => [copy, "--listener-url", `tcp://127.0.0.1:${port}`, "--sqlite", bareSqliteFile],
  env: () => ({}),
  baseline: bare,
};
const storage = { memory: "memory://", sqlite: `sqlite://${join(work, "tansu.db")}` };
const subjects: Subject[] = [
  bare,
  bareSqlite,
  ...brokerSubjects(broker, "tansu broker", storage, { memory: bare, sqlite: bareSqlite }),
  // Metrics set up, /health, /ready, /metrics and /ui/ routed; the lag code and console load on first request.
  withOptions(broker, "tansu broker, memory://, HTTP listener (metrics on)", () => ["--http-listener-url", `http://127.0.0.1:${freePort()}`], bare),
  // Security modules load only with security options; this row is what they cost. A client must authenticate before
  // Metadata, so that is not timed here.
  withOptions(broker, "tansu broker, memory://, SASL SCRAM + ACLs", () => ["--sasl-mechanisms", "SCRAM-SHA-256", "--authorizer", "acl"], bare, false),
  ...(compare ? brokerSubjects(compare, `compared build (${basename(compare)})`, storage, { memory: bare, sqlite: bareSqlite }) : []),
];
const results = await benchAll(subjects, runs, work);
for (const { timesMs: _, metadataTimesMs, ...r } of results) {
  console.log(JSON.stringify({ ...r, metadataMs: median(metadataTimesMs), subject: r.subject.name }));
}
writeBenchmarkSection("startup", section(results, runs, command));
console.log(`wrote the Startup section of ${BENCHMARKS_MD}`);
