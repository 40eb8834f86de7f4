#!/usr/bin/env bun
import { defineCommand, runMain } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { brokerCommand } from "./broker-command.ts";
import { withFailureReport } from "./failure-report.ts";
import { topicCommand } from "./topic-command.ts";
import { unknownOption } from "./unknown-options.ts";

const main = defineCommand({
  meta: { name: "tansu", version: pkg.version, description: "A stateless Apache Kafka-compatible broker" },
  subCommands: {
    broker: brokerCommand,
    topic: topicCommand,
    // Loaded when used: a broker starting up never pays for the client tools' code.
    cat: () => import("./cat-command.ts").then((m) => m.catCommand),
    schema: () => import("./schema-command.ts").then((m) => m.schemaCommand),
    group: () => import("./group-command.ts").then((m) => m.groupCommand),
    // A proxy runs none of the broker's code, and keeps its memory that way.
    proxy: () => import("./proxy-command.ts").then((m) => m.proxyCommand),
    user: () => import("./user-command.ts").then((m) => m.userCommand),
    acl: () => import("./acl-command.ts").then((m) => m.aclCommand),
  },
  default: "broker",
});

const given = process.argv.slice(2);
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
