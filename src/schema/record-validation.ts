// Checks every record of a batch against its topic's schema: the key and the value each, in the topic's wire
// format. Returns every offending record's index with what failed, as Produce reports them in record_errors,
// and the decoded records when all passed.
import type { KafkaRecord } from "../protocol/record-batch.ts";
import { decodeProtobufFramed, HEADER_BYTES, schemaIdOf } from "./confluent-wire.ts";
import { SchemaViolation, type CompiledSchema, type DecodedRecord, type RecordError, type SchemaPart, type TopicSchema, type WireFormat } from "./types.ts";

/** A record named a schema id that is not a live version of the subject, as far as this process knows. */
export class UnknownSchemaIdError extends SchemaViolation {
  constructor(path: string, id: number, subject: string) {
    super(path, `schema id ${id} is not a registered version of subject ${subject}`);
    this.name = "UnknownSchemaIdError";
  }
}

interface DecodedPart {
  value: unknown;
  /** The schema that decoded it; null for Confluent's null. */
  schema: CompiledSchema | null;
}

const NOTHING: DecodedPart = { value: null, schema: null };

/**
 * Decodes one key or value. In Confluent's format a null is the serializers' null (a tombstone) and passes;
 * in plain form a part the schema describes must be there, as Tansu requires.
 * @throws SchemaViolation, UnknownSchemaIdError
 */
export function decodePart(part: SchemaPart, wire: WireFormat, bytes: Uint8Array | null, path: string, decode: boolean): DecodedPart {
  if (bytes === null) {
    if (wire === "confluent") return NOTHING;
    throw new SchemaViolation(path, "is null, but the topic's schema describes it");
  }
  if (wire === "plain") return { value: decode ? part.latest.decode(bytes, path) : part.latest.validate(bytes, path), schema: part.latest };
  const id = schemaIdOf(bytes, path);
  let schema = part.latest;
  if (part.versions) {
    const version = part.versions.get(id);
    if (!version) throw new UnknownSchemaIdError(path, id, part.subject ?? "");
    schema = version;
  }
  const afterId = bytes.subarray(HEADER_BYTES);
  if (schema.format === "protobuf") {
    const { value, message } = decodeProtobufFramed(schema, afterId, path, decode);
    return { value, schema: message };
  }
  return { value: decode ? schema.decode(afterId, path) : schema.validate(afterId, path), schema };
}

/** The wire format of a topic: its tansu.schema.wire.format, else plain for files and Confluent's for subjects. */
export function wireFormatOf(schema: TopicSchema, configs: Record<string, string>): WireFormat {
  const configured = configs["tansu.schema.wire.format"];
  if (configured === "plain" || configured === "confluent") return configured;
  return schema.source === "file" ? "plain" : "confluent";
}

export interface RecordsCheck {
  errors: RecordError[];
  /** The decoded records, when there are no errors. */
  records: DecodedRecord[];
}

/**
 * @param recheckable an unknown schema id throws UnknownSchemaIdError (the caller re-reads the subject and
 *   checks again) instead of counting as invalid
 * @param decode build the decoded values (someone listens for them); otherwise only check, which is cheaper
 */
export function checkRecords(schema: TopicSchema, wire: WireFormat, records: KafkaRecord[], recheckable: boolean, decode: boolean): RecordsCheck {
  const errors: RecordError[] = [];
  const decoded: DecodedRecord[] = [];
  records.forEach((record, index) => {
    try {
      // A part without a schema is passed on as its bytes.
      const key = schema.key ? decodePart(schema.key, wire, record.key, "key", decode) : { value: record.key, schema: null };
      const value = schema.value ? decodePart(schema.value, wire, record.value, "value", decode) : { value: record.value, schema: null };
      if (decode) {
        decoded.push({
          offsetDelta: record.offsetDelta,
          timestampDelta: record.timestampDelta,
          key: key.value,
          value: value.value,
          keySchema: key.schema,
          valueSchema: value.schema,
          headers: record.headers,
        });
      }
    } catch (error) {
      if (error instanceof UnknownSchemaIdError && recheckable) throw error;
      if (error instanceof SchemaViolation) errors.push({ index, message: error.message });
      else throw error;
    }
  });
  return { errors, records: errors.length === 0 ? decoded : [] };
}
