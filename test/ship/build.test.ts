// scripts/build.ts itself; that its output works is what every integration test runs against (dist/tansu).
import { expect, test } from "bun:test";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");

test("the build refuses an option it does not know, in one line, before compiling anything", () => {
  const run = Bun.spawnSync([process.execPath, join(REPO, "scripts/build.ts"), "--outfile=/tmp/never", "--taget=bun-linux-arm64"]);
  expect(run.exitCode).toBe(1);
  expect(run.stderr.toString()).toBe("build: unknown option --taget=bun-linux-arm64 (expected --target=TARGET or --outfile=PATH)\n");
  expect(run.stdout.toString()).toBe("");
});
