#!/usr/bin/env bun
import { defineCommand, runMain } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { brokerCommand } from "./broker-command.ts";
import { topicCommand } from "./topic-command.ts";

const main = defineCommand({
  meta: { name: "tansu", version: pkg.version, description: "A stateless Apache Kafka-compatible broker" },
  subCommands: {
    broker: brokerCommand,
    topic: topicCommand,
    // Loaded when used: a broker starting up never pays for the client tools' code.
    cat: () => import("./cat-command.ts").then((m) => m.catCommand),
    schema: () => import("./schema-command.ts").then((m) => m.schemaCommand),
    group: () => import("./group-command.ts").then((m) => m.groupCommand),
  },
  default: "broker",
});

await runMain(main);
