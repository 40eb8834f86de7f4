// The message model: which structs a message defines, and in which versions each one can appear.

import {
  elementType,
  type FieldSpec,
  inRange,
  isArrayType,
  isStructType,
  type MessageSpec,
  parseVersions,
  type VersionRange,
} from "./specs.ts";

// ---------------------------------------------------------------------------------------------
// Per-message analysis: which structs exist, and in which versions each one can appear.

export interface StructInfo {
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

export interface MessageModel {
  spec: MessageSpec;
  valid: VersionRange;
  flexible: VersionRange;
  structs: Map<string, StructInfo>; // keyed by JSON struct name; the message itself under ""
}

export function versionSet(r: VersionRange, within: Iterable<number>): Set<number> {
  const s = new Set<number>();
  for (const v of within) if (inRange(v, r)) s.add(v);
  return s;
}

export function analyse(spec: MessageSpec): MessageModel {
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
