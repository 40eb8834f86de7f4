// Code emission helpers: version conditions, compact/classic choices, the line Emitter, literals, and the
// fixed-width tables the inline array writer uses.

import { inRange, type VersionRange } from "./specs.ts";

// ---------------------------------------------------------------------------------------------
// Code emission helpers

/** A TS boolean expression for "version is in `r`", simplified using the versions in `scope`. */
export function versionCondition(r: VersionRange, scope: Set<number>): string {
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
export type Flex = "always" | "never" | "runtime";

export function choose(flex: Flex, compact: string, classic: string): string {
  if (flex === "always") return compact;
  if (flex === "never") return classic;
  return `(flexible ? ${compact} : ${classic})`;
}

export function branch(cond: string, ifTrue: string, ifFalse: string): string {
  if (cond === "true") return ifTrue;
  if (cond === "false") return ifFalse;
  return `(${cond} ? ${ifTrue} : ${ifFalse})`;
}

/** Drops one pair of parentheses wrapping the whole expression. */
export function bare(expr: string): string {
  if (!expr.startsWith("(") || !expr.endsWith(")")) return expr;
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    if (expr[i] === "(") depth++;
    else if (expr[i] === ")" && --depth === 0 && i < expr.length - 1) return expr;
  }
  return expr.slice(1, -1);
}

export class Emitter {
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

export function numberLiteral(raw: string | number, type: string): string {
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

/** Bytes of the fixed-width types, and the DataView setter writing each as the Writer does. */
export const FIXED_WIDTHS: Record<string, number> = { bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float64: 8 };
export const FIXED_SETTERS: Record<string, string> = {
  bool: "setUint8",
  int8: "setInt8",
  int16: "setInt16",
  uint16: "setUint16",
  int32: "setInt32",
  uint32: "setUint32",
  int64: "setBigInt64",
  float64: "setFloat64",
};
