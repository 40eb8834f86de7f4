// The process-wide logger: consola's core with a reporter that writes through `console`.
// consola's default reporters go through process.stdout/stderr, whose Node stream objects
// cost Bun about 10 ms to create on first use: most of a broker's start-up time.
import { createConsola, LogLevels, type ConsolaInstance, type LogObject } from "consola/core";

const BADGES: Partial<Record<LogObject["type"], string>> = {
  fatal: "✖",
  error: "✖",
  warn: "⚠",
  info: "ℹ",
  success: "✔",
  ready: "✔",
  start: "◐",
  debug: "⚙",
  trace: "→",
};

function format(arg: unknown): string {
  if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
  return typeof arg === "string" ? arg : Bun.inspect(arg);
}

function write(entry: LogObject, line: string): void {
  // Errors and warnings to stderr, the rest to stdout, as consola's own reporters do.
  if (entry.level < 2) console.error(line);
  else console.log(line);
}

const textReporter = {
  log(entry: LogObject) {
    const badge = BADGES[entry.type];
    // A loop, not map(): a broker's "listening" line is the first thing logged, and JavaScriptCore compiles
    // each Array method that takes a callback on its first call (docs/BENCHMARKS.md, Startup).
    let text = badge ? `${badge} ` : "";
    for (let i = 0; i < entry.args.length; i++) text += (i > 0 ? " " : "") + format(entry.args[i]);
    write(entry, text);
  },
};

/**
 * One JSON object per line for log collectors: time (ISO 8601), level (consola's type: info, warn,
 * error, debug, success...), msg (the text arguments joined), and error (name, message, stack) when
 * an Error was logged.
 */
const jsonReporter = {
  log(entry: LogObject) {
    const error = entry.args.find((a): a is Error => a instanceof Error);
    const text = entry.args.filter((a) => !(a instanceof Error)).map(format).join(" ");
    const line: Record<string, unknown> = { time: entry.date.toISOString(), level: entry.type, msg: text };
    if (error) line.error = { name: error.name, message: error.message, stack: error.stack };
    write(entry, JSON.stringify(line));
  },
};

export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

let reporter = textReporter;
let level: number = LogLevels.info;
let instance: ConsolaInstance | undefined;

function logger(): ConsolaInstance {
  return (instance ??= createConsola({ reporters: [reporter], level }));
}

/**
 * consola, made when the first line is logged through it. A broker that starts and serves without a warning
 * logs only its "listening" line (logReady), and creating consola and running its log path for that one line
 * took 0.4 ms and 0.5-0.8 MiB of a start (docs/BENCHMARKS.md, Startup). Only the log methods tansu uses.
 */
export const consola = {
  error: (message: unknown, ...args: unknown[]) => logger().error(message, ...args),
  warn: (message: unknown, ...args: unknown[]) => logger().warn(message, ...args),
  info: (message: unknown, ...args: unknown[]) => logger().info(message, ...args),
  success: (message: unknown, ...args: unknown[]) => logger().success(message, ...args),
  debug: (message: unknown, ...args: unknown[]) => logger().debug(message, ...args),
  /** consola's level: 0 errors only ... 4 debug (LogLevels). */
  get level(): number {
    return level;
  },
  set level(value: number) {
    level = value;
    if (instance) instance.level = value;
  },
};

/** Switches every later log line to `format` (--log-format, LOG_FORMAT). */
export function setLogFormat(format: LogFormat): void {
  reporter = format === "json" ? jsonReporter : textReporter;
  instance?.setReporters([reporter]);
}

/**
 * Logs a server's readiness line ("... listening on ..."), at info, through the reporter directly: the one line
 * every start writes, and the one whoever waits for the server watches for. Written exactly as consola.info
 * would write it, without making consola for it (see `consola` above).
 */
export function logReady(message: string): void {
  if (level < LogLevels.info) return;
  // The date only when the reporter reads it (the JSON one does, at once): the text format has no time, and the
  // first Date a process makes sets up the runtime's time zone data, 0.2 MiB.
  reporter.log({
    type: "info",
    level: LogLevels.info,
    tag: "",
    args: [message],
    get date() {
      return new Date();
    },
  });
}
