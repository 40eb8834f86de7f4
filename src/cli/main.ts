#!/usr/bin/env bun
import { defineCommand, runMain } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { brokerCommand } from "./broker-command.ts";
import { topicCommand } from "./topic-command.ts";

const main = defineCommand({
  meta: { name: "tansu", version: pkg.version, description: "A stateless Apache Kafka-compatible broker" },
  // Loaded when used: a broker never pays for the tools' modules (security ones among them).
  subCommands: {
    broker: brokerCommand,
    topic: topicCommand,
    user: () => import("./user-command.ts").then((m) => m.userCommand),
    acl: () => import("./acl-command.ts").then((m) => m.aclCommand),
  },
  default: "broker",
});

await runMain(main);
