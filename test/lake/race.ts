// Several lake writers in processes of their own (writer-worker.ts), started together so that
// their commits to one table really race.

import { expect } from "bun:test";
import { join } from "node:path";
import { runChecked } from "../harness/run.ts";
import type { WorkerOptions } from "./writer-worker.ts";

/** Runs the workers at once; resolves when all are done. `env` adds to theirs (S3 settings). */
export async function raceWriters(workers: WorkerOptions[], env: Record<string, string> = {}): Promise<void> {
  const worker = join(import.meta.dir, "writer-worker.ts");
  const results = await Promise.all(
    workers.map((options) => runChecked([process.execPath, worker, JSON.stringify(options)], { env, timeoutMs: 120_000 })),
  );
  for (const result of results) expect(result.stdout).toContain("written");
}
