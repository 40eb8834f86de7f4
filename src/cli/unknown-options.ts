// citty ignores options it does not know, so `tansu broker --storage-engin memory://` would start a broker
// on the default store. This check walks the command line the way citty resolves it (subcommand by name,
// else the default one) and refuses the first unknown option of the command that will run, before any
// command runs; run once from main.ts for every command.

import type { ArgsDef, CommandDef } from "citty";

type Resolvable<T> = T | Promise<T> | (() => T | Promise<T>);
const resolve = async <T>(value: Resolvable<T> | undefined): Promise<T | undefined> =>
  typeof value === "function" ? (value as () => T | Promise<T>)() : value;

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

interface KnownOptions {
  /** Every spelling citty accepts, as typed: --name, --camelName, aliases, --no-name for booleans, --help. */
  spellings: Set<string>;
  /** Options that take the next argument as their value unless written --name=value. */
  takesValue: Set<string>;
  /** The documented spelling of each option, for suggestions. */
  canonical: string[];
}

function knownOptions(args: ArgsDef): KnownOptions {
  const known: KnownOptions = { spellings: new Set(["--help", "-h"]), takesValue: new Set(), canonical: [] };
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const alias = (def as { alias?: string | string[] }).alias;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    const spellings = [...new Set([name, kebab(name), camel(name)])].map((n) => `--${n}`);
    // One-letter options are typed with one dash, as librdkafka's -X: citty reads `-X value` as X.
    if (name.length === 1) spellings.push(`-${name}`);
    spellings.push(...aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`)));
    if (def.type === "boolean") spellings.push(`--no-${kebab(name)}`, `--no-${camel(name)}`);
    for (const s of spellings) {
      known.spellings.add(s);
      if (def.type !== "boolean") known.takesValue.add(s);
    }
    known.canonical.push(name.length === 1 ? `-${name}` : `--${kebab(name)}`);
  }
  return known;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function refusal(option: string, command: string, known: KnownOptions): string {
  const closest = known.canonical.reduce<string | null>(
    (best, candidate) => (best === null || distance(option, candidate) < distance(option, best) ? candidate : best),
    null,
  );
  return `unknown option ${option} for ${command}${closest ? `; did you mean ${closest}?` : ""}`;
}

/** The first option in `args` (up to `--`) that is not `known`, skipping the values of options that take one. */
function firstUnknown(args: string[], known: KnownOptions): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return null;
    if (!arg.startsWith("-") || arg === "-") continue;
    // -Xkey=value: a one-letter option with its value attached.
    if (!arg.startsWith("--") && arg.length > 2 && known.takesValue.has(arg.slice(0, 2))) continue;
    const option = arg.split("=", 1)[0]!;
    if (!known.spellings.has(option)) return option;
    if (known.takesValue.has(option) && !arg.includes("=")) i++;
  }
  return null;
}

/** Where citty finds a subcommand's name: the first argument that is neither an option nor an option's value. */
function subCommandIndex(args: string[], known: KnownOptions): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return -1;
    if (!arg.startsWith("-")) return i;
    if (known.takesValue.has(arg)) i++;
  }
  return -1;
}

/**
 * The first unknown option among `rawArgs` for the command citty will run, as a one-line message, or null.
 * `path` names `cmd` as the user typed it ("tansu").
 */
export async function unknownOption(cmd: CommandDef<any>, rawArgs: string[], path: string): Promise<string | null> {
  const known = knownOptions((await resolve(cmd.args)) ?? {});
  const subCommands = (await resolve(cmd.subCommands)) as Record<string, Resolvable<CommandDef<any>>> | undefined;
  if (subCommands && Object.keys(subCommands).length > 0) {
    const at = subCommandIndex(rawArgs, known);
    if (at >= 0) {
      const sub = await resolve(subCommands[rawArgs[at]!]);
      // A name citty does not know is its own error ("Unknown command"), reported when it runs.
      if (!sub) return null;
      const option = firstUnknown(rawArgs.slice(0, at), known);
      if (option) return refusal(option, path, known);
      return unknownOption(sub, rawArgs.slice(at + 1), `${path} ${rawArgs[at]}`);
    }
    // No name: citty hands every argument to the default subcommand.
    const name = await resolve(cmd.default as Resolvable<string> | undefined);
    const fallback = name === undefined ? undefined : await resolve(subCommands[name]);
    if (fallback) return unknownOption(fallback, rawArgs, `${path} ${name}`);
  }
  const option = firstUnknown(rawArgs, known);
  return option ? refusal(option, path, known) : null;
}
