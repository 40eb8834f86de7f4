// The console's view of topic schemas, through the broker's schema layer (src/schema): the topic page shows
// the schemas, the message browser decodes keys and values with them.
import type { BrokerContext } from "../../broker/context.ts";
import { decodeProtobufFramed, HEADER_BYTES, schemaIdOf } from "../../schema/confluent-wire.ts";
import { wireFormatOf } from "../../schema/record-validation.ts";
import type { CompiledSchema, SchemaPart, TopicSchema } from "../../schema/types.ts";

export interface ConsoleSchema {
  /** AVRO, JSON or PROTOBUF, as the Schema Registry names them. */
  type: string;
  /** The subject it was registered under, or the file it came from. */
  subject: string;
  version: number | null;
  id: number | null;
  schema: string;
}

const TYPE_NAMES = { avro: "AVRO", json: "JSON", protobuf: "PROTOBUF" } as const;

function describe(schema: TopicSchema, part: SchemaPart | undefined): ConsoleSchema | null {
  if (!part) return null;
  // The library's own object printed as JSON: an avsc Type's schema(), a protobufjs Type's descriptor, the JSON Schema itself.
  const library = part.latest.schema as { schema?(): unknown; toJSON?(): unknown };
  const definition = part.format === "avro" ? library.schema?.() : part.format === "protobuf" ? library.toJSON?.() : library;
  const text = JSON.stringify(definition, null, 2);
  return {
    type: TYPE_NAMES[part.format],
    subject: part.subject ?? `${schema.topic} (schema file)`,
    version: null,
    id: part.latestId ?? null,
    schema: text,
  };
}

async function schemaOf(ctx: BrokerContext, topic: string): Promise<TopicSchema | null> {
  if (!ctx.schemas) return null;
  try {
    return await ctx.schemas.schemaFor(topic);
  } catch {
    // A schema file that does not compile is the producer's error to see; the console shows raw bytes.
    return null;
  }
}

/** The schemas the topic's keys and values are validated against, for the topic page. */
export async function topicSchemas(ctx: BrokerContext, topic: string): Promise<{ key: ConsoleSchema | null; value: ConsoleSchema | null }> {
  const schema = await schemaOf(ctx, topic);
  if (!schema) return { key: null, value: null };
  return { key: describe(schema, schema.key), value: describe(schema, schema.value) };
}

/**
 * `bytes` (a record's key or value) decoded with the topic's schema into a JSON-able value, or
 * undefined when the topic has no schema for that part or the bytes do not decode with it.
 */
export async function decodeWithSchema(ctx: BrokerContext, topic: string, part: "key" | "value", bytes: Uint8Array): Promise<unknown> {
  const schema = await schemaOf(ctx, topic);
  const schemaPart = schema?.[part];
  if (!schema || !schemaPart) return undefined;
  const topicRow = await ctx.storage.getTopic({ name: topic });
  try {
    if (wireFormatOf(schema, topicRow?.configs ?? {}) === "plain") return schemaPart.latest.toJson(schemaPart.latest.decode(bytes, part));
    const id = schemaIdOf(bytes, part);
    const compiled: CompiledSchema = schemaPart.versions?.get(id) ?? schemaPart.latest;
    const afterId = bytes.subarray(HEADER_BYTES);
    if (compiled.format !== "protobuf") return compiled.toJson(compiled.decode(afterId, part));
    const { value, message } = decodeProtobufFramed(compiled, afterId, part);
    return message.toJson(value);
  } catch {
    // Not decodable with the topic's schema (e.g. written before the schema existed): shown raw.
    return undefined;
  }
}
