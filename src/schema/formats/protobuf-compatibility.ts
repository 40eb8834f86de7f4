// Protobuf compatibility, written from Confluent's documented rules: what matters is the wire. Adding or
// removing optional fields, renaming fields and adding messages are compatible; changing the package,
// removing a message, changing a field's type between wire-incompatible kinds (or to another message or
// enum), changing repeated to singular, adding or removing a required field, or moving a field into an
// existing oneof are not.
import protobuf from "protobufjs";
import type { ProtoFile } from "./protobuf.ts";

/** Scalar kinds that read each other's encodings without loss of meaning, per the Protobuf language guide. */
const WIRE_GROUPS = [
  ["int32", "uint32", "int64", "uint64", "bool"],
  ["sint32", "sint64"],
  ["fixed32", "sfixed32"],
  ["fixed64", "sfixed64"],
  ["string", "bytes"],
];

function kindOf(field: protobuf.Field): string {
  if (field.resolvedType instanceof protobuf.Type) return `message ${field.resolvedType.fullName}`;
  if (field.resolvedType instanceof protobuf.Enum) return `enum ${field.resolvedType.fullName}`;
  return field.map ? `map<${(field as unknown as protobuf.MapField).keyType}, ${field.type}>` : field.type;
}

function kindsCompatible(reader: protobuf.Field, writer: protobuf.Field, readerPkg: string, writerPkg: string): boolean {
  const r = kindOf(reader).replace(`.${readerPkg}.`, ".");
  const w = kindOf(writer).replace(`.${writerPkg}.`, ".");
  if (r === w) return true;
  if (reader.resolvedType instanceof protobuf.Enum && VARINT_KINDS.has(writer.type)) return true;
  return WIRE_GROUPS.some((group) => group.includes(r) && group.includes(w));
}
const VARINT_KINDS = new Set(WIRE_GROUPS[0]);

/** Every message of the file under its package-relative name, nested ones included. */
function messagesByName(file: ProtoFile): Map<string, protobuf.Type> {
  const byName = new Map<string, protobuf.Type>();
  const add = (type: protobuf.Type, prefix: string) => {
    const name = prefix ? `${prefix}.${type.name}` : type.name;
    byName.set(name, type);
    for (const nested of type.nestedArray) if (nested instanceof protobuf.Type) add(nested, name);
  };
  for (const type of file.messages) add(type, "");
  return byName;
}

function compareMessage(name: string, reader: protobuf.Type, writer: protobuf.Type, readerPkg: string, writerPkg: string, problems: string[]): void {
  for (const writerField of writer.fieldsArray) {
    const readerField = reader.fieldsById[writerField.id];
    const where = `${name} field ${writerField.id} (${writerField.name})`;
    if (!readerField) {
      if (writerField.required) problems.push(`${where}: required field removed`);
      continue;
    }
    if (!kindsCompatible(readerField, writerField, readerPkg, writerPkg)) problems.push(`${where}: type changed from ${kindOf(writerField)} to ${kindOf(readerField)}`);
    if (readerField.repeated !== writerField.repeated || readerField.map !== writerField.map) {
      problems.push(`${where}: label changed from ${writerField.repeated ? "repeated" : "singular"} to ${readerField.repeated ? "repeated" : "singular"}`);
    }
    if (readerField.required && !writerField.required) problems.push(`${where}: became required`);
    const readerOneof = readerField.partOf?.name;
    if (readerOneof !== undefined && writerField.partOf?.name !== readerOneof && writer.oneofs?.[readerOneof]) {
      problems.push(`${where}: moved into the existing oneof ${readerOneof}`);
    }
  }
  for (const readerField of reader.fieldsArray) {
    if (readerField.required && !writer.fieldsById[readerField.id]) problems.push(`${name} field ${readerField.id} (${readerField.name}): required field added`);
  }
}

/** Why data written with the `writer` file cannot be read with the `reader` file; empty when it can. */
export function protobufIncompatibilities(reader: ProtoFile, writer: ProtoFile): string[] {
  const problems: string[] = [];
  if (reader.package !== writer.package) problems.push(`package changed from "${writer.package}" to "${reader.package}"`);
  const readerMessages = messagesByName(reader);
  for (const [name, writerType] of messagesByName(writer)) {
    const readerType = readerMessages.get(name);
    if (!readerType) problems.push(`message ${name} removed`);
    else compareMessage(name, readerType, writerType, reader.package, writer.package, problems);
  }
  return problems;
}
