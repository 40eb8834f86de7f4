// Versioned schema of the SQLite store. The applied version lives in PRAGMA user_version;
// migrate() applies the missing steps in one IMMEDIATE transaction, so brokers starting
// together on one file apply each step exactly once. Append new steps; never edit one
// that has shipped.

import type { Database } from "bun:sqlite";
import { StorageError } from "../../errors.ts";

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: "topics, partition logs, producer state, consumer offsets, records, counters",
    sql: `
      -- topic_key is a compact, never reused surrogate for the UUID in every log row.
      CREATE TABLE topics (
        topic_key INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        partitions INTEGER NOT NULL,
        configs TEXT NOT NULL
      );

      CREATE TABLE partitions (
        topic_key INTEGER NOT NULL,
        partition_index INTEGER NOT NULL,
        log_start_offset INTEGER NOT NULL DEFAULT 0,
        high_watermark INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (topic_key, partition_index)
      ) WITHOUT ROWID;

      -- A rowid table: batches are mostly larger than WITHOUT ROWID tables handle well.
      -- bytes comes last so that reading the other columns never follows its overflow pages.
      CREATE TABLE batches (
        topic_key INTEGER NOT NULL,
        partition_index INTEGER NOT NULL,
        base_offset INTEGER NOT NULL,
        last_offset INTEGER NOT NULL,
        max_timestamp INTEGER NOT NULL,
        size INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (topic_key, partition_index, base_offset)
      );
      -- Fetch seeks the batch holding an offset by its last offset; summaries and timestamp
      -- lookups are answered from this index alone, without touching the blobs.
      CREATE INDEX batches_by_last_offset
        ON batches (topic_key, partition_index, last_offset, base_offset, max_timestamp, size);

      -- batches: the producer's recent batches (record-codec JSON) for duplicate detection.
      CREATE TABLE producers (
        topic_key INTEGER NOT NULL,
        partition_index INTEGER NOT NULL,
        producer_id INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        batches TEXT NOT NULL,
        txn_first_offset INTEGER,
        PRIMARY KEY (topic_key, partition_index, producer_id)
      ) WITHOUT ROWID;
      CREATE INDEX producers_open_transactions
        ON producers (topic_key, partition_index, txn_first_offset)
        WHERE txn_first_offset IS NOT NULL;

      CREATE TABLE aborted_transactions (
        topic_key INTEGER NOT NULL,
        partition_index INTEGER NOT NULL,
        last_offset INTEGER NOT NULL,
        producer_id INTEGER NOT NULL,
        first_offset INTEGER NOT NULL,
        PRIMARY KEY (topic_key, partition_index, last_offset)
      ) WITHOUT ROWID;

      -- Keyed by topic name, as OffsetCommit is; deleting a topic deletes its rows here.
      CREATE TABLE consumer_offsets (
        group_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        partition_index INTEGER NOT NULL,
        committed_offset INTEGER NOT NULL,
        leader_epoch INTEGER NOT NULL,
        metadata TEXT,
        commit_timestamp INTEGER NOT NULL,
        PRIMARY KEY (group_id, topic, partition_index)
      ) WITHOUT ROWID;
      CREATE INDEX consumer_offsets_by_topic ON consumer_offsets (topic);

      CREATE TABLE records (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (namespace, key)
      ) WITHOUT ROWID;

      -- Store-wide sequences: producer ids and record versions are never handed out twice.
      CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        next_value INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO counters (name, next_value) VALUES ('producer_id', 0), ('record_version', 1);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1].version;

export function schemaVersion(db: Database): number {
  const row = db.query<{ user_version: number | bigint }, []>("PRAGMA user_version").get();
  return Number(row?.user_version ?? 0);
}

/**
 * Brings the schema up to LATEST_SCHEMA_VERSION. Returns the versions it applied (none when
 * the file was up to date).
 * @throws StorageError when the file was written by a newer tansu
 */
export function migrate(db: Database): number[] {
  // The common case, a store already up to date, needs no write transaction: a version read
  // as current was committed. Anything else is decided again inside the transaction.
  if (schemaVersion(db) === LATEST_SCHEMA_VERSION) return [];
  return db
    .transaction(() => {
      const current = schemaVersion(db);
      if (current > LATEST_SCHEMA_VERSION) {
        throw new StorageError(
          `${db.filename} has schema version ${current}, newer than ${LATEST_SCHEMA_VERSION} known to this tansu`,
        );
      }
      const pending = migrations.filter((m) => m.version > current);
      for (const migration of pending) db.run(migration.sql);
      // PRAGMA takes no bound parameters; the value is our own integer.
      if (pending.length > 0) db.run(`PRAGMA user_version = ${LATEST_SCHEMA_VERSION}`);
      return pending.map((m) => m.version);
    })
    .immediate();
}
