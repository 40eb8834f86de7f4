// Runs an external program (kcat, python, pg_ctl, ...) to completion with a hard upper bound on its
// lifetime, so a hung client fails its test instead of hanging the whole suite.

export interface RunOptions {
  /** Written to the program's stdin, which is then closed. */
  input?: string;
  /** Added to (not replacing) the test process environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** The program is SIGKILLed after this long; default 30 s. */
  timeoutMs?: number;
}

export interface RunResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export async function runCommand(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const proc = Bun.spawn(argv, {
    stdin: options.input === undefined ? "ignore" : new TextEncoder().encode(options.input),
    stdout: "pipe",
    stderr: "pipe",
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, options.timeoutMs ?? 30_000);
  try {
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { argv, exitCode, stdout, stderr, timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/** Like runCommand, but a non-zero exit is an error carrying the program's output. */
export async function runChecked(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await runCommand(argv, options);
  if (result.exitCode !== 0) {
    throw new Error(
      `${argv.join(" ")} exited ${result.exitCode}${result.timedOut ? " (timed out)" : ""}\n` +
        `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
  return result;
}
