// Rows of the column model as one Parquet file, through hyparquet-writer. Field ids go on every
// schema element Iceberg identifies (struct fields, list elements, map keys and values); lists
// and maps use the 3-level representation both Iceberg and Delta require.
//
// The formats disagree on a few physical types, so the dialect picks: Iceberg and plain Parquet
// store uuid as fixed[16] UUID and time as TIME(µs); Delta has neither type, so it stores uuid
// as a string and time as a plain long, and fixed as binary.

import { parquetWriteBuffer } from "hyparquet-writer";
import type { ColumnType, Field } from "./columns.ts";
import type { Row } from "./table-schema.ts";

export type Dialect = "iceberg" | "delta" | "parquet";

type SchemaElement = NonNullable<Parameters<typeof parquetWriteBuffer>[0]["schema"]>[number];

export interface ParquetFile {
  bytes: Uint8Array;
  rows: number;
}

const ROW_GROUP_ROWS = 100_000;

/** The Parquet schema (flattened, depth-first, with the root) of `fields`. */
export function parquetSchema(fields: Field[], dialect: Dialect): SchemaElement[] {
  const elements: SchemaElement[] = [{ name: "root", num_children: fields.length }];
  for (const field of fields) addElements(elements, field.name, field.required, field.id, field.type, dialect);
  return elements;
}

function addElements(out: SchemaElement[], name: string, required: boolean, id: number, type: ColumnType, dialect: Dialect): void {
  const repetition_type = required ? "REQUIRED" : "OPTIONAL";
  // Delta tables without column mapping identify columns by name; ids would only mislead.
  const base = { name, repetition_type, ...(dialect === "delta" ? {} : { field_id: id }) } as const;
  switch (type.type) {
    case "struct":
      out.push({ ...base, num_children: type.fields.length });
      for (const field of type.fields) addElements(out, field.name, field.required, field.id, field.type, dialect);
      return;
    case "list":
      out.push({ ...base, num_children: 1, converted_type: "LIST", logical_type: { type: "LIST" } });
      out.push({ name: "list", repetition_type: "REPEATED", num_children: 1 });
      addElements(out, "element", type.elementRequired, type.elementId, type.element, dialect);
      return;
    case "map":
      out.push({ ...base, num_children: 1, converted_type: "MAP", logical_type: { type: "MAP" } });
      out.push({ name: "key_value", repetition_type: "REPEATED", num_children: 2 });
      addElements(out, "key", true, type.keyId, type.key, dialect);
      addElements(out, "value", type.valueRequired, type.valueId, type.value, dialect);
      return;
    default:
      out.push({ ...base, ...primitiveElement(type, dialect) });
  }
}

function primitiveElement(type: ColumnType, dialect: Dialect): Omit<SchemaElement, "name"> {
  switch (type.type) {
    case "boolean":
      return { type: "BOOLEAN" };
    case "int":
      return { type: "INT32" };
    case "long":
      return { type: "INT64" };
    case "float":
      return { type: "FLOAT" };
    case "double":
      return { type: "DOUBLE" };
    case "date":
      return { type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } };
    case "time":
      return dialect === "delta"
        ? { type: "INT64" }
        : { type: "INT64", converted_type: "TIME_MICROS", logical_type: { type: "TIME", isAdjustedToUTC: false, unit: "MICROS" } };
    case "timestamp":
    case "timestamptz": {
      const utc = type.type === "timestamptz";
      return {
        type: "INT64",
        // The converted type means "adjusted to UTC", so only the zoned timestamp may carry it.
        ...(utc ? { converted_type: "TIMESTAMP_MICROS" as const } : {}),
        logical_type: { type: "TIMESTAMP", isAdjustedToUTC: utc, unit: "MICROS" },
      };
    }
    case "string":
      return { type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } };
    case "uuid":
      return dialect === "delta"
        ? { type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } }
        : { type: "FIXED_LEN_BYTE_ARRAY", type_length: 16, logical_type: { type: "UUID" } };
    case "binary":
      return { type: "BYTE_ARRAY" };
    case "fixed":
      return dialect === "delta" ? { type: "BYTE_ARRAY" } : { type: "FIXED_LEN_BYTE_ARRAY", type_length: type.length };
    case "decimal": {
      const { precision, scale } = type;
      const decimal = { converted_type: "DECIMAL" as const, precision, scale, logical_type: { type: "DECIMAL" as const, precision, scale } };
      if (precision <= 9) return { type: "INT32", ...decimal };
      if (precision <= 18) return { type: "INT64", ...decimal };
      return { type: "FIXED_LEN_BYTE_ARRAY", type_length: decimalBytes(precision), ...decimal };
    }
    default:
      throw new Error(`no Parquet type for ${type.type}`);
  }
}

/** The fewest bytes whose two's complement holds every `precision`-digit integer. */
export function decimalBytes(precision: number): number {
  const max = 10n ** BigInt(precision) - 1n;
  let bytes = 1;
  while (max >= 1n << BigInt(bytes * 8 - 1)) bytes++;
  return bytes;
}

/** Writes `rows` (canonical values, see columns.ts) with the columns `fields`. */
export function writeParquet(fields: Field[], rows: Row[], dialect: Dialect, metadata: Record<string, string> = {}): ParquetFile {
  const columnData = fields.map((field) => {
    const data = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) data[i] = rows[i]![field.name] ?? null;
    return { name: field.name, data };
  });
  const buffer = parquetWriteBuffer({
    columnData: columnData as Parameters<typeof parquetWriteBuffer>[0]["columnData"],
    schema: parquetSchema(fields, dialect),
    rowGroupSize: ROW_GROUP_ROWS,
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    createdBy: "tansu",
  });
  return { bytes: new Uint8Array(buffer), rows: rows.length };
}
