// Start-up instructions: how many instructions a compiled program's main thread runs from exec until it has
// answered its first ApiVersions request, counted by valgrind's callgrind, for the broker against the bare
// listener and the bare listener with SQLite (the baselines of scripts/bench/startup.ts). Counts repeat to
// within 1% run to run, where start-up times vary by several percent, so one run tells apart two builds that
// the timed benchmark needs hundreds of rounds for. On this machine the broker's extra time over the floor
// follows its extra instructions (docs/BENCHMARKS.md, Startup).
// Writes the "Start-up instructions" section of docs/BENCHMARKS.md.
//
//   npm run build && bun scripts/bench/startup-instructions.ts [--runs 2] [--broker PATH] [--compare PATH]
//
// Bun's periodic garbage collection timer is off in every subject (BUN_GC_TIMER_DISABLE=1): under valgrind a
// program runs ~50x slower, the timer fires before the first answer, and a collection would be counted that a
// real start does not run. Needs valgrind (Debian's package).
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { freePort } from "../../test/harness/free-port.ts";
import { tempDir } from "../../test/harness/temp-dir.ts";
import { compileBaseline } from "./baseline/compile.ts";
import { firstAnswer } from "./first-answer.ts";
import { BENCHMARKS_MD, sourceCommit, writeBenchmarkSection } from "./report.ts";
import { startupOptions } from "./startup-options.ts";
import { median } from "./median.ts";


interface Subject {
  name: string;
  argv(port: number): string[];
  env(port: number): Record<string, string>;
  /** The floor its count is also compared with. */
  floor?: Subject;
}

/** The main thread's instruction count from exec to the first answer. */
async function count(subject: Subject, work: string, run: number): Promise<number> {
  const port = freePort();
  const out = join(work, `${subject.name.replace(/[^a-z0-9]+/gi, "-")}-${run}.callgrind`);
  const proc = Bun.spawn(["valgrind", "--tool=callgrind", "--separate-threads=yes", `--callgrind-out-file=${out}`, ...subject.argv(port)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
    env: { ...process.env, BUN_GC_TIMER_DISABLE: "1", ...subject.env(port) },
  });
  try {
    await Promise.race([
      firstAnswer(port, proc.stdout),
      proc.exited.then((code) => {
        throw new Error(`${subject.name} exited with ${code} before answering`);
      }),
    ]);
    // Writes the counts so far, one file per thread: <out>.1-01 is the main thread's.
    const dumped = Bun.spawnSync(["callgrind_control", "--dump", String(proc.pid)]);
    if (!dumped.success) throw new Error(`callgrind_control --dump ${proc.pid} failed: ${dumped.stderr.toString().trim()}`);
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
  const main = readFileSync(`${out}.1-01`, "utf8");
  const summary = /^summary: (\d+)$/m.exec(main);
  if (!summary) throw new Error(`no summary line in ${out}.1-01`);
  return Number(summary[1]);
}

const { runs, broker, compare, command } = startupOptions("scripts/bench/startup-instructions.ts", 2);
if (!Bun.which("valgrind") || !Bun.which("callgrind_control")) throw new Error("valgrind is not installed (Debian: apt-get install valgrind)");

const work = tempDir("tansu-startup-instructions-");
const bareListen = compileBaseline("bare-listen", work);
const bareSqlite = compileBaseline("bare-sqlite", work);
const bare: Subject = {
  name: "baseline: bare Bun.listen",
  argv: (port) => [bareListen, "--listener-url", `tcp://127.0.0.1:${port}`],
  env: () => ({}),
};
const floor: Subject = {
  name: "floor: bare Bun.listen + SQLite open",
  argv: (port) => [bareSqlite, "--listener-url", `tcp://127.0.0.1:${port}`, "--sqlite", join(work, "bare.db")],
  env: () => ({}),
};
function brokerSubjects(binary: string, label: string): Subject[] {
  const env = (storage: string) => (port: number) => ({ LISTENER_URL: `tcp://127.0.0.1:${port}`, ADVERTISED_LISTENER_URL: `tcp://127.0.0.1:${port}`, STORAGE_ENGINE: storage });
  return [
    { name: `${label}, memory://`, argv: () => [binary, "broker"], env: env("memory://") },
    { name: `${label}, sqlite://`, argv: () => [binary, "broker"], env: env(`sqlite://${join(work, "tansu.db")}`), floor },
  ];
}
const subjects = [bare, floor, ...brokerSubjects(broker, "tansu broker"), ...(compare ? brokerSubjects(compare, `compared build (${basename(compare)})`) : [])];

// The first run of each creates its store (the timed benchmark's warm-up run does the same); counts are of later runs.
const counts = new Map<Subject, number[]>();
for (let run = 0; run <= runs; run++) {
  for (const subject of subjects) {
    const n = await count(subject, work, run);
    if (run > 0) counts.set(subject, [...(counts.get(subject) ?? []), n]);
    console.log(`${subject.name}: ${n.toLocaleString("en")}${run === 0 ? " (store created, not counted)" : ""}`);
  }
}

const bareCount = median(counts.get(bare)!);
const rows = subjects.map((s) => {
  const values = counts.get(s)!;
  const m = median(values);
  const spread = (Math.max(...values) - Math.min(...values)) / m;
  const overFloor = s.floor ? (m / median(counts.get(s.floor)!)).toFixed(2) : "—";
  return `| ${s.name} | ${(m / 1e6).toFixed(2)} | ${(spread * 100).toFixed(2)}% | ${(m / bareCount).toFixed(2)} | ${overFloor} |`;
});
writeBenchmarkSection(
  "startup-instructions",
  [
    "## Start-up instructions",
    "",
    "Instructions the main thread runs from exec to its first answered ApiVersions v0 request, counted by valgrind's",
    "callgrind (scripts/bench/startup-instructions.ts; the programs and the request of the Startup section). Unlike",
    "time, the count repeats run to run (the spread is the largest minus the smallest count over their median), so one",
    "run compares two builds. Bun's periodic garbage collection is off in every subject: under valgrind its timer would",
    "fire before the first answer, which it never does in a real start.",
    "",
    "| program | instructions (millions) | spread | ×bare | ×floor |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} at ${sourceCommit()} with \`${command}\` (${runs} counted runs of each).`,
  ].join("\n"),
);
console.log(`wrote the Start-up instructions section of ${BENCHMARKS_MD}`);
