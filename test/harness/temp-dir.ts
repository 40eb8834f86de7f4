import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { atExit } from "./cleanup.ts";

/** A fresh directory under the system temp dir, removed with everything in it when the test process exits. */
export function tempDir(prefix = "tansu-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  atExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
