// What every table format implements, and what they share: rows grouped into data files by
// schema and partition value, and the commit retry policy.

import { covered, type Runs } from "./offsets.ts";
import { partitionValue, type PartitionField } from "./partitioning.ts";
import type { Row, TableSchema } from "./table-schema.ts";

export interface PendingRow {
  row: Row;
  partition: number;
  offset: bigint;
}

/** Rows converted with one table schema (one topic schema version). */
export interface SchemaBatch {
  schema: TableSchema;
  rows: PendingRow[];
}

export interface TableWriter {
  /** Writes the rows as data files and commits them as one table version; resolves once committed. */
  commit(batches: SchemaBatch[]): Promise<void>;
  /** The Kafka offsets the table holds, per partition, as of its latest version (re-read from the table). */
  written(): Promise<Runs>;
}

/** A table whose commits keep losing is contended beyond reason, or something is broken. */
export const MAX_COMMIT_ATTEMPTS = 50;

/** Waits a random 5–50 ms times the attempt number, so racing writers spread out. */
export function backoff(attempt: number): Promise<void> {
  return Bun.sleep(attempt * (5 + Math.random() * 45));
}

export class CommitConflictError extends Error {
  constructor(table: string) {
    super(`${table}: ${MAX_COMMIT_ATTEMPTS} commit attempts lost to other writers`);
    this.name = "CommitConflictError";
  }
}

/** The batches without the rows the table already holds (`written`); null when there are none such. */
export function withoutWritten(batches: SchemaBatch[], written: Runs): SchemaBatch[] | null {
  if (written.size === 0) return null;
  let dropped = false;
  const kept = batches.map((batch) => {
    const rows = batch.rows.filter((pending) => !covered(written, pending.partition, pending.offset));
    if (rows.length !== batch.rows.length) dropped = true;
    return { schema: batch.schema, rows };
  });
  return dropped ? kept.filter((batch) => batch.rows.length > 0) : null;
}

export interface PartitionGroup {
  values: unknown[];
  rows: Row[];
}

/** Rows split by their partition values (one group when the table is unpartitioned). */
export function groupByPartition(rows: PendingRow[], fields: PartitionField[]): PartitionGroup[] {
  if (fields.length === 0) return [{ values: [], rows: rows.map((pending) => pending.row) }];
  const groups = new Map<string, PartitionGroup>();
  for (const { row } of rows) {
    const values = fields.map((field) => partitionValue(field, row));
    const key = JSON.stringify(values, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { values, rows: [] }));
    group.rows.push(row);
  }
  return [...groups.values()];
}
