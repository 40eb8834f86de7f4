// Protobuf with protobufjs: payloads are the binary encoding of one message. A registered schema is a .proto
// text or, as python confluent-kafka registers it, a base64 FileDescriptorProto; its messages are numbered
// the way Confluent's message indexes count them (top-level messages in file order, then nested ones).
// JSON mapping is ProtoJSON (protobufjs/ext/protojson).
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor.js";
import protojson from "protobufjs/ext/protojson.js";
import descriptorProto from "protobufjs/google/protobuf/descriptor.json" with { type: "json" };
import { InvalidSchemaError, SchemaViolation, type CompiledSchema } from "../types.ts";
import { fieldPath, type ResolvedReference, type SchemaLanguage } from "./format.ts";
import { checkWireTypes } from "./protobuf-wire.ts";
import { protobufIncompatibilities } from "./protobuf-compatibility.ts";

/** The messages of the schema's own file (not of its references), in file order, and its package. */
export interface ProtoFile {
  package: string;
  messages: protobuf.Type[];
  /** Each message compiled at most once, whichever message index asks for it. */
  compiled: Map<protobuf.Type, CompiledSchema>;
}

const files = new WeakMap<CompiledSchema, ProtoFile>();

/** The file a compiled Protobuf schema belongs to (for compatibility checks). */
export function protoFileOf(schema: CompiledSchema): ProtoFile | undefined {
  return files.get(schema);
}

const WELL_KNOWN = "google/protobuf/";
const descriptorTypes = descriptor as unknown as {
  FileDescriptorProto: { decode(bytes: Uint8Array): { name?: string; package?: string; messageType?: Array<{ name?: string }>; dependency?: string[] } };
};

/** A .proto source has braces or semicolons; a base64 descriptor never does. */
const isSource = (text: string) => /[{;]/.test(text);

function decodeDescriptor(text: string, what: string) {
  try {
    return descriptorTypes.FileDescriptorProto.decode(Buffer.from(text.trim(), "base64"));
  } catch (error) {
    throw new InvalidSchemaError(`${what} is neither .proto text nor a base64 FileDescriptorProto: ${(error as Error).message}`, { cause: error });
  }
}

/** Declared package and top-level message names, in order, of one file. */
function outline(text: string, what: string): { package: string; messages: string[]; imports: string[] } {
  if (!isSource(text)) {
    const file = decodeDescriptor(text, what);
    return { package: file.package ?? "", messages: (file.messageType ?? []).map((m) => m.name ?? ""), imports: file.dependency ?? [] };
  }
  try {
    const parsed = protobuf.parse(text, new protobuf.Root(), { keepCase: true });
    const scope = parsed.package ? parsed.root.lookup(parsed.package) : parsed.root;
    const nested = scope instanceof protobuf.Namespace ? scope.nestedArray : [];
    return {
      package: parsed.package ?? "",
      messages: nested.filter((n) => n instanceof protobuf.Type).map((n) => n.name),
      imports: [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])],
    };
  } catch (error) {
    throw new InvalidSchemaError(`invalid Protobuf ${what}: ${(error as Error).message}`, { cause: error });
  }
}

/** Builds one root from the schema and its references; descriptors first, .proto texts parsed into it. */
function buildRoot(text: string, references: ResolvedReference[]): protobuf.Root {
  const all: Array<{ name: string; schema: string }> = [];
  const seen = new Set<string>();
  const collect = (refs: ResolvedReference[]) => {
    for (const ref of refs) {
      if (seen.has(ref.name)) continue;
      seen.add(ref.name);
      collect(ref.references);
      all.push(ref);
    }
  };
  collect(references);
  all.push({ name: "", schema: text });
  const descriptors = all.filter((f) => !isSource(f.schema)).map((f) => decodeDescriptor(f.schema, f.name ? `referenced schema ${f.name}` : "schema"));
  let root: protobuf.Root;
  try {
    root = descriptors.length > 0 ? (protobuf.Root as unknown as { fromDescriptor(set: unknown): protobuf.Root }).fromDescriptor({ file: descriptors }) : new protobuf.Root();
  } catch (error) {
    throw new InvalidSchemaError(`invalid Protobuf descriptor: ${(error as Error).message}`, { cause: error });
  }
  const provided = new Set([...all.map((f) => f.name), ...descriptors.map((d) => d.name ?? "")]);
  const imports = new Set<string>();
  for (const file of all) {
    const what = file.name ? `referenced schema ${file.name}` : "schema";
    for (const name of outline(file.schema, what).imports) imports.add(name);
    if (!isSource(file.schema)) continue;
    try {
      protobuf.parse(file.schema, root, { keepCase: true });
    } catch (error) {
      throw new InvalidSchemaError(`invalid Protobuf ${what}: ${(error as Error).message}`, { cause: error });
    }
  }
  // google/protobuf/*.proto imports that no reference supplies come from protobufjs's bundled copies.
  for (const name of imports) {
    if (provided.has(name) || !name.startsWith(WELL_KNOWN)) continue;
    const json = name === `${WELL_KNOWN}descriptor.proto` ? descriptorProto : (protobuf.common as unknown as { get(f: string): { nested: unknown } | null }).get(name);
    if (json === null) throw new InvalidSchemaError(`import "${name}" is not a known well-known type and no reference provides it`);
    try {
      root.addJSON((json as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
    } catch {
      // Already present (another import brought the same namespace in).
    }
  }
  try {
    root.resolveAll();
  } catch (error) {
    throw new InvalidSchemaError(`invalid Protobuf schema: ${(error as Error).message}`, { cause: error });
  }
  return root;
}

const nestedTypes = (type: protobuf.Type) => type.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);

function compiled(type: protobuf.Type, file: ProtoFile): CompiledSchema {
  const known = file.compiled.get(type);
  if (known) return known;
  const schema: CompiledSchema = {
    format: "protobuf",
    schema: type,
    decode(payload, path) {
      checkWireTypes(type, payload, path);
      try {
        return type.decode(payload);
      } catch (error) {
        const message = (error as Error).message;
        const missing = /missing required '([^']+)'/.exec(message);
        if (missing) throw new SchemaViolation(fieldPath(path, missing[1]!), "is required but missing");
        throw new SchemaViolation(path, `malformed ${type.name}: ${message}`);
      }
    },
    validate: (payload, path) => checkWireTypes(type, payload, path),
    toJson: (value) => protojson.toJson(type, value as protobuf.Message),
    encode(json, path) {
      let message: protobuf.Message;
      try {
        message = protojson.fromJson(type, json);
      } catch (error) {
        throw new SchemaViolation(path, `does not fit ${type.name}: ${(error as Error).message}`);
      }
      return type.encode(message).finish();
    },
    messageAt(indexes) {
      let current: protobuf.Type | undefined = file.messages[indexes[0] ?? 0];
      for (const index of indexes.slice(1)) current = current ? nestedTypes(current)[index] : undefined;
      return current ? compiled(current, file) : null;
    },
  };
  files.set(schema, file);
  file.compiled.set(type, schema);
  return schema;
}

function fileOf(root: protobuf.Root, text: string): ProtoFile {
  const { package: pkg, messages } = outline(text, "schema");
  return { package: pkg, messages: messages.map((name) => root.lookupType(pkg ? `${pkg}.${name}` : name)), compiled: new Map() };
}

export const protobufSchema: SchemaLanguage = {
  format: "protobuf",

  compile(text, references) {
    const root = buildRoot(text, references);
    const file = fileOf(root, text);
    const first = file.messages[0];
    if (!first) throw new InvalidSchemaError("the Protobuf schema defines no message");
    return compiled(first, file);
  },

  compileFile(text) {
    const root = buildRoot(text, []);
    const file = fileOf(root, text);
    const part = (name: string) => {
      const type = file.messages.find((m) => m.name === name);
      return type ? compiled(type, file) : undefined;
    };
    const parts = { key: part("Key"), value: part("Value") };
    if (!parts.key && !parts.value) throw new InvalidSchemaError("a Protobuf schema file defines message Key and/or message Value");
    return parts;
  },

  incompatibilities(reader, writer) {
    const readerFile = files.get(reader);
    const writerFile = files.get(writer);
    if (!readerFile || !writerFile) return ["not a Protobuf schema"];
    return protobufIncompatibilities(readerFile, writerFile);
  },

  canonical: (text) => text.trim(),
};
