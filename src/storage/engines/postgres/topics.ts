// Topics: tansu.topics plus one watermark row per partition in tansu.partitions.

import { InvalidPartitionsError, TopicExistsError, UnknownTopicError } from "../../errors.ts";
import type { NewTopic, Topic, Uuid } from "../../storage.ts";
import type { Db } from "./client.ts";
import { inTransaction } from "./transaction.ts";

interface TopicRow {
  topic_key: number;
  id: string;
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

function topicOf(row: TopicRow): Topic {
  return { name: row.name, id: row.id, partitions: row.partitions, configs: { ...row.configs } };
}

export async function createTopic(sql: Db, topic: NewTopic): Promise<Topic> {
  if (!Number.isInteger(topic.partitions) || topic.partitions < 1) {
    throw new InvalidPartitionsError(`topic ${topic.name}: ${topic.partitions} partitions`);
  }
  const id = topic.id ?? crypto.randomUUID();
  // One statement: the topic and its partitions appear together, or (name or id taken) neither does.
  const created = await sql`
    WITH t AS (
      INSERT INTO tansu.topics (id, name, partitions, configs)
      VALUES (${id}, ${topic.name}, ${topic.partitions}, ${sql.json(topic.configs)})
      ON CONFLICT DO NOTHING
      RETURNING topic_key)
    INSERT INTO tansu.partitions (topic_key, partition)
    SELECT t.topic_key, g FROM t, generate_series(0, ${topic.partitions - 1}::integer) AS g
    RETURNING topic_key`;
  if (created.length === 0) throw new TopicExistsError(`topic ${topic.name} or topic id ${id} already exists`);
  return { name: topic.name, id, partitions: topic.partitions, configs: { ...topic.configs } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getTopic(sql: Db, by: { name: string } | { id: Uuid }): Promise<Topic | null> {
  if ("id" in by && !UUID.test(by.id)) return null;
  const [row] =
    "name" in by
      ? await sql<TopicRow[]>`SELECT * FROM tansu.topics WHERE name = ${by.name}`
      : await sql<TopicRow[]>`SELECT * FROM tansu.topics WHERE id = ${by.id}::uuid`;
  return row ? topicOf(row) : null;
}

export async function listTopics(sql: Db): Promise<Topic[]> {
  return (await sql<TopicRow[]>`SELECT * FROM tansu.topics ORDER BY name COLLATE "C"`).map(topicOf);
}

/**
 * Deletes the topic with every row of it. Its partition rows are locked first, so appends
 * in flight (the broker's, or tansu.produce() in an open transaction) commit before; the
 * deletes then run as a new statement, whose snapshot has their rows.
 */
export async function deleteTopic(sql: Db, by: { name: string } | { id: Uuid }): Promise<Topic | null> {
  if ("id" in by && !UUID.test(by.id)) return null;
  return inTransaction(sql, async (tx) => {
    const [row] =
      "name" in by
        ? await tx<TopicRow[]>`SELECT * FROM tansu.topics WHERE name = ${by.name} FOR UPDATE`
        : await tx<TopicRow[]>`SELECT * FROM tansu.topics WHERE id = ${by.id}::uuid FOR UPDATE`;
    if (!row) return null;
    const key = row.topic_key;
    await tx`SELECT 1 FROM tansu.partitions WHERE topic_key = ${key} FOR UPDATE`;
    await tx`
      WITH records AS (DELETE FROM tansu.batch_records WHERE topic_key = ${key}),
           batches AS (DELETE FROM tansu.batches WHERE topic_key = ${key}),
           producers AS (DELETE FROM tansu.producers WHERE topic_key = ${key}),
           aborted AS (DELETE FROM tansu.aborted_transactions WHERE topic_key = ${key}),
           offsets AS (DELETE FROM tansu.consumer_offsets WHERE topic = ${row.name}),
           partitions AS (DELETE FROM tansu.partitions WHERE topic_key = ${key})
      DELETE FROM tansu.topics WHERE topic_key = ${key}`;
    return topicOf(row);
  });
}

export async function createPartitions(sql: Db, name: string, count: number): Promise<Topic> {
  return inTransaction(sql, async (tx) => {
    const [row] = await tx<TopicRow[]>`SELECT * FROM tansu.topics WHERE name = ${name} FOR UPDATE`;
    if (!row) throw new UnknownTopicError(`unknown topic ${name}`);
    if (!Number.isInteger(count) || count <= row.partitions) {
      throw new InvalidPartitionsError(`topic ${name} has ${row.partitions} partitions, cannot change to ${count}`);
    }
    await tx`
      WITH added AS (
        INSERT INTO tansu.partitions (topic_key, partition)
        SELECT ${row.topic_key}, g FROM generate_series(${row.partitions}::integer, ${count - 1}::integer) AS g)
      UPDATE tansu.topics SET partitions = ${count} WHERE topic_key = ${row.topic_key}`;
    return { ...topicOf(row), partitions: count };
  });
}

export async function setTopicConfigs(sql: Db, name: string, configs: Record<string, string>): Promise<Topic> {
  const [row] = await sql<TopicRow[]>`
    UPDATE tansu.topics SET configs = ${sql.json(configs)} WHERE name = ${name} RETURNING *`;
  if (!row) throw new UnknownTopicError(`unknown topic ${name}`);
  return topicOf(row);
}
