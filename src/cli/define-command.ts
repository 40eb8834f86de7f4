// citty's defineCommand, for commands on the broker's start-up path: the same identity function
// with the same types, but importing only citty's types, so defining the broker command does not
// load citty (and node:util, which citty's argument parsing needs) when there is nothing to parse.
import type { ArgsDef, CommandDef } from "citty";

export function defineCommand<const T extends ArgsDef = ArgsDef>(def: CommandDef<T>): CommandDef<T> {
  return def;
}

/** The arguments a command runs with when none are given: each one's default. */
export function defaultArgs(def: CommandDef<any>): Record<string, unknown> {
  const args = (def.args ?? {}) as ArgsDef;
  const out: Record<string, unknown> = {};
  for (const name in args) out[name] = args[name]!.default;
  return out;
}
