// Generates src/protocol/generated/* from Apache Kafka's message definitions (JSON with // comments).
//
//   bun scripts/generate-protocol.ts [outDir] [specDir]
//
// Definitions in scripts/kafka-messages/ (versions newer than the shared snapshot) replace the shared
// file of the same name.
//
// One module per API (request + response), one per header, and one per selected "data" message.
// The output is deterministic so a test can regenerate into a temp dir and compare byte for byte.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
// The message definitions live in shared/ beside the repository checkout.
export const DEFAULT_SPEC_DIR = resolve(import.meta.dir, "../../shared/kafka-protocol/message");
export const DEFAULT_OUT_DIR = join(ROOT, "src/protocol/generated");
export const NEWER_SPEC_DIR = join(ROOT, "scripts/kafka-messages");

/** "data" messages that are part of the wire protocol (embedded as bytes in group coordination). */
const DATA_MESSAGES = new Set(["ConsumerProtocolAssignment", "ConsumerProtocolSubscription"]);

// ---------------------------------------------------------------------------------------------
// Spec model

export interface FieldSpec {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  mapKey?: boolean;
  flexibleVersions?: string;
  about?: string;
  fields?: FieldSpec[];
}

export interface StructSpec {
  name: string;
  versions: string;
  fields: FieldSpec[];
}

export interface MessageSpec {
  apiKey?: number;
  type: "request" | "response" | "header" | "data" | "metadata";
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: FieldSpec[];
  commonStructs?: StructSpec[];
  latestVersionUnstable?: boolean;
}

/** Inclusive version range; empty when min > max. `max` is Infinity for open ranges ("3+"). */
export interface VersionRange {
  min: number;
  max: number;
}

export const NO_VERSIONS: VersionRange = { min: 1, max: 0 };

export function parseVersions(spec: string | undefined): VersionRange {
  if (spec === undefined || spec === "none") return NO_VERSIONS;
  const open = /^(\d+)\+$/.exec(spec);
  if (open) return { min: Number(open[1]), max: Infinity };
  const closed = /^(\d+)-(\d+)$/.exec(spec);
  if (closed) return { min: Number(closed[1]), max: Number(closed[2]) };
  if (/^\d+$/.test(spec)) return { min: Number(spec), max: Number(spec) };
  throw new Error(`unparseable version spec ${JSON.stringify(spec)}`);
}

export function inRange(v: number, r: VersionRange): boolean {
  return v >= r.min && v <= r.max;
}

/** Removes // comments outside string literals, keeping line structure. */
export function stripJsonComments(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else out += c;
  }
  return out;
}

export function loadMessageSpecs(specDir: string = DEFAULT_SPEC_DIR, newerDir: string = NEWER_SPEC_DIR): MessageSpec[] {
  const paths = new Map<string, string>();
  for (const dir of [specDir, newerDir]) {
    for (const f of readdirSync(dir)) if (f.endsWith(".json")) paths.set(f, join(dir, f));
  }
  return [...paths.keys()]
    .sort()
    .map((f) => {
      const path = paths.get(f)!;
      try {
        return JSON.parse(stripJsonComments(readFileSync(path, "utf8"))) as MessageSpec;
      } catch (cause) {
        throw new Error(`cannot parse message definition ${path}`, { cause });
      }
    });
}

/** The messages we generate code for: API requests/responses, headers, and a few data messages. */
export function selectMessages(specs: MessageSpec[]): MessageSpec[] {
  return specs.filter(
    (s) => s.type === "request" || s.type === "response" || s.type === "header" || DATA_MESSAGES.has(s.name),
  );
}

/** "ProduceRequest" -> "Produce"; header and data messages keep their name. */
export function apiName(spec: MessageSpec): string {
  return spec.name.replace(/(Request|Response)$/, "");
}

export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .toLowerCase();
}

/** JSON field name -> TS property name: only the first character is lower-cased. */
export function propertyName(fieldName: string): string {
  return fieldName[0].toLowerCase() + fieldName.slice(1);
}

export function isArrayType(type: string): boolean {
  return type.startsWith("[]");
}

export function elementType(type: string): string {
  return isArrayType(type) ? type.slice(2) : type;
}

const PRIMITIVES = new Set([
  "bool", "int8", "int16", "uint16", "int32", "uint32", "int64", "float64", "string", "bytes", "uuid", "records",
]);

/** Bytes of the fixed-width types, and the DataView setter writing each as the Writer does. */
const FIXED_WIDTHS: Record<string, number> = { bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8 };
const FIXED_SETTERS: Record<string, string> = {
  bool: "setUint8",
  int8: "setInt8",
  int16: "setInt16",
  uint16: "setUint16",
  int32: "setInt32",
  uint32: "setUint32",
  int64: "setBigInt64",
  float64: "setFloat64",
};

export function isStructType(type: string): boolean {
  return !PRIMITIVES.has(elementType(type));
}

// ---------------------------------------------------------------------------------------------
// Per-message analysis: which structs exist, and in which versions each one can appear.

interface StructInfo {
  /** Exported interface name, unique across the generated modules. */
  tsName: string;
  fields: FieldSpec[];
  /** Message versions in which an instance of this struct can be encoded. */
  scope: Set<number>;
  /** Used as a plain (non-array) struct field, so a default instance must be constructible. */
  needsDefaultFactory: boolean;
  /** Used as a tagged field, so "is this the default value" must be decidable. */
  needsDefaultCheck: boolean;
}

interface MessageModel {
  spec: MessageSpec;
  valid: VersionRange;
  flexible: VersionRange;
  structs: Map<string, StructInfo>; // keyed by JSON struct name; the message itself under ""
}

function versionSet(r: VersionRange, within: Iterable<number>): Set<number> {
  const s = new Set<number>();
  for (const v of within) if (inRange(v, r)) s.add(v);
  return s;
}

function analyse(spec: MessageSpec): MessageModel {
  const valid = parseVersions(spec.validVersions);
  const all: number[] = [];
  for (let v = valid.min; v <= valid.max; v++) all.push(v);
  const common = new Map((spec.commonStructs ?? []).map((c) => [c.name, c]));
  const structs = new Map<string, StructInfo>();
  structs.set("", {
    tsName: spec.name,
    fields: spec.fields,
    scope: new Set(all),
    needsDefaultFactory: false,
    needsDefaultCheck: false,
  });
  const tsNames = new Set([spec.name]);

  const walk = (fields: FieldSpec[], scope: Set<number>, path: string): void => {
    for (const f of fields) {
      if (f.tag !== undefined && f.taggedVersions !== f.versions) {
        // Kafka allows a field to be tagged in only some of its versions; no definition does it yet.
        throw new Error(`${path}.${f.name}: taggedVersions differing from versions is not supported`);
      }
      if (!isStructType(f.type)) continue;
      const structName = elementType(f.type);
      const fieldScope = versionSet(parseVersions(f.versions), scope);
      const definition = f.fields ?? common.get(structName)?.fields;
      if (!definition) throw new Error(`${path}.${f.name}: struct ${structName} has no definition`);
      let info = structs.get(structName);
      if (!info) {
        // Prefix with the message name for uniqueness, unless the definition already did.
        const tsName = structName.startsWith(spec.name) ? structName : spec.name + structName;
        if (tsNames.has(tsName)) throw new Error(`${path}.${f.name}: struct name ${tsName} is not unique`);
        tsNames.add(tsName);
        info = { tsName, fields: definition, scope: new Set(), needsDefaultFactory: false, needsDefaultCheck: false };
        structs.set(structName, info);
      } else if (f.fields && info.fields !== f.fields) {
        throw new Error(`${path}.${f.name}: struct ${structName} is defined twice`);
      }
      for (const v of fieldScope) info.scope.add(v);
      // Emit only what the generated code calls: the factory where a non-null default is written
      // (a struct not declared null by default, or one not nullable in every version it exists
      // in), the check where a tagged struct is compared with its default.
      const nullEverywhere = f.default === "null" && [...fieldScope].every((v) => inRange(v, parseVersions(f.nullableVersions)));
      if (!isArrayType(f.type) && !nullEverywhere) info.needsDefaultFactory = true;
      if (f.tag !== undefined && !isArrayType(f.type) && f.default !== "null") info.needsDefaultCheck = true;
      walk(definition, fieldScope, `${path}.${f.name}`);
    }
  };
  walk(spec.fields, new Set(all), spec.name);

  // A default check on a struct compares its nested struct fields to their defaults too.
  let changed = true;
  while (changed) {
    changed = false;
    for (const info of structs.values()) {
      if (!info.needsDefaultCheck) continue;
      for (const f of info.fields) {
        if (!isStructType(f.type) || isArrayType(f.type) || f.default === "null") continue;
        const nested = structs.get(elementType(f.type))!;
        if (!nested.needsDefaultCheck) {
          nested.needsDefaultCheck = true;
          changed = true;
        }
      }
    }
  }
  return { spec, valid, flexible: parseVersions(spec.flexibleVersions), structs };
}

// ---------------------------------------------------------------------------------------------
// Code emission helpers

/** A TS boolean expression for "version is in `r`", simplified using the versions in `scope`. */
function versionCondition(r: VersionRange, scope: Set<number>): string {
  const inside = [...scope].filter((v) => inRange(v, r));
  if (inside.length === scope.size) return "true";
  if (inside.length === 0) return "false";
  const versions = [...scope];
  const needMin = versions.some((v) => v < r.min);
  const needMax = versions.some((v) => v > r.max);
  const parts: string[] = [];
  if (needMin) parts.push(`version >= ${r.min}`);
  if (needMax) parts.push(`version <= ${r.max}`);
  return parts.join(" && ");
}

/** Static or runtime choice between compact (flexible) and classic encodings. */
type Flex = "always" | "never" | "runtime";

function choose(flex: Flex, compact: string, classic: string): string {
  if (flex === "always") return compact;
  if (flex === "never") return classic;
  return `(flexible ? ${compact} : ${classic})`;
}

function branch(cond: string, ifTrue: string, ifFalse: string): string {
  if (cond === "true") return ifTrue;
  if (cond === "false") return ifFalse;
  return `(${cond} ? ${ifTrue} : ${ifFalse})`;
}

/** Drops one pair of parentheses wrapping the whole expression. */
function bare(expr: string): string {
  if (!expr.startsWith("(") || !expr.endsWith(")")) return expr;
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    if (expr[i] === "(") depth++;
    else if (expr[i] === ")" && --depth === 0 && i < expr.length - 1) return expr;
  }
  return expr.slice(1, -1);
}

class Emitter {
  private lines: string[] = [];
  private depth = 0;
  line(text = ""): this {
    this.lines.push(text === "" ? "" : "  ".repeat(this.depth) + text);
    return this;
  }
  open(text: string): this {
    this.line(text);
    this.depth++;
    return this;
  }
  close(text = "}"): this {
    this.depth--;
    return this.line(text);
  }
  indent(): this {
    this.depth++;
    return this;
  }
  dedent(): this {
    this.depth--;
    return this;
  }
  toString(): string {
    return this.lines.join("\n") + "\n";
  }
}

function numberLiteral(raw: string | number, type: string): string {
  const text = String(raw).trim();
  const negative = text.startsWith("-");
  const body = negative ? text.slice(1) : text;
  let value: bigint;
  if (/^0x[0-9a-f]+$/i.test(body)) value = BigInt(body);
  else if (/^0[0-7]+$/.test(body)) value = BigInt("0o" + body.slice(1));
  else if (/^\d+$/.test(body)) value = BigInt(body);
  else if (type === "float64" && !Number.isNaN(Number(text))) return String(Number(text));
  else throw new Error(`bad ${type} default ${JSON.stringify(raw)}`);
  if (negative) value = -value;
  return type === "int64" ? `${value}n` : String(value);
}

// ---------------------------------------------------------------------------------------------
// Per-struct code generation

class StructGenerator {
  constructor(
    private readonly model: MessageModel,
    readonly info: StructInfo,
  ) {}

  private get scope(): Set<number> {
    return this.info.scope;
  }

  private structOf(f: FieldSpec): StructInfo {
    return this.model.structs.get(elementType(f.type))!;
  }

  /** Versions (within scope) in which the field is written, as a TS condition. */
  private presentIn(f: FieldSpec): string {
    return versionCondition(parseVersions(f.versions), this.scope);
  }

  private isTagged(f: FieldSpec): boolean {
    return f.tag !== undefined;
  }

  /** Versions in which the field sits in the tagged section (see analyse: same as its versions). */
  private taggedIn(f: FieldSpec): string {
    return versionCondition(parseVersions(f.taggedVersions), this.scope);
  }

  private nullableIn(f: FieldSpec): string {
    const nullable = parseVersions(f.nullableVersions);
    const present = parseVersions(f.versions);
    const presentScope = versionSet(present, this.scope);
    if (presentScope.size === 0) return "false";
    return versionCondition(nullable, presentScope);
  }

  /** Can the TS value be null in any version? Records are always nullable in our model. */
  private canBeNull(f: FieldSpec): boolean {
    const nullable = parseVersions(f.nullableVersions);
    return f.type === "records" || nullable.min <= nullable.max;
  }

  private flexOf(f: FieldSpec): Flex {
    if (f.flexibleVersions !== undefined) {
      if (f.flexibleVersions !== "none") {
        throw new Error(`${f.name}: only "none" is supported as a field-level flexibleVersions`);
      }
      return "never";
    }
    return this.structFlex();
  }

  private structFlex(): Flex {
    const flex = this.model.flexible;
    const versions = [...this.scope];
    const flexCount = versions.filter((v) => inRange(v, flex)).length;
    if (flexCount === versions.length) return "always";
    if (flexCount === 0) return "never";
    return "runtime";
  }

  private hasTaggedSection(): boolean {
    return this.structFlex() !== "never";
  }

  // --- types --------------------------------------------------------------------------------

  private elementTsType(type: string): string {
    switch (type) {
      case "bool":
        return "boolean";
      case "int8":
      case "int16":
      case "uint16":
      case "int32":
      case "uint32":
      case "float64":
        return "number";
      case "int64":
        return "bigint";
      case "string":
      case "uuid":
        return "string";
      case "bytes":
      case "records":
        return "Uint8Array";
      default:
        return this.model.structs.get(type)!.tsName;
    }
  }

  private tsType(f: FieldSpec): string {
    const base = this.elementTsType(elementType(f.type));
    const t = isArrayType(f.type) ? `${base}[]` : base;
    return this.canBeNull(f) ? `${t} | null` : t;
  }

  /** Required in the interface when present in every version the struct exists in, and untagged. */
  private isRequired(f: FieldSpec): boolean {
    return !this.isTagged(f) && this.presentIn(f) === "true";
  }

  // --- defaults -------------------------------------------------------------------------------

  /**
   * The field's default as a TS expression (fresh for mutable values): "null" when declared so,
   * null for records (Kafka's natural default), otherwise the declared or the type's default.
   */
  private fieldDefault(f: FieldSpec): string {
    if (f.default === "null" || f.type === "records") return "null";
    return this.nonNullDefault(f);
  }

  /** Default to use where null is not allowed (a non-nullable version of a field defaulting to null). */
  private nonNullDefault(f: FieldSpec): string {
    if (isArrayType(f.type)) return "[]";
    if (isStructType(f.type)) return `default${this.structOf(f).tsName}()`;
    const d = f.default === "null" ? undefined : f.default;
    switch (f.type) {
      case "bool":
        return String(d === true || d === "true");
      case "string":
        return JSON.stringify(d ?? "");
      case "bytes":
      case "records":
        return "EMPTY_BYTES";
      case "uuid":
        return "ZERO_UUID";
      default:
        if (typeof d === "boolean") throw new Error(`${f.name}: boolean default for a ${f.type} field`);
        return numberLiteral(d ?? 0, f.type);
    }
  }

  /** A TS expression that is true when `value` (possibly undefined) differs from the field's default. */
  private differsFromDefault(f: FieldSpec, value: string): string {
    const d = this.fieldDefault(f);
    if (d === "null") return `${value} != null`;
    if (isArrayType(f.type)) return `${value} !== undefined && (${value} === null || ${value}.length !== 0)`;
    if (isStructType(f.type)) {
      return `${value} !== undefined && (${value} === null || !is${this.structOf(f).tsName}Default(${value}))`;
    }
    if (f.type === "bytes" || f.type === "records") {
      return `${value} !== undefined && (${value} === null || ${value}.length !== 0)`;
    }
    return `${value} !== undefined && ${value} !== ${d}`;
  }

  // --- decoding -------------------------------------------------------------------------------

  private readPrimitive(type: string, flex: Flex, nullable: string): string {
    switch (type) {
      case "bool":
        return "r.readBool()";
      case "int8":
        return "r.readInt8()";
      case "int16":
        return "r.readInt16()";
      case "uint16":
        return "r.readUint16()";
      case "int32":
        return "r.readInt32()";
      case "uint32":
        return "r.readUint32()";
      case "int64":
        return "r.readInt64()";
      case "float64":
        return "r.readFloat64()";
      case "uuid":
        return "r.readUuid()";
      case "string":
        return branch(
          nullable,
          choose(flex, "r.readCompactNullableString()", "r.readNullableString()"),
          choose(flex, "r.readCompactString()", "r.readString()"),
        );
      case "bytes":
      case "records":
        return branch(
          nullable,
          choose(flex, "r.readCompactNullableBytes()", "r.readNullableBytes()"),
          choose(flex, "r.readCompactBytes()", "r.readBytes()"),
        );
      default:
        throw new Error(`not a primitive: ${type}`);
    }
  }

  private readValue(f: FieldSpec, flex: Flex): string {
    const nullable = this.nullableIn(f);
    const elem = elementType(f.type);
    if (isArrayType(f.type)) {
      const readElement = isStructType(f.type)
        ? `(r) => decode${this.structOf(f).tsName}(r, version)`
        : `(r) => ${this.readPrimitive(elem, flex, "false")}`;
      return branch(
        nullable,
        choose(flex, `r.readCompactNullableArray(${readElement})`, `r.readNullableArray(${readElement})`),
        choose(flex, `r.readCompactArray(${readElement})`, `r.readArray(${readElement})`),
      );
    }
    if (isStructType(f.type)) {
      const decode = `decode${this.structOf(f).tsName}(r, version)`;
      if (nullable === "false") return decode;
      // Nullable structs carry an int8 presence marker: -1 for null, 1 for present.
      const marker = nullable === "true" ? "r.readInt8() < 0" : `(${nullable}) && r.readInt8() < 0`;
      return `${marker} ? null : ${decode}`;
    }
    return this.readPrimitive(f.type, flex, nullable);
  }

  private emitDecoder(e: Emitter): void {
    const { tsName, fields } = this.info;
    const top = this.info === this.model.structs.get("");
    e.open(`${top ? "export " : ""}function decode${tsName}(r: Reader, version: number): ${tsName} {`);
    const flex = this.structFlex();
    if (flex === "runtime") e.line(`const flexible = version >= ${this.model.flexible.min};`);
    if (fields.length === 0) e.line(`const m: ${tsName} = {};`);
    else {
      e.open(`const m: ${tsName} = {`);
      for (const f of fields) {
        const present = this.presentIn(f);
        const value = this.isTagged(f)
          ? this.fieldDefault(f)
          : branch(present, this.readValue(f, this.flexOf(f)), this.fieldDefault(f));
        e.line(`${propertyName(f.name)}: ${bare(value)},`);
      }
      e.close("};");
    }
    const tagged = fields.filter((f) => this.isTagged(f)).sort((a, b) => a.tag! - b.tag!);
    if (this.hasTaggedSection()) {
      if (tagged.length === 0) {
        e.line(flex === "always" ? "r.skipTaggedFields();" : "if (flexible) r.skipTaggedFields();");
      } else {
        if (flex === "runtime") e.open("if (flexible) {");
        e.line("const count = r.readUnsignedVarint();");
        e.open("for (let i = 0; i < count; i++) {");
        e.line("const tag = r.readUnsignedVarint();");
        e.line("const end = r.endOf(r.readUnsignedVarint());");
        e.open("switch (tag) {");
        for (const f of tagged) {
          e.line(`case ${f.tag}:`).indent();
          const cond = this.taggedIn(f);
          const assign = `m.${propertyName(f.name)} = ${bare(this.readValue(f, "always"))};`;
          if (cond === "true") e.line(assign);
          else {
            e.line(`if (${cond}) ${assign}`);
            e.line("else r.offset = end;");
          }
          e.line("break;").dedent();
        }
        e.line("default:").indent();
        e.line("// Unknown tags are skipped: senders may add tags this version of the schema lacks.");
        e.line("r.offset = end;").dedent();
        e.close();
        e.open("if (r.offset !== end) {");
        e.line(`throw new MalformedMessageError(\`${tsName} tagged field \${tag} does not fill its declared size\`);`);
        e.close();
        e.close();
        if (flex === "runtime") e.close();
      }
    }
    e.line("return m;");
    e.close();
  }

  // --- encoding -------------------------------------------------------------------------------

  private writePrimitive(type: string, flex: Flex, nullable: boolean, value: string): string {
    switch (type) {
      case "bool":
        return `w.writeBool(${value})`;
      case "int8":
        return `w.writeInt8(${value})`;
      case "int16":
        return `w.writeInt16(${value})`;
      case "uint16":
        return `w.writeUint16(${value})`;
      case "int32":
        return `w.writeInt32(${value})`;
      case "uint32":
        return `w.writeUint32(${value})`;
      case "int64":
        return `w.writeInt64(${value})`;
      case "float64":
        return `w.writeFloat64(${value})`;
      case "uuid":
        return `w.writeUuid(${value})`;
      case "string":
        return nullable
          ? choose(flex, `w.writeCompactNullableString(${value})`, `w.writeNullableString(${value})`)
          : choose(flex, `w.writeCompactString(${value})`, `w.writeString(${value})`);
      case "bytes":
      case "records":
        return nullable
          ? choose(flex, `w.writeCompactNullableBytes(${value})`, `w.writeNullableBytes(${value})`)
          : choose(flex, `w.writeCompactBytes(${value})`, `w.writeBytes(${value})`);
      default:
        throw new Error(`not a primitive: ${type}`);
    }
  }

  /** Emits a write statement that differs between compact (flexible) and classic encodings. */
  private emitWrite(e: Emitter, flex: Flex, compact: string, classic: string): void {
    if (flex === "always") e.line(`${compact};`);
    else if (flex === "never") e.line(`${classic};`);
    else {
      e.line(`if (flexible) ${compact};`);
      e.line(`else ${classic};`);
    }
  }

  private emitPrimitiveWrite(e: Emitter, f: FieldSpec, flex: Flex, nullable: boolean, value: string): void {
    const compact = this.writePrimitive(f.type, "always", nullable, value);
    const classic = this.writePrimitive(f.type, "never", nullable, value);
    this.emitWrite(e, compact === classic ? "always" : flex, compact, classic);
  }

  /**
   * Statements writing field `f` of `m`. In versions where the field is nullable an explicit null
   * is written as null; where it is not, null/undefined fall back to the non-null default.
   */
  private writeField(e: Emitter, f: FieldSpec, flex: Flex, inBlock = false): void {
    // Locals need a block of their own unless the caller already opened one for this field.
    const openBlock = () => (inBlock ? e : e.open("{"));
    const closeBlock = () => (inBlock ? e : e.close());
    const prop = `m.${propertyName(f.name)}`;
    const nullable = this.nullableIn(f);
    const whenNullable = `${prop} === undefined ? ${this.fieldDefault(f)} : ${prop}`;
    const whenNotNullable = `${prop} ?? ${this.nonNullDefault(f)}`;
    const elem = elementType(f.type);

    if (isArrayType(f.type)) {
      const layout = this.inlineLayout(f);
      if (layout) {
        this.writeFixedArray(e, f, flex, whenNotNullable, layout, openBlock, closeBlock);
        return;
      }
      const writeElement = isStructType(f.type)
        ? `(w, e) => encode${this.structOf(f).tsName}(w, version, e)`
        : `(w, e) => ${this.writePrimitive(elem, flex, false, "e")}`;
      const value = bare(branch(nullable, `(${whenNullable})`, `(${whenNotNullable})`));
      if (flex === "runtime") {
        openBlock();
        e.line(`const v = ${value};`);
        this.emitWrite(e, flex, `w.writeCompactArray(v, ${writeElement})`, `w.writeArray(v, ${writeElement})`);
        closeBlock();
      } else {
        this.emitWrite(e, flex, `w.writeCompactArray(${value}, ${writeElement})`, `w.writeArray(${value}, ${writeElement})`);
      }
      return;
    }
    if (isStructType(f.type)) {
      const encode = (v: string) => `encode${this.structOf(f).tsName}(w, version, ${v})`;
      if (nullable === "false") {
        e.line(`${encode(whenNotNullable)};`);
        return;
      }
      // Nullable structs carry an int8 presence marker: -1 for null, 1 for present.
      openBlock();
      e.line(`const v = ${bare(branch(nullable, `(${whenNullable})`, `(${whenNotNullable})`))};`);
      e.line("if (v === null) w.writeInt8(-1);");
      e.open("else {");
      e.line(nullable === "true" ? "w.writeInt8(1);" : `if (${nullable}) w.writeInt8(1);`);
      e.line(`${encode("v")};`);
      e.close();
      closeBlock();
      return;
    }
    if (nullable === "true") this.emitPrimitiveWrite(e, f, flex, true, whenNullable);
    else if (nullable === "false") this.emitPrimitiveWrite(e, f, flex, false, whenNotNullable);
    else {
      e.open(`if (${nullable}) {`);
      this.emitPrimitiveWrite(e, f, flex, true, whenNullable);
      e.dedent().line("} else {").indent();
      this.emitPrimitiveWrite(e, f, flex, false, whenNotNullable);
      e.close();
    }
  }

  /** The layout of a non-null array field written inline ({@link writeFixedArray}), or null. */
  inlineLayout(f: FieldSpec): ReturnType<StructGenerator["fixedLayout"]> {
    if (!isArrayType(f.type) || this.nullableIn(f) !== "false" || f.flexibleVersions !== undefined) return null;
    return this.fixedLayout(f);
  }

  /** The structs this one's encoder calls the encoder of: those of its struct fields not written inline. */
  encodedStructs(): StructInfo[] {
    return this.info.fields.filter((f) => isStructType(f.type) && !this.inlineLayout(f)).map((f) => this.structOf(f));
  }

  /**
   * For an array of structs whose fields are all fixed-width numbers or booleans, present and untagged in every
   * version (ApiVersions' API list): each field's type, byte offset and default, and the element's size before its
   * (empty) tagged section. Null for any other array.
   */
  private fixedLayout(f: FieldSpec): { fields: { prop: string; type: string; at: number; fallback: string }[]; size: number } | null {
    if (!isStructType(f.type)) return null;
    const element = new StructGenerator(this.model, this.structOf(f));
    const fields: { prop: string; type: string; at: number; fallback: string }[] = [];
    let size = 0;
    for (const field of element.info.fields) {
      const width = FIXED_WIDTHS[field.type];
      if (width === undefined || element.isTagged(field) || element.presentIn(field) !== "true") return null;
      fields.push({ prop: propertyName(field.name), type: field.type, at: size, fallback: element.nonNullDefault(field) });
      size += width;
    }
    return { fields, size };
  }

  /**
   * Writes such an array in one loop straight into the buffer: one capacity check and no call per element. A
   * broker's first answer, ApiVersions, lists ~50 APIs; written through a call per element and per field, that
   * was enough calls for the JIT to compile the writer's methods before the first request was answered, which
   * cost start-up ~1 ms and ~2 MiB (docs/BENCHMARKS.md, Startup).
   */
  private writeFixedArray(
    e: Emitter,
    f: FieldSpec,
    flex: Flex,
    value: string,
    layout: NonNullable<ReturnType<StructGenerator["fixedLayout"]>>,
    openBlock: () => Emitter,
    closeBlock: () => Emitter,
  ): void {
    openBlock();
    e.line(`const v = ${value};`);
    this.emitWrite(e, flex, "w.writeCompactArrayLength(v.length)", "w.writeArrayLength(v.length)");
    // Flexible versions end each element with its tagged-field count: always 0, as no field is tagged.
    const size = bare(choose(flex, String(layout.size + 1), String(layout.size)));
    e.line(`const size = ${size};`);
    e.line("let at = w.reserve(v.length * size);");
    e.line("const view = w.dataView;");
    e.open("for (const x of v) {");
    for (const field of layout.fields) {
      const where = field.at === 0 ? "at" : `at + ${field.at}`;
      const fieldValue = `x.${field.prop} ?? ${field.fallback}`;
      e.line(`view.${FIXED_SETTERS[field.type]}(${where}, ${field.type === "bool" ? `(${fieldValue}) ? 1 : 0` : fieldValue});`);
    }
    if (flex === "always") e.line(`view.setUint8(at + ${layout.size}, 0);`);
    else if (flex === "runtime") e.line(`if (flexible) view.setUint8(at + ${layout.size}, 0);`);
    e.line("at += size;");
    e.close();
    closeBlock();
  }

  private emitEncoder(e: Emitter): void {
    const { tsName, fields } = this.info;
    const top = this.info === this.model.structs.get("");
    e.open(`${top ? "export " : ""}function encode${tsName}(w: Writer, version: number, m: ${tsName}): void {`);
    const flex = this.structFlex();
    if (flex === "runtime") e.line(`const flexible = version >= ${this.model.flexible.min};`);
    // Fields absent from `version` are skipped even when set: the codec never throws on data loss
    // (Kafka's generator would for non-ignorable fields); callers choose versions deliberately.
    for (const f of fields) {
      const present = this.presentIn(f);
      if (present === "false") continue;
      if (this.isTagged(f)) continue;
      if (present === "true") this.writeField(e, f, this.flexOf(f));
      else {
        e.open(`if (${present}) {`);
        this.writeField(e, f, this.flexOf(f), true);
        e.close();
      }
    }
    const tagged = fields.filter((f) => this.isTagged(f)).sort((a, b) => a.tag! - b.tag!);
    if (this.hasTaggedSection()) {
      if (tagged.length === 0) {
        e.line(flex === "always" ? "w.writeUnsignedVarint(0);" : "if (flexible) w.writeUnsignedVarint(0);");
      } else {
        if (flex === "runtime") e.open("if (flexible) {");
        // Tagged fields are only written when they differ from their default, in ascending tag order.
        for (const f of tagged) {
          const cond = this.taggedIn(f);
          const differs = this.differsFromDefault(f, `m.${propertyName(f.name)}`);
          e.line(`const write${f.tag} = ${cond === "true" ? "" : `${cond} && `}${differs};`);
        }
        e.line(`w.writeUnsignedVarint(${bare(tagged.map((f) => `(write${f.tag} ? 1 : 0)`).join(" + "))});`);
        for (const f of tagged) {
          e.open(`if (write${f.tag}) {`);
          e.line(`w.writeUnsignedVarint(${f.tag});`);
          e.line("const at = w.beginSizedRegion();");
          this.writeField(e, f, "always", true);
          e.line("w.endSizedRegion(at);");
          e.close();
        }
        if (flex === "runtime") e.close();
      }
    }
    e.close();
  }

  // --- interface, defaults ------------------------------------------------------------------

  private emitInterface(e: Emitter): void {
    const { tsName, fields } = this.info;
    e.open(`export interface ${tsName} {`);
    for (const f of fields) {
      const notes = [`versions ${f.versions}`];
      if (f.nullableVersions) notes.push(`nullable ${f.nullableVersions}`);
      if (this.isTagged(f)) notes.push(`tag ${f.tag}`);
      if (f.default !== undefined) notes.push(`default ${JSON.stringify(f.default)}`);
      const about = (f.about ?? "").replace(/\*\//g, "*\\/").replace(/\s+/g, " ").trim();
      e.line(`/** ${about ? `${about} ` : ""}(${notes.join("; ")}) */`);
      e.line(`${propertyName(f.name)}${this.isRequired(f) ? "" : "?"}: ${this.tsType(f)};`);
    }
    e.close();
  }

  private emitDefaultFactory(e: Emitter): void {
    const { tsName, fields } = this.info;
    e.open(`function default${tsName}(): ${tsName} {`);
    if (fields.length === 0) e.line("return {};");
    else {
      e.open("return {");
      for (const f of fields) e.line(`${propertyName(f.name)}: ${this.fieldDefault(f)},`);
      e.close("};");
    }
    e.close();
  }

  private emitDefaultCheck(e: Emitter): void {
    const { tsName, fields } = this.info;
    e.open(`function is${tsName}Default(m: ${tsName}): boolean {`);
    if (fields.length === 0) e.line("return true;");
    else {
      e.open("return !(");
      fields.forEach((f, i) => {
        const sep = i === fields.length - 1 ? "" : " ||";
        e.line(`(${this.differsFromDefault(f, `m.${propertyName(f.name)}`)})${sep}`);
      });
      e.close(");");
    }
    e.close();
  }

  emitTypes(e: Emitter): void {
    this.emitInterface(e);
    e.line();
  }

  /** `encoded`: whether any encoder calls this struct's (the message's own is exported, so always). */
  emitFunctions(e: Emitter, encoded: boolean): void {
    if (this.info.needsDefaultFactory) {
      this.emitDefaultFactory(e);
      e.line();
    }
    if (this.info.needsDefaultCheck) {
      this.emitDefaultCheck(e);
      e.line();
    }
    if (encoded) {
      this.emitEncoder(e);
      e.line();
    }
    this.emitDecoder(e);
    e.line();
  }
}

// ---------------------------------------------------------------------------------------------
// Modules

function emitMessage(e: Emitter, model: MessageModel): void {
  const generators = [...model.structs.values()].map((info) => new StructGenerator(model, info));
  for (const g of generators) g.emitTypes(e);
  const encoded = new Set([model.structs.get("")!, ...generators.flatMap((g) => g.encodedStructs())]);
  for (const g of generators) g.emitFunctions(e, encoded.has(g.info));
}

function moduleSource(messages: MessageSpec[]): string {
  const models = messages.map(analyse);
  const body = new Emitter();
  for (const m of models) emitMessage(body, m);
  const code = body.toString();
  const readerValues = ["EMPTY_BYTES", "ZERO_UUID"].filter((n) => new RegExp(`\\b${n}\\b`).test(code));
  const header = new Emitter();
  header.line(
    `// Generated by scripts/generate-protocol.ts from ${messages.map((m) => `${m.name}.json`).join(" and ")}. Do not edit.`,
  );
  header.line();
  if (/\bMalformedMessageError\b/.test(code)) header.line(`import { MalformedMessageError } from "../errors.ts";`);
  header.line(
    readerValues.length > 0
      ? `import { ${readerValues.join(", ")}, type Reader } from "../reader.ts";`
      : `import type { Reader } from "../reader.ts";`,
  );
  header.line(`import type { Writer } from "../writer.ts";`);
  header.line();
  return (header.toString() + code).replace(/\n+$/, "\n");
}

interface ApiEntry {
  apiKey: number;
  name: string;
  module: string;
  request: MessageSpec;
  response: MessageSpec;
}

function apisSource(entries: ApiEntry[]): string {
  const e = new Emitter();
  e.line("// Generated by scripts/generate-protocol.ts from the Kafka message definitions. Do not edit.");
  e.line("//");
  e.line("// Each API's versions, and a loader for its codec module: codecs are imported on first use, so a");
  e.line("// broker evaluates at start-up only the table, not ~90 codec modules (protocol/messages.ts caches");
  e.line("// what it loads). The message types are type-only imports and cost nothing at run time.");
  e.line();
  e.line(`import type { Reader } from "../reader.ts";`);
  e.line(`import type { Writer } from "../writer.ts";`);
  for (const a of entries) e.line(`import type * as ${camel(a.name)} from "./${a.module}.ts";`);
  e.line();
  e.open("export const ApiKey = {");
  for (const a of entries) e.line(`${a.name}: ${a.apiKey},`);
  e.close("} as const;");
  e.line();
  e.line("export type ApiKeyName = keyof typeof ApiKey;");
  e.line();
  e.open("export interface ApiCodec {");
  e.line("encodeRequest(w: Writer, v: number, m: any): void;");
  e.line("decodeRequest(r: Reader, v: number): any;");
  e.line("encodeResponse(w: Writer, v: number, m: any): void;");
  e.line("decodeResponse(r: Reader, v: number): any;");
  e.close();
  e.line();
  e.open("export interface ApiSpec {");
  e.line("apiKey: number;");
  e.line("name: string;");
  e.line("minVersion: number;");
  e.line("maxVersion: number;");
  e.line("/** Infinity when the API has no flexible versions. */");
  e.line("firstFlexibleVersion: number;");
  e.line("/** The definitions mark maxVersion as still under development (not to be advertised by default). */");
  e.line("latestVersionUnstable: boolean;");
  e.line("/** Imports the API's codec module; nothing evaluates it before the first call. */");
  e.line("loadCodec(): Promise<ApiCodec>;");
  e.close();
  e.line();
  e.open("export const apis: ReadonlyMap<number, ApiSpec> = new Map<number, ApiSpec>([");
  for (const a of entries) {
    const valid = parseVersions(a.request.validVersions);
    const flex = parseVersions(a.request.flexibleVersions);
    e.open(`[${a.apiKey}, {`);
    e.line(`apiKey: ${a.apiKey},`);
    e.line(`name: ${JSON.stringify(a.name)},`);
    e.line(`minVersion: ${valid.min},`);
    e.line(`maxVersion: ${valid.max},`);
    e.line(`firstFlexibleVersion: ${flex.min <= flex.max ? flex.min : "Infinity"},`);
    e.line(`latestVersionUnstable: ${a.request.latestVersionUnstable === true},`);
    e.open("loadCodec: async () => {");
    e.line(`const m = await import("./${a.module}.ts");`);
    e.line(
      `return { encodeRequest: m.encode${a.request.name}, decodeRequest: m.decode${a.request.name}, ` +
        `encodeResponse: m.encode${a.response.name}, decodeResponse: m.decode${a.response.name} };`,
    );
    e.close("},");
    e.close("}],");
  }
  e.close("]);");
  e.line();
  e.open("export interface RequestTypes {");
  for (const a of entries) e.line(`${a.apiKey}: ${camel(a.name)}.${a.request.name};`);
  e.close();
  e.line();
  e.open("export interface ResponseTypes {");
  for (const a of entries) e.line(`${a.apiKey}: ${camel(a.name)}.${a.response.name};`);
  e.close();
  return e.toString();
}

function camel(name: string): string {
  return name[0].toLowerCase() + name.slice(1);
}

/** Generates every module into a map of file name -> source text. */
export function generateSources(specs: MessageSpec[]): Map<string, string> {
  const selected = selectMessages(specs);
  const files = new Map<string, string>();
  const byApi = new Map<number, { request?: MessageSpec; response?: MessageSpec }>();
  for (const s of selected) {
    if (s.type === "request" || s.type === "response") {
      if (s.apiKey === undefined) throw new Error(`${s.name} has no apiKey`);
      const pair = byApi.get(s.apiKey) ?? {};
      pair[s.type] = s;
      byApi.set(s.apiKey, pair);
    } else {
      files.set(`${kebab(s.name)}.ts`, moduleSource([s]));
    }
  }
  const entries: ApiEntry[] = [];
  for (const [apiKey, pair] of [...byApi].sort((a, b) => a[0] - b[0])) {
    if (!pair.request || !pair.response) throw new Error(`API key ${apiKey} lacks a request or a response`);
    if (pair.request.validVersions !== pair.response.validVersions) {
      throw new Error(`API key ${apiKey}: request and response valid versions differ`);
    }
    const name = apiName(pair.request);
    const module = kebab(name);
    files.set(`${module}.ts`, moduleSource([pair.request, pair.response]));
    entries.push({ apiKey, name, module, request: pair.request, response: pair.response });
  }
  files.set("apis.ts", apisSource(entries));
  const modules = [...files.keys()].sort();
  files.set(
    "index.ts",
    "// Generated by scripts/generate-protocol.ts. Do not edit.\n\n" +
      modules.map((f) => `export * from "./${f}";`).join("\n") +
      "\n",
  );
  return new Map([...files].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

export function generate(outDir: string = DEFAULT_OUT_DIR, specDir: string = DEFAULT_SPEC_DIR): string[] {
  const sources = generateSources(loadMessageSpecs(specDir));
  mkdirSync(outDir, { recursive: true });
  for (const [file, text] of sources) writeFileSync(join(outDir, file), text);
  return [...sources.keys()];
}

if (import.meta.main) {
  const [outDir, specDir] = process.argv.slice(2);
  const files = generate(outDir ? resolve(outDir) : undefined, specDir ? resolve(specDir) : undefined);
  console.log(`generated ${files.length} files into ${outDir ?? DEFAULT_OUT_DIR}`);
}
