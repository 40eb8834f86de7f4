// Table partitioning from the topic config tansu.lake.partition: a comma-separated list of
// `column` (identity), `year(column)`, `month(column)`, `day(column)` or `hour(column)` over
// top-level columns, e.g. `day(timestamp)` or `partition`. Iceberg names the transforms the same
// way; Delta, which can only partition by columns, gets a derived column per transform.

import { LakeSchemaError, type ColumnType, type Field, type PrimitiveName } from "./columns.ts";
import { MICROS_PER_DAY } from "./value-conversion.ts";
import type { Row } from "./table-schema.ts";

export type Transform = "identity" | "year" | "month" | "day" | "hour";

export interface PartitionField {
  transform: Transform;
  /** The source column's name and id. */
  source: string;
  sourceId: number;
  /** The partition field's name: the column for identity, else `<column>_<transform>`. */
  name: string;
  /** The partition value's type: date for day, int for year, month and hour, the source's for identity. */
  resultType: ColumnType;
}

export interface PartitionTerm {
  transform: Transform;
  source: string;
}

const TERM = /^(?:(year|month|day|hour)\(\s*([^()\s]+)\s*\)|([^()\s,]+))$/;
const IDENTITY_TYPES = new Set<PrimitiveName>(["boolean", "int", "long", "date", "string"]);
const TIME_TYPES = new Set<string>(["date", "timestamp", "timestamptz"]);
const MICROS_PER_HOUR = 3_600_000_000n;

/** Parses the config value; "" means unpartitioned. @throws LakeSchemaError for a malformed term */
export function parsePartitioning(text: string): PartitionTerm[] {
  if (text.trim() === "") return [];
  return text.split(",").map((raw) => {
    const term = raw.trim();
    const match = TERM.exec(term);
    if (!match) throw new LakeSchemaError(`partition term ${JSON.stringify(term)} is not column, year(column), month(column), day(column) or hour(column)`);
    return match[3] !== undefined
      ? { transform: "identity" as const, source: match[3] }
      : { transform: match[1] as Transform, source: match[2]! };
  });
}

/** Binds terms to the table's top-level columns. @throws LakeSchemaError for a column the transform cannot apply to */
export function bindPartitioning(terms: PartitionTerm[], fields: Field[]): PartitionField[] {
  return terms.map(({ transform, source }) => {
    const field = fields.find((candidate) => candidate.name === source);
    if (!field) throw new LakeSchemaError(`partition column ${source} is not a top-level column (columns: ${fields.map((f) => f.name).join(", ")})`);
    const type = field.type.type;
    if (transform === "identity") {
      if (!IDENTITY_TYPES.has(type as PrimitiveName)) throw new LakeSchemaError(`cannot partition by ${type} column ${source} itself`);
      return { transform, source, sourceId: field.id, name: source, resultType: field.type };
    }
    if (!TIME_TYPES.has(type) || (transform === "hour" && type === "date")) {
      throw new LakeSchemaError(`${transform}(${source}) needs a ${transform === "hour" ? "timestamp" : "date or timestamp"} column, ${source} is ${type}`);
    }
    return {
      transform,
      source,
      sourceId: field.id,
      name: `${source}_${transform}`,
      resultType: { type: transform === "day" ? "date" : "int" },
    };
  });
}

/** The partition value of one row: days for day, hours/months/years since 1970 for the others. */
export function partitionValue(field: PartitionField, row: Row): unknown {
  const value = row[field.source];
  if (value === null || value === undefined || field.transform === "identity") return value ?? null;
  const isDate = typeof value === "number";
  const micros = isDate ? BigInt(value) * MICROS_PER_DAY : (value as bigint);
  switch (field.transform) {
    case "hour":
      return Number(floorDiv(micros, MICROS_PER_HOUR));
    case "day":
      return Number(floorDiv(micros, MICROS_PER_DAY));
    default: {
      const date = new Date(Number(floorDiv(micros, 1000n)));
      const years = date.getUTCFullYear() - 1970;
      return field.transform === "year" ? years : years * 12 + date.getUTCMonth();
    }
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? quotient - 1n : quotient;
}

/**
 * The human form of a partition value, as Iceberg paths and Delta partitionValues write it:
 * yyyy-mm-dd for days, yyyy-mm-dd-hh for hours, yyyy-mm for months, yyyy for years.
 */
export function partitionText(field: PartitionField, value: unknown): string {
  if (value === null || value === undefined) return "";
  const iso = (millis: number) => new Date(millis).toISOString();
  switch (field.transform) {
    case "day":
      return iso(Number(value) * 86_400_000).slice(0, 10);
    case "hour":
      return iso(Number(value) * 3_600_000).slice(0, 13).replace("T", "-");
    case "month": {
      const months = Number(value);
      return `${1970 + Math.floor(months / 12)}-${String(((months % 12) + 12) % 12 + 1).padStart(2, "0")}`;
    }
    case "year":
      return String(1970 + Number(value));
    default:
      return field.resultType.type === "date" ? iso(Number(value) * 86_400_000).slice(0, 10) : String(value);
  }
}

/** `name=value/…/` for a data file's directory (values URI-encoded), "" when unpartitioned. */
export function partitionPath(fields: PartitionField[], values: unknown[]): string {
  return fields.map((field, i) => `${field.name}=${encodeURIComponent(partitionText(field, values[i]) || "null")}/`).join("");
}
