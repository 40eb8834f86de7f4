// The process-wide logger: consola's core with a reporter that writes through `console`.
// consola's default reporters go through process.stdout/stderr, whose Node stream objects
// cost Bun about 10 ms to create on first use: most of a broker's start-up time.
import { createConsola, type LogObject } from "consola/core";

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

export const consola = createConsola({
  reporters: [
    {
      log(entry) {
        const badge = BADGES[entry.type];
        const line = `${badge ? `${badge} ` : ""}${entry.args.map(format).join(" ")}`;
        // Errors and warnings to stderr, the rest to stdout, as consola's own reporters do.
        if (entry.level < 2) console.error(line);
        else console.log(line);
      },
    },
  ],
});
