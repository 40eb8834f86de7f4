// Confluent's wire format: magic byte 0, the schema id as a big-endian int32, for Protobuf the message indexes,
// then the payload. Message indexes come in several spellings, all accepted:
//   - Confluent's serializers: a zigzag varint count, then zigzag varint indexes; the first message ([0]) as a
//     single 0 byte;
//   - python confluent-kafka before 1.8.2: the same with plain (not zigzag) varints;
//   - @kafkajs/confluent-schema-registry: no indexes at all, meaning the first message.
// A Protobuf payload never starts with a 0 byte (field number 0 is invalid), which keeps these apart in
// practice; each reading is tried in turn and the first whose message exists and decodes wins.
import { SchemaViolation, type CompiledSchema } from "./types.ts";

export const MAGIC_BYTE = 0;
export const HEADER_BYTES = 5;

/** The schema id of a Confluent-framed payload. @throws SchemaViolation */
export function schemaIdOf(bytes: Uint8Array, path: string): number {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC_BYTE) {
    throw new SchemaViolation(path, "not in Confluent's wire format (magic byte 0 and a 4-byte schema id expected)");
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(1);
}

function readVarint(bytes: Uint8Array, start: number): { value: number; next: number } | null {
  let value = 0;
  for (let i = start, shift = 0; i < bytes.length && shift < 35; i++, shift += 7) {
    value |= (bytes[i]! & 0x7f) << shift;
    if ((bytes[i]! & 0x80) === 0) return { value: value >>> 0, next: i + 1 };
  }
  return null;
}

const zigzag = (n: number) => (n >>> 1) ^ -(n & 1);

/** Reads a count-prefixed index array; null when it is not one in this spelling. */
function readIndexes(bytes: Uint8Array, decodeInt: (n: number) => number): { indexes: number[]; offset: number } | null {
  const count = readVarint(bytes, 0);
  if (!count) return null;
  const n = decodeInt(count.value);
  if (n < 1 || n > 64) return null;
  const indexes: number[] = [];
  let offset = count.next;
  for (let i = 0; i < n; i++) {
    const index = readVarint(bytes, offset);
    if (!index) return null;
    const value = decodeInt(index.value);
    if (value < 0) return null;
    indexes.push(value);
    offset = index.next;
  }
  return { indexes, offset };
}

/** Every plausible (message indexes, payload offset) reading of what follows a Protobuf schema id. */
export function messageIndexReadings(afterId: Uint8Array): Array<{ indexes: number[]; offset: number }> {
  const readings: Array<{ indexes: number[]; offset: number }> = [];
  if (afterId.length === 0) return [{ indexes: [0], offset: 0 }];
  if (afterId[0] === 0) readings.push({ indexes: [0], offset: 1 });
  const confluent = readIndexes(afterId, zigzag);
  if (confluent) readings.push(confluent);
  const plain = readIndexes(afterId, (n) => n);
  if (plain) readings.push(plain);
  if (afterId[0] !== 0) readings.push({ indexes: [0], offset: 0 });
  return readings;
}

/**
 * Decodes a Protobuf payload that follows the schema id, whichever index spelling it uses: the value and the
 * message it was decoded as. @throws SchemaViolation
 */
export function decodeProtobufFramed(schema: CompiledSchema, afterId: Uint8Array, path: string, decode = true): { value: unknown; message: CompiledSchema } {
  let firstFailure: SchemaViolation | null = null;
  for (const { indexes, offset } of messageIndexReadings(afterId)) {
    const message = schema.messageAt?.(indexes);
    if (!message) continue;
    try {
      const payload = afterId.subarray(offset);
      if (!decode) {
        message.validate(payload, path);
        return { value: undefined, message };
      }
      return { value: message.decode(payload, path), message };
    } catch (error) {
      if (!(error instanceof SchemaViolation)) throw error;
      firstFailure ??= error;
    }
  }
  throw firstFailure ?? new SchemaViolation(path, "its message indexes name no message of the schema");
}

/** Frames a payload for schema `id` (Protobuf: the first message, written as Confluent's single 0 byte). */
export function frame(id: number, payload: Uint8Array, protobuf: boolean): Uint8Array {
  const framed = new Uint8Array(HEADER_BYTES + (protobuf ? 1 : 0) + payload.length);
  new DataView(framed.buffer).setInt32(1, id);
  framed.set(payload, HEADER_BYTES + (protobuf ? 1 : 0));
  return framed;
}
