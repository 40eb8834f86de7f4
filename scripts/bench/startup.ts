// Startup benchmark: how long from exec until a compiled program answers a Kafka client's first
// request, and how much memory it holds then, for the broker (dist/tansu) against the least a
// compiled Bun listener can do (scripts/bench/baseline/bare-listen.ts). Scale-to-zero pays this on
// every wake-up. Writes the "Startup" section of docs/BENCHMARKS.md.
//
//   npm run build && bun scripts/bench/startup.ts [--runs 20] [--broker PATH]
//
// --broker measures another build of the broker (say, one compiled with different flags) instead.
//
// The raw ApiVersions client, free-port and temp-dir helpers are the test harness's.
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { isConnectionRefused, requestApiVersions } from "../../test/harness/api-versions.ts";
import { freePort } from "../../test/harness/free-port.ts";
import { tempDir } from "../../test/harness/temp-dir.ts";
import { BENCHMARKS_MD, writeBenchmarkSection } from "./report.ts";

const REPO = resolve(import.meta.dir, "../..");
// Refused connects return at once, so this bounds the wait at roughly MAX_ATTEMPTS × BACKOFF_MS.
const MAX_ATTEMPTS = 10_000;
const BACKOFF_MS = 1;

interface Subject {
  name: string;
  argv(port: number): string[];
}

interface Sample {
  startupMs: number;
  rssKiB: number;
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** Retries connect + ApiVersions until answered; only "connection refused" means "not up yet". */
async function firstAnswer(port: number): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      const response = await requestApiVersions(port);
      if (response.errorCode !== 0) throw new Error(`ApiVersions v0 answered with error ${response.errorCode}`);
      return;
    } catch (error) {
      if (!isConnectionRefused(error)) throw error;
      await Bun.sleep(BACKOFF_MS);
    }
  }
  throw new Error(`nothing answered on port ${port} after ${MAX_ATTEMPTS} connection attempts`);
}

function residentKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

async function measure(subject: Subject): Promise<Sample> {
  const port = freePort();
  const argv = subject.argv(port);
  const started = performance.now();
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  try {
    await Promise.race([
      firstAnswer(port),
      proc.exited.then((code) => {
        throw new Error(`${argv.join(" ")} exited with ${code} before answering`);
      }),
    ]);
    return { startupMs: performance.now() - started, rssKiB: residentKiB(proc.pid) };
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface Summary {
  name: string;
  startupMs: number;
  minMs: number;
  maxMs: number;
  rssMiB: number;
}

async function bench(subject: Subject, runs: number): Promise<Summary> {
  await measure(subject); // warm-up: page cache for the binary, and the store's schema for the broker
  const samples: Sample[] = [];
  for (let run = 0; run < runs; run++) samples.push(await measure(subject));
  const times = samples.map((sample) => sample.startupMs);
  return {
    name: subject.name,
    startupMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    rssMiB: median(samples.map((sample) => sample.rssKiB)) / 1024,
  };
}

function brokerSubject(binary: string, name: string, storage: string, extra: () => string[] = () => []): Subject {
  return {
    name,
    argv: (port) => [
      binary,
      "broker",
      "--listener-url",
      `tcp://127.0.0.1:${port}`,
      "--advertised-listener-url",
      `tcp://127.0.0.1:${port}`,
      "--storage-engine",
      storage,
      ...extra(),
    ],
  };
}

function section(results: Summary[], runs: number, command: string): string {
  const [baseline] = results;
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const bunVersion = Bun.spawnSync([process.execPath, "--version"]).stdout.toString().trim();
  const revision = Bun.spawnSync(["git", "-C", REPO, "describe", "--always", "--dirty"]).stdout.toString().trim() || "unknown";
  return [
    "## Startup",
    "",
    "From spawn to the first answered ApiVersions v0 request (raw TCP client; refused connects retried",
    `every ${BACKOFF_MS} ms), and resident memory (VmRSS) right after that answer. Medians of ${runs} runs after`,
    "one warm-up run each. The baseline is a compiled Bun program that only binds the port and answers",
    "ApiVersions with a fixed frame (scripts/bench/baseline/bare-listen.ts); the broker's sqlite store",
    "exists already (created by the warm-up), as it does when a stopped machine wakes up.",
    "",
    row(["program", "startup median (ms)", "min–max (ms)", "RSS median (MiB)", "startup ×baseline", "RSS ×baseline"]),
    row(["---", "---:", "---:", "---:", "---:", "---:"]),
    ...results.map((r) =>
      row([
        r.name,
        r.startupMs.toFixed(1),
        `${r.minMs.toFixed(1)}–${r.maxMs.toFixed(1)}`,
        r.rssMiB.toFixed(1),
        r === baseline ? "1" : (r.startupMs / baseline.startupMs).toFixed(2),
        r === baseline ? "1" : (r.rssMiB / baseline.rssMiB).toFixed(2),
      ]),
    ),
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} at ${revision} on ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Bun ${bunVersion},`,
    `with \`${command}\`.`,
  ].join("\n");
}

const runs = Number(option("--runs") ?? 20);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${option("--runs")}`);
const broker = resolve(option("--broker") ?? join(REPO, "dist/tansu"));
if (!existsSync(broker)) throw new Error(`${broker} is missing: run npm run build first`);
const command = `npm run build && bun scripts/bench/startup.ts --runs ${runs}${option("--broker") ? ` --broker ${option("--broker")}` : ""}`;

const work = tempDir("tansu-startup-");
const baselineBinary = join(work, "bare-listen");
// Compiled with the same flags as `npm run build` compiles the broker.
const compiled = Bun.spawnSync([process.execPath, "build", "--compile", "--minify", "--bytecode", "--format=esm", join(REPO, "scripts/bench/baseline/bare-listen.ts"), "--outfile", baselineBinary]);
if (!compiled.success) throw new Error(`compiling the baseline failed:\n${compiled.stderr.toString()}`);

const subjects: Subject[] = [
  { name: "baseline (bare Bun.listen)", argv: (port) => [baselineBinary, "--listener-url", `tcp://127.0.0.1:${port}`] },
  brokerSubject(broker, "tansu broker, sqlite://", `sqlite://${join(work, "tansu.db")}`),
  brokerSubject(broker, "tansu broker, memory://", "memory://"),
  // Metrics set up, /health, /ready, /metrics and /ui/ routed; the lag code and console load on first request.
  brokerSubject(broker, "tansu broker, memory://, HTTP listener (metrics on)", "memory://", () => ["--http-listener-url", `http://127.0.0.1:${freePort()}`]),
  // Security modules load only with security options; this row is what they cost.
  brokerSubject(broker, "tansu broker, memory://, SASL SCRAM + ACLs", "memory://", () => ["--sasl-mechanisms", "SCRAM-SHA-256", "--authorizer", "acl"]),
];
const results: Summary[] = [];
for (const subject of subjects) {
  results.push(await bench(subject, runs));
  console.log(JSON.stringify(results.at(-1)));
}
writeBenchmarkSection("startup", section(results, runs, command));
console.log(`wrote the Startup section of ${BENCHMARKS_MD}`);
