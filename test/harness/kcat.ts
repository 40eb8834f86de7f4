import { runCommand, type RunOptions, type RunResult } from "./run.ts";

/** Runs kcat (librdkafka's CLI) with `args`; bounded by `timeoutMs` (default 30 s). */
export function kcat(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runCommand(["kcat", ...args], options);
}
