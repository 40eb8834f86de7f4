// `tansu cat produce|consume`: JSON lines in and out of a topic, each key and value encoded with (and decoded
// by) the topic's schema, like kcat with a schema registry.
import { defineCommand } from "citty";
import type { KafkaConnection } from "../client/kafka-connection.ts";
import { consola } from "../log.ts";
import { ErrorCode, errorName } from "../protocol/error-codes.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { ZERO_UUID } from "../protocol/reader.ts";
import { decodeRecordBatches, encodeRecordBatch, isControl, type RecordInput } from "../protocol/record-batch.ts";
import { SchemaViolation } from "../schema/types.ts";
import { brokerArgs, check, CommandError, withBroker } from "./broker-client.ts";
import { Partitioner } from "../client/partitioner.ts";
import { TopicSchemaClient, withWireFormat, type CliTopicSchema } from "./topic-schema-client.ts";

export const schemaRegistryArg = {
  "schema-registry": {
    type: "string",
    description: "The broker's Schema Registry API (http://HOST:PORT) or its schema files (file://DIR, s3://BUCKET/PREFIX/) (SCHEMA_REGISTRY)",
    default: process.env.SCHEMA_REGISTRY,
  },
} as const;

/** A batch is sent once it holds this many records (or bytes). */
const BATCH_RECORDS = 1000;
const BATCH_BYTES = 512 * 1024;
const PROGRESS_EVERY = 10_000;

/** The lines of a file, or of stdin for "-" / no file, as they arrive. */
export async function* readLines(file: string | undefined): AsyncGenerator<string> {
  const stream = !file || file === "-" ? Bun.stdin.stream() : Bun.file(file).stream();
  const decoder = new TextDecoder();
  let pending = "";
  try {
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      yield* lines;
    }
  } catch (error) {
    throw new CommandError(`cannot read ${file && file !== "-" ? file : "stdin"}: ${(error as Error).message}`);
  }
  pending += decoder.decode();
  if (pending !== "") yield pending;
}

export interface JsonLine {
  key?: unknown;
  value?: unknown;
  headers?: Record<string, string | null>;
  partition?: number;
}

/** Parses one input line. @throws Error saying what is wrong with it */
export function parseJsonLine(line: string): JsonLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`expected an object {"key": ..., "value": ...}`);
  const record = parsed as JsonLine;
  if (record.partition !== undefined && (!Number.isInteger(record.partition) || record.partition < 0)) throw new Error("partition must be a non-negative integer");
  if (record.headers !== undefined && (typeof record.headers !== "object" || record.headers === null || Array.isArray(record.headers))) {
    throw new Error("headers must be an object of strings");
  }
  return record;
}

/** Encodes one line's record, and the partition it names if any. @throws Error (SchemaViolation or a malformed line) */
export function encodeLine(client: TopicSchemaClient, schema: CliTopicSchema | null, line: string): { partition?: number; record: Omit<RecordInput, "offsetDelta"> } {
  const parsed = parseJsonLine(line);
  const headers = Object.entries(parsed.headers ?? {}).map(([key, value]) => ({
    key,
    value: value === null ? null : new TextEncoder().encode(String(value)),
  }));
  return {
    partition: parsed.partition,
    record: { key: client.encode(schema, "key", parsed.key), value: client.encode(schema, "value", parsed.value), headers },
  };
}

/** The topic's tansu.schema.wire.format, when set: it overrides how the schema's source frames records. */
async function configuredWireFormat(c: KafkaConnection, topic: string): Promise<string | undefined> {
  const response = await c.request(ApiKey.DescribeConfigs, 4, {
    resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ["tansu.schema.wire.format"] }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const result = response.results[0]!;
  check(result.errorCode, result.errorMessage, `describe configs of ${topic}`);
  return result.configs.find((config) => config.name === "tansu.schema.wire.format")?.value ?? undefined;
}

async function partitionCount(c: KafkaConnection, topic: string, create: boolean): Promise<number> {
  const metadata = await c.request(ApiKey.Metadata, 12, { topics: [{ name: topic, topicId: ZERO_UUID }], allowAutoTopicCreation: create, includeTopicAuthorizedOperations: false });
  const found = metadata.topics[0]!;
  check(found.errorCode, null, `topic ${topic}`);
  return found.partitions.length;
}

interface Pending {
  records: RecordInput[];
  lines: number[];
  bytes: number;
}

async function sendBatches(c: KafkaConnection, topic: string, pending: Map<number, Pending>): Promise<number> {
  if (pending.size === 0) return 0;
  const partitionData = [...pending].map(([index, p]) => ({ index, records: encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: p.records }) }));
  const response = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData }] });
  let sent = 0;
  for (const result of response.responses[0]?.partitionResponses ?? []) {
    const batch = pending.get(result.index)!;
    if (result.errorCode !== ErrorCode.NONE) {
      const lines = (result.recordErrors ?? []).map((e) => `line ${batch.lines[e.batchIndex]}: ${e.batchIndexErrorMessage}`);
      throw new CommandError(
        `produce to ${topic}-${result.index}: ${errorName(result.errorCode)}${lines.length > 0 ? `: ${lines.join("; ")}` : result.errorMessage ? `: ${result.errorMessage}` : ""}`,
      );
    }
    sent += batch.records.length;
  }
  pending.clear();
  return sent;
}

const topicArgs = {
  ...brokerArgs,
  ...schemaRegistryArg,
  topic: { type: "positional", description: "Topic name", required: true },
} as const;

const produce = defineCommand({
  meta: { name: "produce", description: "Produce JSON lines {key, value, headers, partition} to a topic, encoded with its schema" },
  args: {
    ...topicArgs,
    file: { type: "positional", description: "File of JSON lines, or - for stdin (the default)", required: false },
    "keep-going": { type: "boolean", description: "Report lines that do not fit the schema and send the rest", default: false },
  },
  async run({ args, rawArgs }) {
    const client = new TopicSchemaClient(args["schema-registry"]);
    const fromSource = await client.topicSchema(args.topic);
    let skipped = 0;
    await withBroker(args, rawArgs, async (c) => {
      const partitions = await partitionCount(c, args.topic, true);
      const schema = withWireFormat(fromSource, await configuredWireFormat(c, args.topic));
      const partitioner = new Partitioner(partitions);
      const pending = new Map<number, Pending>();
      let lineNumber = 0;
      let queued = 0;
      let produced = 0;
      for await (const line of readLines(args.file)) {
        lineNumber++;
        if (line.trim() === "") continue;
        let encoded;
        try {
          const parsed = encodeLine(client, schema, line);
          // A line without a partition goes where Kafka's producer would put it.
          encoded = { ...parsed, partition: parsed.partition ?? partitioner.partitionOf(parsed.record.key ?? null) };
          if (encoded.partition >= partitions) throw new Error(`partition ${encoded.partition} does not exist (${args.topic} has ${partitions})`);
        } catch (error) {
          const message = `line ${lineNumber}: ${(error as Error).message}`;
          if (!args["keep-going"]) {
            produced += await sendBatches(c, args.topic, pending);
            throw new CommandError(`${message} (${produced} records before it were produced, nothing after it)`);
          }
          consola.error(message);
          skipped++;
          continue;
        }
        const batch = pending.get(encoded.partition) ?? { records: [], lines: [], bytes: 0 };
        batch.records.push({ ...encoded.record, offsetDelta: batch.records.length });
        batch.lines.push(lineNumber);
        batch.bytes += (encoded.record.key?.length ?? 0) + (encoded.record.value?.length ?? 0);
        pending.set(encoded.partition, batch);
        if (++queued >= BATCH_RECORDS || batch.bytes >= BATCH_BYTES) {
          const before = produced;
          produced += await sendBatches(c, args.topic, pending);
          queued = 0;
          if (Math.floor(produced / PROGRESS_EVERY) > Math.floor(before / PROGRESS_EVERY)) console.error(`${produced} records produced to ${args.topic}`);
        }
      }
      produced += await sendBatches(c, args.topic, pending);
      console.error(`${produced} records produced to ${args.topic}${skipped > 0 ? `, ${skipped} lines skipped` : ""}`);
    });
    if (skipped > 0) throw new CommandError(`${skipped} lines did not fit the schema of ${args.topic}`);
  },
});

async function startOffsets(c: KafkaConnection, topic: string, partitions: number[], offset: string): Promise<Map<number, bigint>> {
  if (/^\d+$/.test(offset)) return new Map(partitions.map((p) => [p, BigInt(offset)]));
  if (offset !== "earliest" && offset !== "latest") throw new CommandError(`--offset ${offset}: expected earliest, latest or an offset`);
  const response = await c.request(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, timestamp: offset === "earliest" ? -2n : -1n })) }],
  });
  const starts = new Map<number, bigint>();
  for (const p of response.topics[0]?.partitions ?? []) {
    check(p.errorCode, null, `list offsets of ${topic}-${p.partitionIndex}`);
    starts.set(p.partitionIndex, p.offset ?? -1n);
  }
  return starts;
}

const consume = defineCommand({
  meta: { name: "consume", description: "Print a topic's records as JSON lines, decoded with its schema; follows the topic until interrupted" },
  args: {
    ...topicArgs,
    partition: { type: "string", description: "Only this partition (default: all)" },
    offset: { type: "string", description: "earliest, latest or an offset", default: "earliest" },
    "max-messages": { type: "string", description: "Stop after this many records" },
    exit: { type: "boolean", description: "Stop at the end of every partition instead of following", default: false },
  },
  async run({ args, rawArgs }) {
    const maxMessages = args["max-messages"] === undefined ? Infinity : Number(args["max-messages"]);
    if (!(maxMessages >= 0)) throw new CommandError(`--max-messages ${args["max-messages"]}: expected a number`);
    const client = new TopicSchemaClient(args["schema-registry"]);
    const fromSource = await client.topicSchema(args.topic);
    await withBroker(args, rawArgs, async (c) => {
      const count = await partitionCount(c, args.topic, false);
      const schema = withWireFormat(fromSource, await configuredWireFormat(c, args.topic));
      const partitions = args.partition === undefined ? Array.from({ length: count }, (_, i) => i) : [Number(args.partition)];
      if (partitions.some((p) => !Number.isInteger(p) || p < 0 || p >= count)) throw new CommandError(`--partition ${args.partition}: ${args.topic} has ${count} partitions`);
      const offsets = await startOffsets(c, args.topic, partitions, args.offset);
      let printed = 0;
      while (printed < maxMessages) {
        const response = await c.request(ApiKey.Fetch, 12, {
          replicaId: -1,
          maxWaitMs: args.exit ? 0 : 500,
          minBytes: 1,
          maxBytes: 8 * 1024 * 1024,
          isolationLevel: 1,
          topics: [{ topic: args.topic, partitions: partitions.map((p) => ({ partition: p, fetchOffset: offsets.get(p)!, partitionMaxBytes: 1024 * 1024 })) }],
          forgottenTopicsData: [],
        });
        let atEnd = true;
        for (const p of response.responses[0]?.partitions ?? []) {
          check(p.errorCode, null, `fetch ${args.topic}-${p.partitionIndex}`);
          for (const batch of decodeRecordBatches(p.records ?? new Uint8Array(), { allowPartialTail: true })) {
            offsets.set(p.partitionIndex, batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n);
            if (isControl(batch.attributes)) continue;
            for (const record of batch.records) {
              const offset = batch.baseOffset + BigInt(record.offsetDelta);
              if (printed >= maxMessages) break;
              console.log(JSON.stringify(await recordLine(client, schema, p.partitionIndex, offset, batch.baseTimestamp + record.timestampDelta, record)));
              printed++;
            }
          }
          if (offsets.get(p.partitionIndex)! < p.highWatermark) atEnd = false;
        }
        if (args.exit && atEnd) break;
      }
    });
  },
});

async function recordLine(
  client: TopicSchemaClient,
  schema: CliTopicSchema | null,
  partition: number,
  offset: bigint,
  timestamp: bigint,
  record: { key: Uint8Array | null; value: Uint8Array | null; headers: Array<{ key: string; value: Uint8Array | null }> },
): Promise<Record<string, unknown>> {
  const decode = async (part: "key" | "value", bytes: Uint8Array | null) => {
    try {
      return await client.decode(schema, part, bytes);
    } catch (error) {
      if (!(error instanceof SchemaViolation)) throw error;
      consola.warn(`${partition}@${offset}: ${error.message}; printed as text`);
      return bytes === null ? null : new TextDecoder().decode(bytes);
    }
  };
  return {
    partition,
    offset: Number(offset),
    timestamp: Number(timestamp),
    key: await decode("key", record.key),
    value: await decode("value", record.value),
    headers: Object.fromEntries(record.headers.map((h) => [h.key, h.value === null ? null : new TextDecoder().decode(h.value)])),
  };
}

export const catCommand = defineCommand({
  meta: { name: "cat", description: "Produce JSON lines to a topic or consume them from it, through the topic's schema" },
  subCommands: { produce, consume },
});
