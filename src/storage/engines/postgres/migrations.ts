// Versioned schema of the postgres:// store. Applied versions are rows of
// tansu.schema_migrations; migrate() applies the missing ones in one transaction under an
// advisory lock, so brokers starting together apply each step exactly once and none of them
// sees a half-built schema. Append new steps; never edit one that has shipped.

import { StorageError } from "../../errors.ts";
import { FUNCTIONS } from "./functions.ts";
import { TABLES } from "./schema.ts";
import type { Db } from "./client.ts";
import { inTransaction } from "./transaction.ts";

/** Each step's SQL runs once, as one script, in the migration's transaction. */
export const migrations: ReadonlyArray<{ version: number; description: string; sql: string }> = [
  {
    version: 1,
    description: "topics, partition logs as batches and record rows, producers, offsets, CAS records, tansu.records, tansu.produce()",
    sql: TABLES + FUNCTIONS,
  },
];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1].version;

/** Key of the transaction-level advisory lock migrations hold ("tansu" in ASCII). */
const MIGRATION_LOCK = 500_069_495_669n;

/** The schema version of the database, 0 when tansu has never run there. */
export async function schemaVersion(sql: Db): Promise<number> {
  const [row] = await sql<{ version: number | null }[]>`
    SELECT CASE WHEN to_regclass('tansu.schema_migrations') IS NULL THEN 0 END AS version`;
  if (row.version === 0) return 0;
  const [applied] = await sql<{ version: number }[]>`SELECT coalesce(max(version), 0) AS version FROM tansu.schema_migrations`;
  return applied.version;
}

/**
 * Brings the schema up to LATEST_SCHEMA_VERSION. Returns the versions it applied (none when
 * the database was up to date).
 * @throws StorageError when the database was migrated by a newer tansu
 */
export async function migrate(sql: Db, database: string): Promise<number[]> {
  // Up to date already: the usual start, which needs neither the lock nor CREATE rights.
  const seen = await schemaVersion(sql);
  checkNotNewer(seen, database);
  if (seen === LATEST_SCHEMA_VERSION) return [];
  return inTransaction(sql, async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE SCHEMA IF NOT EXISTS tansu`;
    await tx`CREATE TABLE IF NOT EXISTS tansu.schema_migrations (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`;
    const current = await schemaVersion(tx);
    checkNotNewer(current, database);
    const pending = migrations.filter((m) => m.version > current);
    for (const migration of pending) {
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO tansu.schema_migrations (version, description) VALUES (${migration.version}, ${migration.description})`;
    }
    return pending.map((m) => m.version);
  });
}

function checkNotNewer(version: number, database: string): void {
  if (version > LATEST_SCHEMA_VERSION) {
    throw new StorageError(
      `postgres database ${database} has tansu schema version ${version}, newer than ${LATEST_SCHEMA_VERSION} known to this tansu: upgrade tansu`,
    );
  }
}
