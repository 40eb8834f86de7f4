#!/usr/bin/env bun
import { defineCommand, runMain } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { brokerCommand } from "./broker-command.ts";
import { topicCommand } from "./topic-command.ts";
import { groupCommand } from "./group-command.ts";

const main = defineCommand({
  meta: { name: "tansu", version: pkg.version, description: "A stateless Apache Kafka-compatible broker" },
  subCommands: { broker: brokerCommand, topic: topicCommand, group: groupCommand },
  default: "broker",
});

await runMain(main);
