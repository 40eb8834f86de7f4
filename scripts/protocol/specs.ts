// Kafka's message definitions: loading the JSON files, the types describing them, version ranges, and the
// naming and type helpers the rest of the generator shares.

import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
// The message definitions live in shared/ beside the repository checkout.
export const DEFAULT_SPEC_DIR = resolve(import.meta.dir, "../../../shared/kafka-protocol/message");
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

export function isStructType(type: string): boolean {
  return !PRIMITIVES.has(elementType(type));
}
