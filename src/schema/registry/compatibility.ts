// Confluent's compatibility levels. BACKWARD: the new schema reads data written with the old; FORWARD: the old
// schema reads data written with the new; FULL: both. _TRANSITIVE checks every live version, not only the latest.
import type { SchemaLanguage } from "../formats/format.ts";
import type { CompiledSchema } from "../types.ts";

export type CompatibilityLevel = "NONE" | "BACKWARD" | "FORWARD" | "FULL" | "BACKWARD_TRANSITIVE" | "FORWARD_TRANSITIVE" | "FULL_TRANSITIVE";

export const COMPATIBILITY_LEVELS: ReadonlySet<CompatibilityLevel> = new Set([
  "NONE",
  "BACKWARD",
  "FORWARD",
  "FULL",
  "BACKWARD_TRANSITIVE",
  "FORWARD_TRANSITIVE",
  "FULL_TRANSITIVE",
]);

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = "BACKWARD";

/** Why `candidate` may not follow `previous` under `level`; empty when it may. */
export function checkCompatibility(language: SchemaLanguage, level: CompatibilityLevel, candidate: CompiledSchema, previous: CompiledSchema): string[] {
  const base = level.replace("_TRANSITIVE", "");
  const problems: string[] = [];
  if (base === "BACKWARD" || base === "FULL") {
    for (const p of language.incompatibilities(candidate, previous)) problems.push(`the new schema cannot read data written with it (${p})`);
  }
  if (base === "FORWARD" || base === "FULL") {
    for (const p of language.incompatibilities(previous, candidate)) problems.push(`it cannot read data written with the new schema (${p})`);
  }
  return problems;
}
