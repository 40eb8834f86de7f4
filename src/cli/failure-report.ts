// How every command reports a failure: one line on stderr, "error: what failed: why", and exit code 1.
// The stack (and its causes') only at --log-level debug: citty would otherwise print the error through
// console.error, which in the compiled binary dumps bundled source around the throw.

import type { CommandDef } from "citty";
import { LogLevels } from "consola/core";
import { consola } from "../log.ts";

/** Reports `error` as every command does, and exits 1. */
export function reportFailure(error: unknown): never {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  if (consola.level >= LogLevels.debug) {
    for (let e: unknown = error; e instanceof Error; e = e.cause) console.error(e === error ? e.stack : `caused by: ${e.stack}`);
  }
  process.exit(1);
}

/** A subcommand main.ts loads only when it runs (so a starting broker never evaluates the client tools). */
type LazyCommand = () => Promise<CommandDef<any>>;

function reporting(sub: CommandDef<any> | LazyCommand): CommandDef<any> | LazyCommand {
  return typeof sub === "function" ? async () => withFailureReport(await sub()) : withFailureReport(sub);
}

/** `cmd` and its subcommands, each run reporting a failure as one line and exit 1. */
export function withFailureReport<T extends CommandDef<any>>(cmd: T): T {
  const run = cmd.run;
  const subCommands = cmd.subCommands as Record<string, CommandDef<any> | LazyCommand> | undefined;
  return {
    ...cmd,
    ...(run && {
      run: async (context: Parameters<NonNullable<T["run"]>>[0]) => {
        try {
          return await run(context);
        } catch (error) {
          reportFailure(error);
        }
      },
    }),
    ...(subCommands && { subCommands: Object.fromEntries(Object.entries(subCommands).map(([name, sub]) => [name, reporting(sub)])) }),
  };
}
