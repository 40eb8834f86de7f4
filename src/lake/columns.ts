// The column model every table format is written from: Iceberg's type system (the richest
// of the three formats), with field ids on every struct field, list element and map key/value.
// Schema mappers (avro-columns.ts, json-schema-columns.ts, protobuf-columns.ts) build it with
// ids 0; reconcileFields gives them the table's ids, fresh ones for new fields.
//
// Row values are held in one canonical form per type, which the Parquet writer, partition
// transforms and statistics all read:
//   boolean → boolean; int, date (days since 1970-01-01) → number; long → bigint;
//   time (µs since midnight), timestamp / timestamptz (µs since the epoch) → bigint;
//   float, double → number; decimal → bigint (the unscaled value); string, uuid → string;
//   fixed, binary → Uint8Array; struct → object keyed by field name; list → array;
//   map → array of { key, value }. Absent values are null.

export type PrimitiveName =
  | "boolean"
  | "int"
  | "long"
  | "float"
  | "double"
  | "date"
  | "time"
  | "timestamp"
  | "timestamptz"
  | "string"
  | "uuid"
  | "binary";

export type ColumnType =
  | { type: PrimitiveName }
  | { type: "decimal"; precision: number; scale: number }
  | { type: "fixed"; length: number }
  | StructType
  | { type: "list"; elementId: number; elementRequired: boolean; element: ColumnType }
  | { type: "map"; keyId: number; key: ColumnType; valueId: number; valueRequired: boolean; value: ColumnType };

export interface StructType {
  type: "struct";
  fields: Field[];
}

export interface Field {
  id: number;
  name: string;
  required: boolean;
  type: ColumnType;
  doc?: string;
}

/** A schema the lake cannot turn into columns, or a change a table cannot take. */
export class LakeSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LakeSchemaError";
  }
}

export const primitive = (type: PrimitiveName): ColumnType => ({ type });

export function isPrimitive(type: ColumnType): boolean {
  return type.type !== "struct" && type.type !== "list" && type.type !== "map";
}

/** Iceberg's name for a primitive type, used in messages and in comparisons. */
export function typeName(type: ColumnType): string {
  switch (type.type) {
    case "decimal":
      return `decimal(${type.precision},${type.scale})`;
    case "fixed":
      return `fixed[${type.length}]`;
    default:
      return type.type;
  }
}

export interface Reconciled {
  /** The table's fields after taking the incoming ones: existing fields first, new ones appended. */
  table: Field[];
  /** The incoming fields carrying the table's ids: the schema one data file is written with. */
  incoming: Field[];
  lastColumnId: number;
  /** Whether `table` differs from the table's fields before (a new schema version). */
  changed: boolean;
}

/**
 * Matches `incoming` (ids 0) against the table's current fields by name, recursively. A field
 * the table has keeps its id; a new one gets the next id above `lastColumnId` and is added to
 * the table as optional (rows written before it have no value); a table field the incoming
 * schema lacks becomes optional for the same reason. With no table yet (`table` null) the
 * incoming fields become the table as they are.
 * @throws LakeSchemaError when a field changes type
 */
export function reconcileFields(table: Field[] | null, incoming: Field[], lastColumnId: number): Reconciled {
  const ids = { last: lastColumnId };
  const state = { changed: table === null };
  const merged = mergeStruct(table, incoming, ids, state, "");
  return { table: merged.table, incoming: merged.incoming, lastColumnId: ids.last, changed: state.changed };
}

interface Ids {
  last: number;
}

function mergeStruct(
  table: Field[] | null,
  incoming: Field[],
  ids: Ids,
  state: { changed: boolean },
  path: string,
): { table: Field[]; incoming: Field[] } {
  const byName = new Map((table ?? []).map((field) => [field.name, field]));
  const incomingNames = new Set(incoming.map((field) => field.name));
  const withIds: Field[] = [];
  const added: Field[] = [];
  const mergedExisting = new Map<string, Field>();
  for (const field of incoming) {
    const existing = byName.get(field.name);
    const fieldPath = path ? `${path}.${field.name}` : field.name;
    if (existing) {
      const merged = mergeType(existing.type, field.type, ids, state, fieldPath);
      const required = existing.required && field.required;
      if (required !== existing.required) state.changed = true;
      mergedExisting.set(field.name, { ...existing, required, type: merged.table });
      withIds.push({ ...field, id: existing.id, type: merged.incoming });
    } else {
      const id = ++ids.last;
      const type = assignIds(field.type, ids);
      withIds.push({ ...field, id, type });
      // A table that has rows already cannot gain a column every row must have.
      added.push({ ...field, id, type, required: table === null ? field.required : false });
      if (table !== null) state.changed = true;
    }
  }
  const kept = (table ?? []).map((field) => {
    const merged = mergedExisting.get(field.name);
    if (merged) return merged;
    if (!incomingNames.has(field.name) && field.required) {
      state.changed = true;
      return { ...field, required: false };
    }
    return field;
  });
  return { table: [...kept, ...added], incoming: withIds };
}

function mergeType(
  table: ColumnType,
  incoming: ColumnType,
  ids: Ids,
  state: { changed: boolean },
  path: string,
): { table: ColumnType; incoming: ColumnType } {
  if (table.type === "struct" && incoming.type === "struct") {
    const merged = mergeStruct(table.fields, incoming.fields, ids, state, path);
    return { table: { type: "struct", fields: merged.table }, incoming: { type: "struct", fields: merged.incoming } };
  }
  if (table.type === "list" && incoming.type === "list") {
    const element = mergeType(table.element, incoming.element, ids, state, `${path}.element`);
    const elementRequired = table.elementRequired && incoming.elementRequired;
    if (elementRequired !== table.elementRequired) state.changed = true;
    return {
      table: { ...table, elementRequired, element: element.table },
      incoming: { ...incoming, elementId: table.elementId, element: element.incoming },
    };
  }
  if (table.type === "map" && incoming.type === "map") {
    const key = mergeType(table.key, incoming.key, ids, state, `${path}.key`);
    const value = mergeType(table.value, incoming.value, ids, state, `${path}.value`);
    const valueRequired = table.valueRequired && incoming.valueRequired;
    if (valueRequired !== table.valueRequired) state.changed = true;
    return {
      table: { ...table, valueRequired, key: key.table, value: value.table },
      incoming: { ...incoming, keyId: table.keyId, valueId: table.valueId, key: key.incoming, value: value.incoming },
    };
  }
  if (isPrimitive(table) && isPrimitive(incoming) && typeName(table) === typeName(incoming)) {
    return { table, incoming };
  }
  throw new LakeSchemaError(
    `column ${path} changes type from ${describeType(table)} to ${describeType(incoming)}; a table column keeps its type`,
  );
}

function describeType(type: ColumnType): string {
  return isPrimitive(type) ? typeName(type) : type.type;
}

/** Gives every id-bearing position in `type` a fresh id. */
function assignIds(type: ColumnType, ids: Ids): ColumnType {
  switch (type.type) {
    case "struct":
      return {
        type: "struct",
        fields: type.fields.map((field) => {
          const id = ++ids.last;
          return { ...field, id, type: assignIds(field.type, ids) };
        }),
      };
    case "list": {
      const elementId = ++ids.last;
      return { ...type, elementId, element: assignIds(type.element, ids) };
    }
    case "map": {
      const keyId = ++ids.last;
      const valueId = ++ids.last;
      return { ...type, keyId, valueId, key: assignIds(type.key, ids), value: assignIds(type.value, ids) };
    }
    default:
      return type;
  }
}

/** The highest id used anywhere in `fields`. */
export function maxFieldId(fields: Field[]): number {
  let max = 0;
  const visit = (type: ColumnType): void => {
    if (type.type === "struct") for (const field of type.fields) visitField(field);
    else if (type.type === "list") {
      max = Math.max(max, type.elementId);
      visit(type.element);
    } else if (type.type === "map") {
      max = Math.max(max, type.keyId, type.valueId);
      visit(type.key);
      visit(type.value);
    }
  };
  const visitField = (field: Field): void => {
    max = Math.max(max, field.id);
    visit(field.type);
  };
  for (const field of fields) visitField(field);
  return max;
}
