// The options both start-up benchmarks take, and the command line they report them with.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");

export interface StartupOptions {
  runs: number;
  /** The broker binary measured: dist/tansu unless --broker names another. */
  broker: string;
  /** A second build measured beside it (--compare), if any. */
  compare: string | undefined;
  /** The command that reproduces the run, for docs/BENCHMARKS.md. */
  command: string;
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** Reads --runs, --broker and --compare for `script` (its path from the repository root). */
export function startupOptions(script: string, defaultRuns: number): StartupOptions {
  const runs = Number(option("--runs") ?? defaultRuns);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${option("--runs")}`);
  const broker = resolve(option("--broker") ?? join(REPO, "dist/tansu"));
  if (!existsSync(broker)) throw new Error(`${broker} is missing: run npm run build first`);
  const compare = option("--compare") && resolve(option("--compare")!);
  if (compare && !existsSync(compare)) throw new Error(`--compare ${compare} does not exist`);
  const command = [
    `npm run build && bun ${script}`,
    `--runs ${runs}`,
    option("--broker") ? `--broker ${option("--broker")}` : "",
    option("--compare") ? `--compare ${option("--compare")}` : "",
  ]
    .filter(Boolean)
    .join(" ");
  return { runs, broker, compare: compare || undefined, command };
}
