// A strict pass over a Protobuf payload: it is how records are validated (decoding is left to whoever wants the
// values). protobufjs skips fields whose wire type does not match their declaration and reports malformed input
// without saying where; this walk checks every known field's wire type against its declaration, descends into
// sub-messages, checks proto2 required fields, and names the field that fails.
import protobuf from "protobufjs";
import { SchemaViolation } from "../types.ts";
import { fieldPath } from "./format.ts";

const WIRE_NAMES = ["varint", "64-bit", "length-delimited", "start-group", "end-group", "32-bit"];
const VARINT = new Set(["int32", "int64", "uint32", "uint64", "sint32", "sint64", "bool"]);
const FIXED64 = new Set(["double", "fixed64", "sfixed64"]);
const FIXED32 = new Set(["float", "fixed32", "sfixed32"]);

/** The wire type a single (unpacked) value of the field has. */
function wireTypeOf(field: protobuf.Field): number {
  if (field.map) return 2;
  if (field.resolvedType instanceof protobuf.Enum || VARINT.has(field.type)) return 0;
  if (FIXED64.has(field.type)) return 1;
  if (FIXED32.has(field.type)) return 5;
  if (field.resolvedType instanceof protobuf.Type && field.delimited) return 3;
  return 2;
}

const wireName = (wire: number) => WIRE_NAMES[wire] ?? `invalid (${wire})`;

const required = new WeakMap<protobuf.Type, protobuf.Field[]>();

/** proto2 `required` fields (proto3 has none), looked up once per message type. */
function requiredFields(type: protobuf.Type): protobuf.Field[] {
  let fields = required.get(type);
  if (!fields) {
    fields = type.fieldsArray.filter((f) => f.required);
    required.set(type, fields);
  }
  return fields;
}

function walk(type: protobuf.Type, reader: protobuf.Reader, end: number, path: string, depth: number): void {
  if (depth > 100) throw new SchemaViolation(path, "nested more than 100 messages deep");
  const seen = requiredFields(type).length > 0 ? new Set<number>() : null;
  while (reader.pos < end) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    if (id === 0) throw new SchemaViolation(path, `field number 0 at byte ${reader.pos - 1} is invalid`);
    if (wire === 4) return; // the end of the group being walked
    const field = type.fieldsById[id];
    if (!field) {
      reader.skipType(wire, depth, id);
      continue;
    }
    // The field's path is only built when it is needed: this loop runs for every field of every record.
    const expected = wireTypeOf(field);
    // Repeated scalars may come packed (length-delimited) whatever their own wire type.
    const packed = field.repeated && expected !== 2 && expected !== 3 && wire === 2;
    if (wire !== expected && !packed) {
      throw new SchemaViolation(fieldPath(path, field.name), `wire type ${wireName(wire)} where ${field.type} expects ${wireName(expected)}`);
    }
    seen?.add(id);
    if (wire === 2 && field.resolvedType instanceof protobuf.Type && !field.map) {
      const length = reader.uint32();
      const subEnd = reader.pos + length;
      if (subEnd > end) throw new SchemaViolation(fieldPath(path, field.name), `length ${length} runs past the end of the payload`);
      walk(field.resolvedType, reader, subEnd, fieldPath(path, field.name), depth + 1);
      reader.pos = subEnd;
    } else if (wire === 3 && field.resolvedType instanceof protobuf.Type) {
      walk(field.resolvedType, reader, end, fieldPath(path, field.name), depth + 1);
    } else {
      reader.skipType(wire, depth, id);
      if (reader.pos > end) throw new SchemaViolation(fieldPath(path, field.name), "the value runs past the end of the payload");
    }
  }
  if (seen) {
    for (const field of requiredFields(type)) if (!seen.has(field.id)) throw new SchemaViolation(fieldPath(path, field.name), "is required but missing");
  }
}

/** @throws SchemaViolation naming the first field whose encoding does not fit the message's declaration */
export function checkWireTypes(type: protobuf.Type, payload: Uint8Array, path: string): void {
  const reader = protobuf.Reader.create(payload);
  try {
    walk(type, reader, payload.length, path, 0);
  } catch (error) {
    if (error instanceof SchemaViolation) throw error;
    throw new SchemaViolation(path, `malformed ${type.name}: ${(error as Error).message}`);
  }
}
