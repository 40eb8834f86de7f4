import { runCommand, type RunOptions, type RunResult } from "./run.ts";

// Debian's interpreter, not whatever python3 is first on PATH (pyenv shims here): the Kafka client
// libraries (python3-confluent-kafka, python3-kafka) are installed for it by scripts/install-test-deps.sh.
export const PYTHON = "/usr/bin/python3";

/** Runs `script` with /usr/bin/python3 -c; `args` arrive as sys.argv[1:]. Bounded by `timeoutMs` (default 30 s). */
export function python(script: string, args: string[] = [], options: RunOptions = {}): Promise<RunResult> {
  return runCommand([PYTHON, "-c", script, ...args], options);
}
