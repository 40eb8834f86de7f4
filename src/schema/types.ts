// What src/schema offers the rest of tansu: for a topic, whether it has a schema, the schema of its key and of
// its value as the library's own object, and each record's key and value checked and decoded. The broker
// validates produce requests with it; the lake writer (Parquet/Iceberg/Delta) builds on the same interface:
//
//   const { validation } = await brokerSchemas.layer();       // open-schemas.ts, held by the broker's CLI wiring
//   const schema = await validation.schemaFor(topic);         // TopicSchema | null
//   schema?.value?.format                                      // "avro" | "json" | "protobuf"
//   schema?.value?.latest.schema                               // avsc Type | JSON Schema object | protobufjs Type
//   schema?.value?.latest.decode(bytes, "value")               // one plain payload, checked and decoded
//   validation.onAppended((batch) => batch.records[i].value)   // decoded values of every appended batch

/** The three schema languages, in tansu's spelling. */
export type SchemaFormat = "avro" | "json" | "protobuf";

/** Confluent's `schemaType` names for the same formats (AVRO is the default when absent). */
export type SchemaType = "AVRO" | "JSON" | "PROTOBUF";

/** How keys and values are laid out in records: bare payloads, or Confluent's magic byte and schema id first. */
export type WireFormat = "plain" | "confluent";

/**
 * A key or value that does not match its schema: `path` names the failing field from the record part down
 * ("value.address.zip"), `reason` says what is wrong with it.
 */
export class SchemaViolation extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = "SchemaViolation";
  }
}

/** A schema text that cannot be compiled (bad syntax, unknown type, unresolved reference). */
export class InvalidSchemaError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidSchemaError";
  }
}

/** One compiled schema: what one key or one value must be. Compiled once and cached. */
export interface CompiledSchema {
  readonly format: SchemaFormat;
  /** The library's own object: an avsc Type, the JSON Schema document (an object), a protobufjs Type. */
  readonly schema: unknown;
  /**
   * The schema as one self-contained JSON document, for the lake's columns, where `schema` is not: Avro's with its
   * logical types and the named types of its references in place (an avsc Type parsed without logical types
   * registered forgets them; built on first use), a JSON Schema file part's with the file's definitions.
   */
  readonly json?: unknown;
  /**
   * Decodes and checks one payload without any Confluent header: JSON text, Avro binary, Protobuf binary.
   * @param path names the payload in messages ("key", "value")
   * @throws SchemaViolation
   */
  decode(payload: Uint8Array, path: string): unknown;
  /** Checks one payload as decode does, without necessarily building the value (Protobuf). @throws SchemaViolation */
  validate(payload: Uint8Array, path: string): void;
  /** The JSON mapping of a decoded value (JSON as is, Avro's JSON encoding, ProtoJSON). */
  toJson(value: unknown): unknown;
  /** Encodes a value given in its JSON mapping. @throws SchemaViolation */
  encode(json: unknown, path: string): Uint8Array;
  /**
   * Protobuf: the message at Confluent's message-index path ([0] is the first message of the file), or null
   * when there is none. Absent for the other formats.
   */
  messageAt?(indexes: number[]): CompiledSchema | null;
}

/** The schema of a topic's key or value. */
export interface SchemaPart {
  readonly format: SchemaFormat;
  /** The schema new records are written with: the file's, or the subject's latest version. */
  readonly latest: CompiledSchema;
  /** Registered subjects only: the subject ({topic}-key / {topic}-value) and each live version's schema by id. */
  readonly subject?: string;
  readonly latestId?: number;
  readonly versions?: ReadonlyMap<number, CompiledSchema>;
}

export interface TopicSchema {
  readonly topic: string;
  /** "file" for --schema-registry files (plain payloads by default), "registry" for registered subjects (Confluent's wire format). */
  readonly source: "file" | "registry";
  /** A part that is absent is not validated. */
  readonly key?: SchemaPart;
  readonly value?: SchemaPart;
}

/** One rejected record of a batch: its index in the batch and what failed, as Produce reports it in record_errors. */
export interface RecordError {
  index: number;
  message: string;
}

/** A record that passed validation: key and value decoded where the topic's schema has that part, else its bytes (or null). */
export interface DecodedRecord {
  offsetDelta: number;
  timestampDelta: bigint;
  key: unknown;
  value: unknown;
  /** The schema each part was decoded with (Confluent's format: the version its id names); null where there was nothing to decode. */
  keySchema: CompiledSchema | null;
  valueSchema: CompiledSchema | null;
  headers: Array<{ key: string; value: Uint8Array | null }>;
}

/** A batch every record of which matched the topic's schema. */
export interface ValidatedBatch {
  schema: TopicSchema;
  baseTimestamp: bigint;
  records: DecodedRecord[];
}

/** A batch that was validated and then appended: where its records landed. */
export interface AppendedBatch extends ValidatedBatch {
  topic: string;
  partition: number;
  baseOffset: bigint;
}
