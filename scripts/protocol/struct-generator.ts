// StructGenerator: emits one struct's TypeScript interface and its default, encode and decode functions.

import { bare, branch, choose, type Emitter, FIXED_SETTERS, FIXED_WIDTHS, type Flex, numberLiteral, versionCondition } from "./emitter.ts";
import { type MessageModel, type StructInfo, versionSet } from "./model.ts";
import { elementType, type FieldSpec, inRange, isArrayType, isStructType, parseVersions, propertyName } from "./specs.ts";

// ---------------------------------------------------------------------------------------------
// Per-struct code generation

export class StructGenerator {
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
