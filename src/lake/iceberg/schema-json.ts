// The column model in Iceberg's JSON serialization (spec, Appendix C), both ways: schemas for
// table metadata, manifests and the `iceberg.schema` key of data files, and back from the
// metadata of a table someone else may have created.

import { LakeSchemaError, typeName, type ColumnType, type Field, type PrimitiveName } from "../columns.ts";

export interface IcebergSchema {
  type: "struct";
  "schema-id": number;
  fields: IcebergField[];
}

interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

type IcebergType =
  | string
  | { type: "struct"; fields: IcebergField[] }
  | { type: "list"; "element-id": number; "element-required": boolean; element: IcebergType }
  | { type: "map"; "key-id": number; key: IcebergType; "value-id": number; "value-required": boolean; value: IcebergType };

export function icebergSchema(fields: Field[], schemaId: number): IcebergSchema {
  return { type: "struct", "schema-id": schemaId, fields: fields.map(icebergField) };
}

function icebergField(field: Field): IcebergField {
  return {
    id: field.id,
    name: field.name,
    required: field.required,
    type: icebergType(field.type),
    ...(field.doc ? { doc: field.doc } : {}),
  };
}

function icebergType(type: ColumnType): IcebergType {
  switch (type.type) {
    case "struct":
      return { type: "struct", fields: type.fields.map(icebergField) };
    case "list":
      return { type: "list", "element-id": type.elementId, "element-required": type.elementRequired, element: icebergType(type.element) };
    case "map":
      return {
        type: "map",
        "key-id": type.keyId,
        key: icebergType(type.key),
        "value-id": type.valueId,
        "value-required": type.valueRequired,
        value: icebergType(type.value),
      };
    default:
      return typeName(type);
  }
}

const PRIMITIVES = new Set<string>(["boolean", "int", "long", "float", "double", "date", "time", "timestamp", "timestamptz", "string", "uuid", "binary"]);

/** @throws LakeSchemaError for a type the lake does not write (variant, geometry, v3 types) */
export function fieldsOfIceberg(schema: { fields: IcebergField[] }): Field[] {
  return schema.fields.map(fieldOfIceberg);
}

function fieldOfIceberg(field: IcebergField): Field {
  return { id: field.id, name: field.name, required: field.required, type: typeOfIceberg(field.type), ...(field.doc ? { doc: field.doc } : {}) };
}

function typeOfIceberg(type: IcebergType): ColumnType {
  if (typeof type === "string") {
    const compact = type.replaceAll(" ", "");
    if (PRIMITIVES.has(compact)) return { type: compact as PrimitiveName };
    const decimal = /^decimal\((\d+),(\d+)\)$/.exec(compact);
    if (decimal) return { type: "decimal", precision: Number(decimal[1]), scale: Number(decimal[2]) };
    const fixed = /^fixed\[(\d+)\]$/.exec(compact);
    if (fixed) return { type: "fixed", length: Number(fixed[1]) };
    throw new LakeSchemaError(`Iceberg type ${type} is not one the lake writes`);
  }
  switch (type.type) {
    case "struct":
      return { type: "struct", fields: type.fields.map(fieldOfIceberg) };
    case "list":
      return { type: "list", elementId: type["element-id"], elementRequired: type["element-required"], element: typeOfIceberg(type.element) };
    default:
      return {
        type: "map",
        keyId: type["key-id"],
        key: typeOfIceberg(type.key),
        valueId: type["value-id"],
        valueRequired: type["value-required"],
        value: typeOfIceberg(type.value),
      };
  }
}
