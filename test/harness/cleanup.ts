import type { FileSink } from "bun";
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Whatever the harness leaves behind (brokers, Postgres clusters, temp dirs) must go when the test
// process ends, however it ends. `bun test` runs no process "exit" handlers, and a crashed or killed
// runner runs nothing at all, so cleanup is a child process instead: the reaper reads registrations
// from a pipe whose write end only this process holds. When this process ends, the kernel closes
// that pipe; the reaper sees end-of-file, signals every process still registered and deletes the
// harness's temp root. Registrations are lines: "+PID SIGNAL" to add, "-PID" to forget.
const REAPER = `
awk '/^\\+/ { live[substr($1, 2)] = $2 } /^-/ { delete live[substr($1, 2)] }
     END { for (pid in live) system("kill -" live[pid] " " pid " 2>/dev/null") }'
rm -rf -- "$1"
`;

let reaper: { root: string; registrations: FileSink } | undefined;

function startReaper(): { root: string; registrations: FileSink } {
  const root = mkdtempSync(join(tmpdir(), "tansu-harness-"));
  // Other users must reach their own dirs inside it (Postgres runs as the postgres user).
  chmodSync(root, 0o755);
  // stderr is inherited: a failed cleanup is visible, and whoever reads this process's stderr to its
  // end (a CI log, cleanup.test.ts) also waits for the reaper to have finished.
  const proc = Bun.spawn(["sh", "-c", REAPER, "tansu-harness-reaper", root], {
    stdin: "pipe",
    stdout: "ignore",
    stderr: "inherit",
  });
  // The reaper must not keep the test process alive; it is waiting for that process to end.
  proc.unref();
  return { root, registrations: proc.stdin };
}

function registry(): { root: string; registrations: FileSink } {
  reaper ??= startReaper();
  return reaper;
}

/** The directory every harness temp dir lives in; deleted when the test process ends. */
export function harnessTempRoot(): string {
  return registry().root;
}

/**
 * Has `pid` sent `signal` when the test process ends, unless the returned function is called first
 * (call it once the process is known to be gone, so a recycled pid is never signalled).
 */
export function signalAtExit(pid: number, signal: "KILL" | "QUIT"): () => void {
  const { registrations } = registry();
  registrations.write(`+${pid} ${signal}\n`);
  registrations.flush();
  return () => {
    registrations.write(`-${pid}\n`);
    registrations.flush();
  };
}
