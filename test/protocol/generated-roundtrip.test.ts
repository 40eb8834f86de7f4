// Round trip of every generated message at every version. Sample values are built here from the
// JSON definitions (not from the generated code): every field present in the version gets a
// non-default value (tagged fields included), absent fields the default a decoder must fill in.

import { describe, expect, test } from "bun:test";
import {
  elementType,
  type FieldSpec,
  inRange,
  isArrayType,
  isStructType,
  loadMessageSpecs,
  type MessageSpec,
  parseVersions,
  selectMessages,
} from "../../scripts/protocol/specs.ts";
import { TruncatedMessageError } from "../../src/protocol/errors.ts";
import * as generated from "../../src/protocol/generated/index.ts";
import { Reader } from "../../src/protocol/reader.ts";
import { Writer } from "../../src/protocol/writer.ts";

type Encode = (w: Writer, version: number, m: unknown) => void;
type Decode = (r: Reader, version: number) => unknown;

const codecs = generated as unknown as Record<string, Encode | Decode>;
const specs = selectMessages(loadMessageSpecs());

function codecOf(spec: MessageSpec): { encode: Encode; decode: Decode } {
  const encode = codecs[`encode${spec.name}`] as Encode | undefined;
  const decode = codecs[`decode${spec.name}`] as Decode | undefined;
  if (!encode || !decode) throw new Error(`no generated codec for ${spec.name}`);
  return { encode, decode };
}

function propertyOf(name: string): string {
  return name[0].toLowerCase() + name.slice(1);
}

/** Which values the sample uses for fields that may be null in the version. */
type Variant = "values" | "nulls";

class SampleBuilder {
  private counter = 0;

  constructor(
    private readonly spec: MessageSpec,
    private readonly version: number,
    private readonly variant: Variant,
  ) {}

  private structFields(f: FieldSpec): FieldSpec[] {
    const fields = f.fields ?? this.spec.commonStructs?.find((c) => c.name === elementType(f.type))?.fields;
    if (!fields) throw new Error(`${this.spec.name}: no fields for ${f.type}`);
    return fields;
  }

  private isNullable(f: FieldSpec): boolean {
    return inRange(this.version, parseVersions(f.nullableVersions));
  }

  /** What a decoder must produce for a field absent from the version. */
  defaultOf(f: FieldSpec): unknown {
    if (f.default === "null" || f.type === "records") return null;
    if (isArrayType(f.type)) return [];
    if (isStructType(f.type)) return this.defaults(this.structFields(f));
    const d = f.default;
    switch (f.type) {
      case "bool":
        return d === true || d === "true";
      case "string":
        return d === undefined ? "" : String(d);
      case "bytes":
        return new Uint8Array(0);
      case "uuid":
        return "00000000-0000-0000-0000-000000000000";
      case "int64":
        return BigInt(d === undefined ? 0 : String(d));
      default:
        return d === undefined ? 0 : Number(d);
    }
  }

  defaults(fields: FieldSpec[]): Record<string, unknown> {
    return Object.fromEntries(fields.map((f) => [propertyOf(f.name), this.defaultOf(f)]));
  }

  /** A value of the element type that differs from the field's default. */
  private primitive(f: FieldSpec, type: string): unknown {
    const k = ++this.counter;
    const d = isArrayType(f.type) ? undefined : this.defaultOf(f);
    const differ = <T>(v: T, alt: T): T => (v === d ? alt : v);
    switch (type) {
      case "bool":
        return d === true ? false : true;
      case "int8":
        return differ(-(k % 100) - 2, 99);
      case "int16":
        return differ(-1000 - k, 1000 + k);
      case "uint16":
        return differ(60000 + k, 1);
      case "int32":
        return differ(k % 2 === 0 ? -100000 - k : 2_000_000_000 + k, 7);
      case "uint32":
        return differ(4_000_000_000 + k, 1);
      case "int64":
        return differ(k % 2 === 0 ? -(2n ** 62n) - BigInt(k) : 2n ** 40n + BigInt(k), 5n);
      case "float64":
        return differ(k + 0.25, -1.5);
      case "string":
        // Mixed ASCII and multi-byte UTF-8, including a surrogate pair.
        return k % 3 === 0 ? `tópico-${k}-😀` : `s${k}`;
      case "bytes":
      case "records":
        return new Uint8Array([k & 0xff, 0, 255, (k * 7) & 0xff]);
      case "uuid": {
        const hex = (k * 2654435761).toString(16).padStart(8, "0").slice(-8);
        return `${hex}-0123-4567-89ab-${hex}abcd`;
      }
      default:
        throw new Error(`unexpected primitive ${type}`);
    }
  }

  private value(f: FieldSpec): unknown {
    if (this.variant === "nulls" && this.isNullable(f)) return null;
    if (isArrayType(f.type)) {
      if (isStructType(f.type)) return [this.build(this.structFields(f)), this.build(this.structFields(f))];
      return [this.primitive(f, elementType(f.type)), this.primitive(f, elementType(f.type))];
    }
    if (isStructType(f.type)) return this.build(this.structFields(f));
    return this.primitive(f, f.type);
  }

  build(fields: FieldSpec[]): Record<string, unknown> {
    return Object.fromEntries(
      fields.map((f) => [
        propertyOf(f.name),
        inRange(this.version, parseVersions(f.versions)) ? this.value(f) : this.defaultOf(f),
      ]),
    );
  }
}

function encode(spec: MessageSpec, version: number, m: unknown): Uint8Array {
  const w = new Writer(16); // small, so growth is exercised too
  codecOf(spec).encode(w, version, m);
  return w.finish().slice();
}

function decode(spec: MessageSpec, version: number, bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const m = codecOf(spec).decode(r, version);
  expect(r.remaining).toBe(0);
  return m;
}

function versionsOf(spec: MessageSpec): number[] {
  const { min, max } = parseVersions(spec.validVersions);
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

describe("generated codecs round-trip every message at every version", () => {
  for (const spec of specs) {
    test(spec.name, () => {
      for (const version of versionsOf(spec)) {
        for (const variant of ["values", "nulls"] as const) {
          const sample = new SampleBuilder(spec, version, variant).build(spec.fields);
          const bytes = encode(spec, version, sample);
          const decoded = decode(spec, version, bytes);
          try {
            expect(decoded).toEqual(sample);
            expect(encode(spec, version, decoded)).toEqual(bytes);
          } catch (cause) {
            throw new Error(`${spec.name} v${version} (${variant}) did not round-trip`, { cause });
          }
        }
      }
    });
  }
});

test("every API key has request and response codecs and an ApiKey name", async () => {
  const requests = specs.filter((s) => s.type === "request");
  expect(requests.length).toBeGreaterThanOrEqual(88);
  for (const s of requests) {
    const spec = generated.apiSpec(s.apiKey!);
    expect(spec?.name).toBe(s.name.replace(/Request$/, ""));
    expect((generated.ApiKey as unknown as Record<string, number>)[spec!.name]).toBe(s.apiKey!);
    // The loader finds the codec's functions by name; each must be there.
    const codec = await spec!.loadCodec();
    for (const fn of [codec.encodeRequest, codec.decodeRequest, codec.encodeResponse, codec.decodeResponse]) expect(fn).toBeFunction();
  }
  expect(generated.apiSpec(-1)).toBeUndefined();
  expect(generated.apiSpec(89)).toBeUndefined();
});

test("absent fields decode to defaults and encoding an empty object writes only defaults", () => {
  for (const spec of specs) {
    for (const version of versionsOf(spec)) {
      const defaults = new SampleBuilder(spec, version, "values").defaults(spec.fields);
      const fromEmpty = encode(spec, version, {});
      expect(encode(spec, version, defaults)).toEqual(fromEmpty);
      expect(decode(spec, version, fromEmpty)).toEqual(defaults);
    }
  }
});

test("truncating a message at any byte yields TruncatedMessageError", () => {
  for (const spec of specs) {
    const { min, max } = parseVersions(spec.validVersions);
    for (const version of new Set([min, max])) {
      const bytes = encode(spec, version, new SampleBuilder(spec, version, "values").build(spec.fields));
      for (let cut = 0; cut < bytes.length; cut++) {
        let error: unknown;
        try {
          codecOf(spec).decode(new Reader(bytes.subarray(0, cut)), version);
        } catch (e) {
          error = e;
        }
        if (!(error instanceof TruncatedMessageError)) {
          throw new Error(`${spec.name} v${version} cut at ${cut}/${bytes.length} gave ${String(error)}`);
        }
      }
    }
  }
});
