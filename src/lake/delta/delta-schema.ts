// The column model in Delta's schema serialization (PROTOCOL.md, "Schema Serialization
// Format"), both ways. Delta has no uuid, time or fixed types: those columns are string, long
// and binary in Delta tables (parquet-file.ts writes them so), and deltaFields maps a schema to
// the types a Delta table holds before it is compared with one.

import { LakeSchemaError, primitive, type ColumnType, type Field } from "../columns.ts";

type DeltaType =
  | string
  | { type: "struct"; fields: DeltaField[] }
  | { type: "array"; elementType: DeltaType; containsNull: boolean }
  | { type: "map"; keyType: DeltaType; valueType: DeltaType; valueContainsNull: boolean };

interface DeltaField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

/** The same columns with the types a Delta table stores them as. */
export function deltaFields(fields: Field[]): Field[] {
  return fields.map((field) => ({ ...field, type: deltaColumnType(field.type) }));
}

function deltaColumnType(type: ColumnType): ColumnType {
  switch (type.type) {
    case "uuid":
      return primitive("string");
    case "time":
      return primitive("long");
    case "fixed":
      return primitive("binary");
    case "struct":
      return { type: "struct", fields: deltaFields(type.fields) };
    case "list":
      return { ...type, element: deltaColumnType(type.element) };
    case "map":
      return { ...type, key: deltaColumnType(type.key), value: deltaColumnType(type.value) };
    default:
      return type;
  }
}

export function schemaString(fields: Field[]): string {
  return JSON.stringify({ type: "struct", fields: fields.map(deltaField) });
}

function deltaField(field: Field): DeltaField {
  return { name: field.name, type: deltaType(field.type), nullable: !field.required, metadata: field.doc ? { comment: field.doc } : {} };
}

function deltaType(type: ColumnType): DeltaType {
  switch (type.type) {
    case "struct":
      return { type: "struct", fields: type.fields.map(deltaField) };
    case "list":
      return { type: "array", elementType: deltaType(type.element), containsNull: !type.elementRequired };
    case "map":
      return { type: "map", keyType: deltaType(type.key), valueType: deltaType(type.value), valueContainsNull: !type.valueRequired };
    case "int":
      return "integer";
    case "timestamptz":
      return "timestamp";
    case "timestamp":
      return "timestamp_ntz";
    case "decimal":
      return `decimal(${type.precision},${type.scale})`;
    case "uuid":
    case "time":
    case "fixed":
      throw new Error(`${type.type} must go through deltaFields first`);
    default:
      return type.type;
  }
}

/** Whether the schema needs the timestampNtz table feature. */
export function usesTimestampNtz(fields: Field[]): boolean {
  return schemaString(fields).includes('"timestamp_ntz"');
}

const PRIMITIVES: Record<string, ColumnType> = {
  string: primitive("string"),
  long: primitive("long"),
  integer: primitive("int"),
  short: primitive("int"),
  byte: primitive("int"),
  float: primitive("float"),
  double: primitive("double"),
  boolean: primitive("boolean"),
  binary: primitive("binary"),
  date: primitive("date"),
  timestamp: primitive("timestamptz"),
  timestamp_ntz: primitive("timestamp"),
};

/** The columns of a Delta schemaString (ids 0: Delta tables without column mapping have none). */
export function fieldsOfSchemaString(text: string): Field[] {
  return (JSON.parse(text) as { fields: DeltaField[] }).fields.map(fieldOfDelta);
}

function fieldOfDelta(field: DeltaField): Field {
  const comment = field.metadata?.comment;
  return { id: 0, name: field.name, required: !field.nullable, type: typeOfDelta(field.type), ...(typeof comment === "string" ? { doc: comment } : {}) };
}

function typeOfDelta(type: DeltaType): ColumnType {
  if (typeof type === "string") {
    const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
    if (decimal) return { type: "decimal", precision: Number(decimal[1]), scale: Number(decimal[2]) };
    const known = PRIMITIVES[type];
    if (!known) throw new LakeSchemaError(`Delta type ${type} is not one the lake writes`);
    return known;
  }
  switch (type.type) {
    case "struct":
      return { type: "struct", fields: type.fields.map(fieldOfDelta) };
    case "array":
      return { type: "list", elementId: 0, elementRequired: !type.containsNull, element: typeOfDelta(type.elementType) };
    default:
      return { type: "map", keyId: 0, key: typeOfDelta(type.keyType), valueId: 0, valueRequired: !type.valueContainsNull, value: typeOfDelta(type.valueType) };
  }
}
