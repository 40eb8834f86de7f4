import { defineCommand } from "citty";
import { consola } from "../log.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { ZERO_UUID } from "../protocol/reader.ts";
import { brokerArgs, check, CommandError, withBroker } from "./broker-client.ts";


const create = defineCommand({
  meta: { name: "create", description: "Create a topic" },
  args: {
    ...brokerArgs,
    name: { type: "positional", description: "Topic name", required: true },
    partitions: { type: "string", description: "Number of partitions (-1: the broker's default)", default: "-1" },
    config: { type: "string", description: "Topic config as key=value (repeatable)" },
  },
  async run({ args, rawArgs }) {
    const configs = ([] as string[]).concat((args.config as string | string[] | undefined) ?? []).map((kv) => {
      const eq = kv.indexOf("=");
      if (eq <= 0) throw new CommandError(`--config ${kv}: expected key=value`);
      return { name: kv.slice(0, eq), value: kv.slice(eq + 1) };
    });
    await withBroker(args, rawArgs, async (c) => {
      const response = await c.request(ApiKey.CreateTopics, 7, {
        topics: [{ name: args.name, numPartitions: Number(args.partitions), replicationFactor: -1, assignments: [], configs }],
        timeoutMs: 30_000,
        validateOnly: false,
      });
      const result = response.topics[0]!;
      check(result.errorCode, result.errorMessage, `create topic ${args.name}`);
      consola.success(`Created topic ${args.name} with ${result.numPartitions} partition(s), id ${result.topicId}`);
    });
  },
});

const del = defineCommand({
  meta: { name: "delete", description: "Delete a topic" },
  args: { ...brokerArgs, name: { type: "positional", description: "Topic name", required: true } },
  run: ({ args, rawArgs }) =>
    withBroker(args, rawArgs, async (c) => {
      const response = await c.request(ApiKey.DeleteTopics, 6, {
        topics: [{ name: args.name, topicId: ZERO_UUID }],
        timeoutMs: 30_000,
      });
      const result = response.responses[0]!;
      check(result.errorCode, result.errorMessage, `delete topic ${args.name}`);
      consola.success(`Deleted topic ${args.name}`);
    }),
});

const list = defineCommand({
  meta: { name: "list", description: "List topics" },
  args: brokerArgs,
  run: ({ args, rawArgs }) =>
    withBroker(args, rawArgs, async (c) => {
      const response = await c.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      for (const name of response.topics.map((t) => t.name ?? "").sort()) console.log(name);
    }),
});

const describe = defineCommand({
  meta: { name: "describe", description: "Describe a topic: partitions and configs" },
  args: { ...brokerArgs, name: { type: "positional", description: "Topic name", required: true } },
  run: ({ args, rawArgs }) =>
    withBroker(args, rawArgs, async (c) => {
      const metadata = await c.request(ApiKey.Metadata, 12, {
        topics: [{ name: args.name, topicId: ZERO_UUID }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      });
      const topic = metadata.topics[0]!;
      check(topic.errorCode, null, `describe topic ${args.name}`);
      const configs = await c.request(ApiKey.DescribeConfigs, 4, {
        resources: [{ resourceType: 2, resourceName: args.name, configurationKeys: null }],
        includeSynonyms: false,
        includeDocumentation: false,
      });
      const result = configs.results[0]!;
      check(result.errorCode, result.errorMessage, `describe configs of ${args.name}`);
      console.log(`Topic: ${topic.name}\tTopicId: ${topic.topicId}\tPartitionCount: ${topic.partitions.length}`);
      for (const p of topic.partitions) console.log(`\tPartition: ${p.partitionIndex}\tLeader: ${p.leaderId}`);
      console.log("Configs:");
      for (const cfg of result.configs) console.log(`\t${cfg.name}=${cfg.value ?? ""}${cfg.configSource === 1 ? "" : " (default)"}`);
    }),
});

export const topicCommand = defineCommand({
  meta: { name: "topic", description: "Create, delete, list and describe topics on a running broker" },
  subCommands: { create, delete: del, list, describe },
});
