import type { Subprocess } from "bun";
import { signalAtExit } from "./cleanup.ts";

// A long-running server process whose readiness is its own word: the broker (and the bare baseline)
// print one line containing "listening" once the socket is bound, so we wait for that line on
// stdout/stderr instead of sleeping or polling the port.

export type StopSignal = "SIGTERM" | "SIGKILL";

export interface ListeningProcess {
  pid: number;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code (128 + signal number when killed). */
  stop(signal?: StopSignal): Promise<number>;
  /** Everything the process printed on stdout and stderr so far, interleaved in arrival order. */
  logs(): string;
}

export interface SpawnListeningOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Replace the environment entirely instead of adding to the test process's (used for container-like runs). */
  cleanEnv?: boolean;
  /** Upper bound on waiting for the line, so a wedged start fails the test rather than hanging it. */
  readyTimeoutMs?: number;
  /** Upper bound between SIGTERM and exit before stop() gives up with SIGKILL and throws. */
  stopTimeoutMs?: number;
}

const READY = /listening/i;

export async function spawnListening(argv: string[], options: SpawnListeningOptions = {}): Promise<ListeningProcess> {
  const proc = Bun.spawn(argv, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    cwd: options.cwd,
    env: options.cleanEnv ? { ...options.env } : { ...process.env, ...options.env },
  });
  void proc.exited.then(signalAtExit(proc.pid, "KILL"));

  let output = "";
  let announceReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (announceReady = resolve));
  const drain = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      output += text;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      if (lines.some((line) => READY.test(line))) announceReady();
    }
  };
  // Keep draining after readiness: a full pipe would block the broker's logging and stall it.
  const drained = Promise.all([drain(proc.stdout), drain(proc.stderr)]);

  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  let timer: Timer | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    proc.exited.then(() => "exited" as const),
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), readyTimeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome !== "ready") {
    if (outcome === "timeout") proc.kill("SIGKILL");
    const code = await proc.exited;
    await drained;
    throw new Error(
      `${argv.join(" ")} did not log a "listening" line ` +
        (outcome === "timeout" ? `within ${readyTimeoutMs} ms` : `before exiting with code ${code}`) +
        `; output:\n${output}`,
    );
  }

  const stopTimeoutMs = options.stopTimeoutMs ?? 20_000;
  return {
    pid: proc.pid,
    proc,
    logs: () => output,
    async stop(signal: StopSignal = "SIGTERM"): Promise<number> {
      proc.kill(signal);
      let overdue: Timer | undefined;
      const exited = await Promise.race([
        proc.exited.then(() => true),
        new Promise<false>((resolve) => (overdue = setTimeout(() => resolve(false), stopTimeoutMs))),
      ]);
      clearTimeout(overdue);
      if (!exited) {
        proc.kill("SIGKILL");
        await proc.exited;
        throw new Error(`pid ${proc.pid} still running ${stopTimeoutMs} ms after ${signal}; output:\n${output}`);
      }
      await drained;
      return proc.exited;
    },
  };
}
