import { defineCommand } from "citty";
import { Compression } from "../protocol/record-batch.ts";
import { brokerArgs, clientOptionsOf, CommandError } from "./broker-client.ts";
import { consumePerf, consumeSummary } from "./perf/consume-perf.ts";
import { producePerf, produceSummary } from "./perf/produce-perf.ts";

/** Every client option of the other commands; perf takes several brokers. */
const brokerArg = {
  ...brokerArgs,
  broker: {
    type: "string",
    description: "Broker(s) to talk to, host:port, comma-separated; producers take them in turn (TANSU_BROKER)",
    default: process.env.TANSU_BROKER ?? "localhost:9092",
  },
} as const;

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new CommandError(`--${name} must be an integer of at least ${min}, got ${JSON.stringify(text)}`);
  return value;
}

function acksOf(text: string): number {
  const acks = text === "all" ? -1 : Number(text);
  if (acks !== -1 && acks !== 0 && acks !== 1) throw new CommandError(`--acks must be all, -1, 1 or 0, got ${JSON.stringify(text)}`);
  return acks;
}

function compressionOf(name: string): number {
  const id = (Compression as Record<string, number>)[name];
  if (id === undefined) throw new CommandError(`--compression must be one of ${Object.keys(Compression).join(", ")}, got ${JSON.stringify(name)}`);
  return id;
}

const produce = defineCommand({
  meta: { name: "produce", description: "Measure producing: records/s, MB/s and latency percentiles, like kafka-producer-perf-test" },
  args: {
    ...brokerArg,
    topic: { type: "positional", description: "Topic (created if the broker auto-creates topics)", required: true },
    records: { type: "string", description: "Records to send", required: true },
    "record-size": { type: "string", description: "Bytes per record value", required: true },
    throughput: { type: "string", description: "Records per second over all producers; -1 for as fast as possible", default: "-1" },
    producers: { type: "string", description: "Producers, each with its own connection", default: "1" },
    acks: { type: "string", description: "all (-1), 1 or 0", default: "all" },
    compression: { type: "string", description: "none, gzip, snappy, lz4 or zstd", default: "none" },
    "batch-size": { type: "string", description: "batch.size in bytes", default: "16384" },
    "linger-ms": { type: "string", description: "linger.ms", default: "5" },
    json: { type: "boolean", description: "Print only the summary, as one JSON object", default: false },
  },
  async run({ args, rawArgs }) {
    const result = await producePerf({
      brokers: args.broker.split(","),
      connect: clientOptionsOf(args, rawArgs),
      topic: args.topic,
      records: integer("records", args.records, 1),
      recordSize: integer("record-size", args["record-size"], 0),
      throughput: args.throughput === "-1" ? -1 : integer("throughput", args.throughput, 1),
      producers: integer("producers", args.producers, 1),
      producer: {
        acks: acksOf(args.acks),
        compression: compressionOf(args.compression),
        batchSize: integer("batch-size", args["batch-size"], 1),
        lingerMs: integer("linger-ms", args["linger-ms"], 0),
      },
      reportIntervalMs: args.json ? 0 : 5000,
      print: (line) => console.log(line),
    });
    console.log(args.json ? JSON.stringify(result) : produceSummary(result));
    if (result.errors > 0) throw new Error(`${result.errors} of ${result.records} records failed, the first with ${result.firstError}`);
  },
});

const consume = defineCommand({
  meta: { name: "consume", description: "Measure consuming a topic from its beginning: records/s, MB/s, fetch latency, like kafka-consumer-perf-test" },
  args: {
    ...brokerArg,
    topic: { type: "positional", description: "Topic", required: true },
    records: { type: "string", description: "Records to consume", required: true },
    timeout: { type: "string", description: "Give up after this many ms without a record", default: "10000" },
    "fetch-max-bytes": { type: "string", description: "fetch.max.bytes", default: String(50 * 1024 * 1024) },
    json: { type: "boolean", description: "Print only the summary, as one JSON object", default: false },
  },
  async run({ args, rawArgs }) {
    const wanted = integer("records", args.records, 1);
    const result = await consumePerf({
      broker: args.broker.split(",")[0]!,
      connect: clientOptionsOf(args, rawArgs),
      topic: args.topic,
      records: wanted,
      timeoutMs: integer("timeout", args.timeout, 1),
      consumer: { fetchMaxBytes: integer("fetch-max-bytes", args["fetch-max-bytes"], 1) },
    });
    console.log(args.json ? JSON.stringify(result) : consumeSummary(result).join("\n"));
    if (result.timedOut) throw new Error(`only ${result.records} of ${wanted} records arrived; none for ${args.timeout} ms`);
  },
});

export const perfCommand = defineCommand({
  meta: { name: "perf", description: "Measure a running broker as Kafka's perf-test tools do" },
  subCommands: { produce, consume },
});
