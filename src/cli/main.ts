#!/usr/bin/env bun
import pkg from "../../package.json" with { type: "json" };
import type { CommandDef } from "citty";

// Subcommands are imported only when run (citty resolves a function-valued subcommand on
// demand): `tansu broker` evaluates none of the other commands' code, and each new command
// must be added the same way to keep the broker's start-up path short (docs/ARCHITECTURE.md).
const main: CommandDef = {
  meta: { name: "tansu", version: pkg.version, description: "A stateless Apache Kafka-compatible broker" },
  subCommands: {
    broker: async () => (await import("./broker-command.ts")).brokerCommand,
    topic: async () => (await import("./topic-command.ts")).topicCommand,
    perf: async () => (await import("./perf-command.ts")).perfCommand,
  },
  default: "broker",
};

const argv = process.argv.slice(2);
if (argv.length === 0 || (argv.length === 1 && argv[0] === "broker")) {
  // Nothing to parse: the container image and fly.toml run `tansu broker` configured by the
  // environment. The broker then runs with its options' defaults (which read the environment)
  // without loading citty, whose parsing (node:util's parseArgs, compiled at run time) is the
  // largest part of a broker's start-up (docs/BENCHMARKS.md, Startup).
  const { brokerCommand } = await import("./broker-command.ts");
  const { defaultArgs } = await import("./define-command.ts");
  try {
    await brokerCommand.run!({ rawArgs: argv, args: defaultArgs(brokerCommand) as never, cmd: brokerCommand });
  } catch (error) {
    // As citty reports a failed command.
    console.error(error, "\n");
    process.exit(1);
  }
} else {
  const { runMain } = await import("citty");
  await runMain(main);
}
