// Avro object container files for Iceberg manifests and manifest lists, with avsc.
//
// Iceberg's longs (snapshot ids) use all 64 bits, more than a JS number holds exactly, so
// every Avro long here is a bigint (avsc's LongType.__with). avsc's BlockEncoder cannot take
// such a type and also write the schema's field-id attributes (it would re-parse the schema
// with plain longs), so files are framed here from avsc-encoded parts: the header record the
// Avro spec defines, then one block of records. Reading uses avsc's BlockDecoder.

import { randomBytes } from "node:crypto";
import avro from "avsc";

const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
  },
  fromJSON: (value: unknown) => BigInt(value as string),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === "bigint",
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** Every long, however written in the schema, becomes the bigint long. */
function typeHook(schema: unknown): avro.Type | undefined {
  const isLong = schema === "long" || (typeof schema === "object" && schema !== null && (schema as { type?: unknown }).type === "long" && !("logicalType" in schema));
  return isLong ? (BIGINT_LONG as unknown as avro.Type) : undefined;
}

export function avroType(schema: object): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { typeHook } as unknown as avro.ForSchemaOptions);
}

const HEADER = avro.Type.forSchema({
  type: "record",
  name: "org.apache.avro.file.Header",
  fields: [
    { name: "magic", type: { type: "fixed", name: "Magic", size: 4 } },
    { name: "meta", type: { type: "map", values: "bytes" } },
    { name: "sync", type: { type: "fixed", name: "Sync", size: 16 } },
  ],
});
const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);
const LONG = avro.Type.forSchema("long");

/** An Avro container file of `records`, with `schema` (field ids included) and `metadata` in its header. */
export function writeAvroContainer(schema: object, records: object[], metadata: Record<string, string>): Uint8Array {
  const type = avroType(schema);
  const sync = randomBytes(16);
  const meta: Record<string, Buffer> = { "avro.schema": Buffer.from(JSON.stringify(schema)), "avro.codec": Buffer.from("null") };
  for (const [key, value] of Object.entries(metadata)) meta[key] = Buffer.from(value);
  const data = Buffer.concat(records.map((record) => type.toBuffer(record)));
  const parts = [HEADER.toBuffer({ magic: MAGIC, meta, sync })];
  if (records.length > 0) parts.push(LONG.toBuffer(records.length), LONG.toBuffer(data.length), data, sync);
  return new Uint8Array(Buffer.concat(parts));
}

export interface AvroContents {
  metadata: Record<string, string>;
  records: Record<string, unknown>[];
}

export function readAvroContainer(bytes: Uint8Array): Promise<AvroContents> {
  return new Promise((resolve, reject) => {
    const decoder = new avro.streams.BlockDecoder({ parseHook: (schema: unknown) => avroType(schema as object) } as never);
    const records: Record<string, unknown>[] = [];
    const metadata: Record<string, string> = {};
    decoder.on("metadata", (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
      for (const [key, value] of Object.entries(header.meta)) metadata[key] = value.toString();
    });
    decoder.on("data", (record: Record<string, unknown>) => records.push(record));
    decoder.on("error", reject);
    decoder.on("end", () => resolve({ metadata, records }));
    decoder.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
}
