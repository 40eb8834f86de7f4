#!/usr/bin/env bun
import pkg from "../../package.json" with { type: "json" };
import type { CommandDef } from "citty";
import { defaultArgs } from "./define-command.ts";

// Subcommands are imported only when run (citty resolves a function-valued subcommand on
// demand): `tansu broker` evaluates none of the other commands' code, and each new command
// must be added the same way to keep the broker's start-up path short (docs/ARCHITECTURE.md).
const main: CommandDef = {
  meta: { name: "tansu", version: pkg.version, description: "A stateless Apache Kafka-compatible broker" },
  subCommands: {
    broker: () => import("./broker-command.ts").then((m) => m.brokerCommand),
    topic: () => import("./topic-command.ts").then((m) => m.topicCommand),
    cat: () => import("./cat-command.ts").then((m) => m.catCommand),
    schema: () => import("./schema-command.ts").then((m) => m.schemaCommand),
    group: () => import("./group-command.ts").then((m) => m.groupCommand),
    perf: () => import("./perf-command.ts").then((m) => m.perfCommand),
    // A proxy runs none of the broker's code, and keeps its memory that way.
    proxy: () => import("./proxy-command.ts").then((m) => m.proxyCommand),
    user: () => import("./user-command.ts").then((m) => m.userCommand),
    acl: () => import("./acl-command.ts").then((m) => m.aclCommand),
  },
  default: "broker",
};

const given = process.argv.slice(2);
if (given.length === 0 || (given.length === 1 && given[0] === "broker")) {
  // Nothing to parse: the container image and fly.toml run `tansu broker` configured by the
  // environment. The broker then runs with its options' defaults (which read the environment)
  // without loading citty, whose parsing (node:util's parseArgs, compiled at run time) is the
  // largest part of a broker's start-up (docs/BENCHMARKS.md, Startup).
  const { brokerCommand } = await import("./broker-command.ts");
  try {
    await brokerCommand.run!({ rawArgs: given, args: defaultArgs(brokerCommand) as never, cmd: brokerCommand });
  } catch (error) {
    (await import("./failure-report.ts")).reportFailure(error);
  }
} else {
  await runParsed(given);
}

/** Any other command line: citty parses it, after the check that refuses an unknown option. */
async function runParsed(given: string[]): Promise<void> {
  const [{ runMain }, { withFailureReport }, { unknownOption }] = await Promise.all([
    import("citty"),
    import("./failure-report.ts"),
    import("./unknown-options.ts"),
  ]);
  // citty's own flags: help anywhere, the version only alone.
  const version = given.length === 1 && ["--version", "-v"].includes(given[0]!);
  // `tansu --storage-engine memory://` is `tansu broker --storage-engine memory://`: citty would take the
  // option's value for a command name.
  const rawArgs = given[0]?.startsWith("-") && !version && !["--help", "-h"].includes(given[0]) ? ["broker", ...given] : given;
  const unknown = version ? null : await unknownOption(main, rawArgs, "tansu");
  if (unknown) {
    console.error(`error: ${unknown}`);
    process.exit(1);
  }
  await runMain(withFailureReport(main), { rawArgs });
}
