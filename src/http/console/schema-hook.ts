// The console's two hooks for topic schemas. The broker has no schema module yet (issue 10 adds
// one); until then a topic has no schema and records are shown as text, JSON or hex.
import type { BrokerContext } from "../../broker/context.ts";

export interface ConsoleSchema {
  /** AVRO, JSON or PROTOBUF, as the Schema Registry names them. */
  type: string;
  subject: string;
  version: number;
  id: number;
  schema: string;
}

/** The schemas the topic's keys and values are validated against, for the topic page. */
export async function topicSchemas(_ctx: BrokerContext, _topic: string): Promise<{ key: ConsoleSchema | null; value: ConsoleSchema | null }> {
  return { key: null, value: null };
}

/**
 * `bytes` (a record's key or value) decoded with the topic's schema into a JSON-able value, or
 * undefined when the topic has no schema for that part or the bytes are not schema-encoded.
 */
export async function decodeWithSchema(_ctx: BrokerContext, _topic: string, _part: "key" | "value", _bytes: Uint8Array): Promise<unknown> {
  return undefined;
}
