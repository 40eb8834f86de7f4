import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

// A test process that dies outright (SIGKILL: no hooks, no handlers) still leaves nothing behind.
const harness = resolve(import.meta.dir);
const child = `
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { signalAtExit } from "${harness}/cleanup.ts";
import { tempDir } from "${harness}/temp-dir.ts";
const dir = tempDir();
writeFileSync(join(dir, "file"), "x");
// Holds our stdout open until it dies, so the parent's read of it ends only once it has been killed.
const registered = Bun.spawn(["sleep", "300"], { stdout: "inherit", stderr: "ignore" });
signalAtExit(registered.pid, "KILL");
const forgotten = Bun.spawn(["sleep", "300"], { stdout: "ignore", stderr: "ignore" });
signalAtExit(forgotten.pid, "KILL")();
console.log(JSON.stringify({ dir, forgotten: forgotten.pid }));
process.kill(process.pid, "SIGKILL");
`;

function running(pid: number): boolean {
  const status = `/proc/${pid}/status`;
  return existsSync(status) && !/^State:\s+Z/m.test(readFileSync(status, "utf8"));
}

test("when the test process is killed, registered processes are killed, forgotten ones spared, temp dirs removed", async () => {
  const proc = Bun.spawn([process.execPath, "-e", child], { stdout: "pipe", stderr: "pipe" });
  // Reading both streams to their end waits for the registered sleep (stdout) and the reaper (stderr).
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(code, stderr).toBe(128 + 9);
  const { dir, forgotten } = JSON.parse(stdout) as { dir: string; forgotten: number };
  try {
    expect(existsSync(dir)).toBe(false);
    expect(running(forgotten)).toBe(true);
  } finally {
    process.kill(forgotten, "SIGKILL");
  }
});
