// docs/BENCHMARKS.md holds one section per benchmark between `<!-- NAME:start -->` and
// `<!-- NAME:end -->`, so each script rewrites its own table and leaves the others alone.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const BENCHMARKS_MD = join(import.meta.dir, "../../docs/BENCHMARKS.md");

/** Replaces (or appends) the section `name` with `body`, a Markdown block that starts with its heading. */
export function writeBenchmarkSection(name: string, body: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const current = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, "utf8") : "# Benchmarks\n";
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from ? current.slice(0, from) + section + current.slice(to + end.length) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(BENCHMARKS_MD, next);
}

/**
 * The commit a measured build came from, marked when src/ (what the build compiles) differs from it. Not git
 * describe --dirty: a bench that already rewrote docs/BENCHMARKS.md would call every later run dirty.
 */
export function sourceCommit(): string {
  const git = (...args: string[]) => Bun.spawnSync(["git", ...args], { cwd: import.meta.dir }).stdout.toString().trim();
  const commit = git("rev-parse", "--short", "HEAD") || "unknown";
  return git("status", "--porcelain", "--untracked-files=no", "--", "../../src") === "" ? commit : `${commit} with uncommitted changes to src/`;
}
