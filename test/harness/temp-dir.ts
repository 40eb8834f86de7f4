import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { harnessTempRoot } from "./cleanup.ts";

/** A fresh directory, removed with everything in it when the test process ends. */
export function tempDir(prefix = "tansu-test-"): string {
  return mkdtempSync(join(harnessTempRoot(), prefix));
}
