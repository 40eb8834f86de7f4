// What group and transaction coordinators keep: committed consumer offsets, and records under
// compare-and-set. Each call is one statement, which PostgreSQL makes atomic on its own; a
// CAS version comes from a sequence, so a re-created key never reuses one.

import { decodeValue, encodeValue } from "../../record-codec.ts";
import type { CommittedOffset, TopicPartition, Versioned } from "../../storage.ts";
import type { Db } from "./client.ts";

interface OffsetRow {
  topic: string;
  partition: number;
  committed_offset: bigint;
  leader_epoch: number;
  metadata: string | null;
  commit_timestamp: bigint;
}

function committedOffsetOf(row: OffsetRow): CommittedOffset {
  return {
    topic: row.topic,
    partition: row.partition,
    offset: row.committed_offset,
    leaderEpoch: row.leader_epoch,
    metadata: row.metadata,
    commitTimestamp: row.commit_timestamp,
  };
}

/** Partitions as one jsonb parameter: [{"topic": ..., "partition": ...}]. */
function partitionsJson(partitions: TopicPartition[]) {
  return partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
}

export async function commitOffsets(sql: Db, group: string, offsets: CommittedOffset[]): Promise<void> {
  if (offsets.length === 0) return;
  const rows = offsets.map((o) => ({
    topic: o.topic,
    partition: o.partition,
    committed_offset: String(o.offset),
    leader_epoch: o.leaderEpoch,
    metadata: o.metadata,
    commit_timestamp: String(o.commitTimestamp),
  }));
  await sql`
    INSERT INTO tansu.consumer_offsets (group_id, topic, partition, committed_offset, leader_epoch, metadata, commit_timestamp)
    SELECT ${group}, o.* FROM jsonb_to_recordset(${sql.json(rows)}) AS o(
      topic text, partition integer, committed_offset bigint, leader_epoch integer, metadata text, commit_timestamp bigint)
    ON CONFLICT (group_id, topic, partition) DO UPDATE
      SET committed_offset = excluded.committed_offset, leader_epoch = excluded.leader_epoch,
          metadata = excluded.metadata, commit_timestamp = excluded.commit_timestamp`;
}

export async function fetchOffsets(sql: Db, group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
  const rows =
    partitions === undefined
      ? await sql<OffsetRow[]>`
          SELECT * FROM tansu.consumer_offsets WHERE group_id = ${group} ORDER BY topic COLLATE "C", partition`
      : await sql<OffsetRow[]>`
          SELECT o.* FROM tansu.consumer_offsets o
          JOIN jsonb_to_recordset(${sql.json(partitionsJson(partitions))}) AS w(topic text, partition integer)
            ON w.topic = o.topic AND w.partition = o.partition
          WHERE o.group_id = ${group} ORDER BY o.topic COLLATE "C", o.partition`;
  return rows.map(committedOffsetOf);
}

export async function deleteOffsets(sql: Db, group: string, partitions: TopicPartition[]): Promise<void> {
  if (partitions.length === 0) return;
  await sql`
    DELETE FROM tansu.consumer_offsets o
    USING jsonb_to_recordset(${sql.json(partitionsJson(partitions))}) AS w(topic text, partition integer)
    WHERE o.group_id = ${group} AND o.topic = w.topic AND o.partition = w.partition`;
}

interface CasRow {
  key: string;
  value: string;
  version: bigint;
}

export async function getRecord<T>(sql: Db, namespace: string, key: string): Promise<Versioned<T> | null> {
  const [row] = await sql<CasRow[]>`SELECT key, value, version FROM tansu.cas_records WHERE namespace = ${namespace} AND key = ${key}`;
  return row ? { value: decodeValue<T>(row.value), version: String(row.version) } : null;
}

export async function putRecord<T>(sql: Db, namespace: string, key: string, value: T, expected: string | null): Promise<string | null> {
  const text = encodeValue(value);
  const [row] =
    expected === null
      ? await sql<{ version: bigint }[]>`
          INSERT INTO tansu.cas_records (namespace, key, value, version)
          VALUES (${namespace}, ${key}, ${text}, nextval('tansu.cas_versions'))
          ON CONFLICT DO NOTHING RETURNING version`
      : await sql<{ version: bigint }[]>`
          UPDATE tansu.cas_records SET value = ${text}, version = nextval('tansu.cas_versions')
          WHERE namespace = ${namespace} AND key = ${key} AND version = ${versionNumber(expected)}
          RETURNING version`;
  return row ? String(row.version) : null;
}

export async function deleteRecord(sql: Db, namespace: string, key: string, expected: string): Promise<boolean> {
  const deleted = await sql`
    DELETE FROM tansu.cas_records WHERE namespace = ${namespace} AND key = ${key} AND version = ${versionNumber(expected)}`;
  return deleted.count === 1;
}

export async function listRecords<T>(sql: Db, namespace: string): Promise<Array<{ key: string } & Versioned<T>>> {
  const rows = await sql<CasRow[]>`SELECT key, value, version FROM tansu.cas_records WHERE namespace = ${namespace} ORDER BY key COLLATE "C"`;
  return rows.map((row) => ({ key: row.key, value: decodeValue<T>(row.value), version: String(row.version) }));
}

/** A version we never handed out (not a number) matches nothing. */
function versionNumber(version: string): bigint {
  return /^\d{1,18}$/.test(version) ? BigInt(version) : -1n;
}

export async function allocateProducerId(sql: Db): Promise<bigint> {
  const [row] = await sql<{ id: bigint }[]>`SELECT nextval('tansu.producer_ids') AS id`;
  return row.id;
}
