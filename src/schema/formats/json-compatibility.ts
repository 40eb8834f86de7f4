// JSON Schema compatibility, written from Confluent's documented rules: a reader schema is compatible with a
// writer schema when every document the writer accepts, the reader accepts too. So narrowing a type, adding
// or tightening a bound, adding a required property, changing a pattern, narrowing an enum, closing
// additionalProperties, removing a property from a closed content model or adding one to an open content model
// (old data may already hold that name with another type) are incompatible; the reverse changes are fine.

export type JsonSchemaDocument = boolean | { [keyword: string]: unknown };
type SchemaObject = { [keyword: string]: unknown };

const LOWER_BOUNDS = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"] as const;
const UPPER_BOUNDS = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"] as const;
const EXACT_KEYWORDS = ["pattern", "format", "const", "not", "propertyNames", "contentEncoding", "contentMediaType"] as const;

interface Comparison {
  readerRoot: JsonSchemaDocument;
  writerRoot: JsonSchemaDocument;
  /** (reader, writer) pairs being compared, so recursive schemas terminate. */
  visiting: Map<object, Set<object>>;
  problems: string[];
}

/** Why documents valid under `writer` may be invalid under `reader`; empty when they never are. */
export function jsonSchemaIncompatibilities(reader: JsonSchemaDocument, writer: JsonSchemaDocument): string[] {
  const comparison: Comparison = { readerRoot: reader, writerRoot: writer, visiting: new Map(), problems: [] };
  compare(comparison, reader, writer, "#");
  return comparison.problems;
}

function asObject(schema: unknown): SchemaObject | boolean {
  if (typeof schema === "boolean") return schema;
  return typeof schema === "object" && schema !== null ? (schema as SchemaObject) : true;
}

/** Follows a local $ref ("#/definitions/x", "#/$defs/x"); other references stay as they are. */
function resolve(root: JsonSchemaDocument, schema: SchemaObject | boolean, depth = 0): SchemaObject | boolean {
  if (typeof schema === "boolean" || typeof schema.$ref !== "string" || !schema.$ref.startsWith("#") || depth > 32) return schema;
  let target: unknown = root;
  for (const segment of schema.$ref.slice(1).split("/").filter(Boolean)) {
    target = typeof target === "object" && target !== null ? (target as SchemaObject)[decodeURIComponent(segment).replaceAll("~1", "/").replaceAll("~0", "~")] : undefined;
  }
  return target === undefined ? schema : resolve(root, asObject(target), depth + 1);
}

/** Schemas that accept everything: true, {} and ones with only annotations. */
function acceptsAnything(schema: SchemaObject | boolean): boolean {
  if (typeof schema === "boolean") return schema;
  const annotations = new Set(["$schema", "$id", "$comment", "title", "description", "default", "examples", "definitions", "$defs"]);
  return Object.keys(schema).every((k) => annotations.has(k));
}

function typesOf(schema: SchemaObject): Set<string> | null {
  if (schema.type === undefined) return null;
  return new Set(Array.isArray(schema.type) ? (schema.type as string[]) : [String(schema.type)]);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function compare(c: Comparison, readerIn: unknown, writerIn: unknown, path: string): void {
  const reader = resolve(c.readerRoot, asObject(readerIn));
  const writer = resolve(c.writerRoot, asObject(writerIn));
  if (acceptsAnything(reader) || writer === false) return;
  if (reader === false) return void c.problems.push(`${path}: the reader accepts nothing where the writer accepted values`);
  if (writer === true || acceptsAnything(writer)) return void c.problems.push(`${path}: constraints were added where anything was allowed`);
  const r = reader as SchemaObject;
  const w = writer as SchemaObject;
  const pairs = c.visiting.get(r) ?? new Set<object>();
  if (pairs.has(w)) return;
  pairs.add(w);
  c.visiting.set(r, pairs);

  if (typeof r.$ref === "string" || typeof w.$ref === "string") {
    if (r.$ref !== w.$ref) c.problems.push(`${path}: reference changed from ${String(w.$ref)} to ${String(r.$ref)}`);
    return;
  }
  compareTypes(c, r, w, path);
  compareCombinators(c, r, w, path);
  if (r.enum !== undefined) {
    const allowed = Array.isArray(r.enum) ? r.enum : [];
    const written = Array.isArray(w.enum) ? w.enum : null;
    if (written === null) c.problems.push(`${path}: enum added`);
    else {
      const missing = written.filter((v) => !allowed.some((a) => same(a, v)));
      if (missing.length > 0) c.problems.push(`${path}: enum narrowed, ${JSON.stringify(missing)} no longer allowed`);
    }
  }
  for (const keyword of LOWER_BOUNDS) {
    if (typeof r[keyword] === "number" && !(typeof w[keyword] === "number" && (w[keyword] as number) >= (r[keyword] as number))) {
      c.problems.push(`${path}: ${keyword} added or increased to ${r[keyword]}`);
    }
  }
  for (const keyword of UPPER_BOUNDS) {
    if (typeof r[keyword] === "number" && !(typeof w[keyword] === "number" && (w[keyword] as number) <= (r[keyword] as number))) {
      c.problems.push(`${path}: ${keyword} added or decreased to ${r[keyword]}`);
    }
  }
  if (typeof r.multipleOf === "number" && !(typeof w.multipleOf === "number" && Number.isInteger(w.multipleOf / r.multipleOf))) {
    c.problems.push(`${path}: multipleOf ${r.multipleOf} added or changed`);
  }
  for (const keyword of EXACT_KEYWORDS) {
    if (r[keyword] !== undefined && !same(r[keyword], w[keyword])) c.problems.push(`${path}: ${keyword} added or changed`);
  }
  if (r.uniqueItems === true && w.uniqueItems !== true) c.problems.push(`${path}: uniqueItems added`);
  compareObjects(c, r, w, path);
  compareArrays(c, r, w, path);
  pairs.delete(w);
}

function compareTypes(c: Comparison, r: SchemaObject, w: SchemaObject, path: string): void {
  const readerTypes = typesOf(r);
  if (readerTypes === null) return;
  const writerTypes = typesOf(w);
  if (writerTypes === null) {
    if (w.oneOf === undefined && w.anyOf === undefined && w.enum === undefined && w.const === undefined) c.problems.push(`${path}: type ${[...readerTypes].join("|")} added`);
    return;
  }
  const lost = [...writerTypes].filter((t) => !readerTypes.has(t) && !(t === "integer" && readerTypes.has("number")));
  if (lost.length > 0) c.problems.push(`${path}: type changed from ${[...writerTypes].join("|")} to ${[...readerTypes].join("|")}`);
}

function alternatives(schema: SchemaObject): unknown[] | null {
  const alts = schema.oneOf ?? schema.anyOf;
  return Array.isArray(alts) ? alts : null;
}

function compareCombinators(c: Comparison, r: SchemaObject, w: SchemaObject, path: string): void {
  const readerAlts = alternatives(r);
  const writerAlts = alternatives(w);
  // Every writer alternative must be readable by some reader alternative.
  if (readerAlts) {
    const written = writerAlts ?? [w];
    written.forEach((alt, i) => {
      const fits = readerAlts.some((readerAlt) => {
        const trial: Comparison = { ...c, problems: [] };
        compare(trial, readerAlt, writerAlts ? alt : { ...w, oneOf: undefined, anyOf: undefined }, path);
        return trial.problems.length === 0;
      });
      if (!fits) c.problems.push(`${path}: ${writerAlts ? `alternative ${i}` : "the schema"} matches none of the reader's alternatives`);
    });
  } else if (writerAlts) {
    writerAlts.forEach((alt, i) => compare(c, r, alt, `${path}/${w.oneOf ? "oneOf" : "anyOf"}/${i}`));
  }
  if (Array.isArray(r.allOf)) r.allOf.forEach((conjunct, i) => compare(c, conjunct, { ...w, allOf: undefined }, `${path}/allOf/${i}`));
}

function compareObjects(c: Comparison, r: SchemaObject, w: SchemaObject, path: string): void {
  const readerProps = (r.properties ?? {}) as SchemaObject;
  const writerProps = (w.properties ?? {}) as SchemaObject;
  const writerRequired = new Set(Array.isArray(w.required) ? (w.required as string[]) : []);
  for (const name of Array.isArray(r.required) ? (r.required as string[]) : []) {
    if (!writerRequired.has(name)) c.problems.push(`${path}: required property ${name} added`);
  }
  const readerExtra = r.additionalProperties;
  const writerExtra = w.additionalProperties;
  for (const name of Object.keys(readerProps)) {
    const at = `${path}/properties/${name}`;
    if (name in writerProps) compare(c, readerProps[name], writerProps[name], at);
    else if (typeof writerExtra === "object" && writerExtra !== null) compare(c, readerProps[name], writerExtra, at);
    else if (writerExtra !== false && !acceptsAnything(asObject(readerProps[name]))) c.problems.push(`${at}: property added to an open content model`);
  }
  for (const name of Object.keys(writerProps)) {
    if (name in readerProps) continue;
    const at = `${path}/properties/${name}`;
    if (readerExtra === false) c.problems.push(`${at}: property removed from a closed content model`);
    else if (typeof readerExtra === "object" && readerExtra !== null) compare(c, readerExtra, writerProps[name], at);
  }
  if (readerExtra === false && writerExtra !== false) c.problems.push(`${path}: additionalProperties closed`);
  else if (typeof readerExtra === "object" && readerExtra !== null && writerExtra !== false) {
    compare(c, readerExtra, writerExtra ?? true, `${path}/additionalProperties`);
  }
}

function compareArrays(c: Comparison, r: SchemaObject, w: SchemaObject, path: string): void {
  const readerItems = r.items ?? r.prefixItems;
  if (readerItems === undefined) return;
  const writerItems = w.items ?? w.prefixItems ?? true;
  if (Array.isArray(readerItems)) {
    readerItems.forEach((item, i) => compare(c, item, Array.isArray(writerItems) ? (writerItems[i] ?? true) : writerItems, `${path}/items/${i}`));
  } else {
    const written = Array.isArray(writerItems) ? writerItems : [writerItems];
    written.forEach((item) => compare(c, readerItems, item, `${path}/items`));
  }
}
