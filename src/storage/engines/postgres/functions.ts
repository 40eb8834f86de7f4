// SQL functions of schema version 1: the engine's partition lock, Kafka's murmur2 partitioner
// and tansu.produce(), the way applications publish a record from inside their own transaction.
//
// tansu.produce() takes the partition's watermark row lock as the broker's appends do, so its
// offset is contiguous with theirs; the lock is held until the caller's transaction ends, which
// is what keeps a consumer from seeing offset N+1 before N is committed (and what makes other
// producers of that partition wait meanwhile). The NOTIFY it sends is delivered on commit only.

import type { TopicPartition } from "../../storage.ts";

/** Channel of the append notifications; the payload is partitionKey(). */
export const APPEND_CHANNEL = "tansu_appends";

/** "PARTITION:TOPIC": names a partition in notifications (tansu.produce() builds it too) and in the group commit. */
export function partitionKey(tp: TopicPartition): string {
  return `${tp.partition}:${tp.topic}`;
}

export function parsePartitionKey(key: string): TopicPartition | null {
  const colon = key.indexOf(":");
  const partition = Number(key.slice(0, colon));
  if (colon < 1 || !Number.isInteger(partition)) return null;
  return { topic: key.slice(colon + 1), partition };
}

/** Leader epoch stamped into batches; the broker's LEADER_EPOCH. */
const LEADER_EPOCH = 0;

export const FUNCTIONS = `
  -- Locks the watermark row of a partition for the rest of the transaction and returns it with
  -- the state of the given producers. The producers are read by a second statement, so with a
  -- fresh snapshot: they are as the previous holder of the lock committed them.
  CREATE FUNCTION tansu.lock_partition(p_topic text, p_partition integer, p_producer_ids bigint[])
  RETURNS TABLE (topic_key integer, log_start_offset bigint, high_watermark bigint,
                 producer_id bigint, epoch smallint, batches text, txn_first_offset bigint)
  LANGUAGE plpgsql VOLATILE AS $fn$
  #variable_conflict use_column
  DECLARE
    locked tansu.partitions%ROWTYPE;
  BEGIN
    SELECT p.* INTO locked FROM tansu.partitions p JOIN tansu.topics t ON t.topic_key = p.topic_key
      WHERE t.name = p_topic AND p.partition = p_partition
      FOR UPDATE OF p;
    IF NOT FOUND THEN
      RETURN;
    END IF;
    RETURN QUERY
      SELECT locked.topic_key, locked.log_start_offset, locked.high_watermark,
             pr.producer_id, pr.epoch, pr.batches, pr.txn_first_offset
      FROM (SELECT 1) AS one
      LEFT JOIN tansu.producers pr
        ON pr.topic_key = locked.topic_key AND pr.partition = p_partition AND pr.producer_id = ANY (p_producer_ids);
  END
  $fn$;

  -- Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2, librdkafka's rd_murmur2), as a
  -- signed 32-bit integer. Unsigned 32-bit arithmetic is done in bigint and masked.
  CREATE FUNCTION tansu.murmur2(data bytea) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  DECLARE
    m constant bigint := 1540483477;
    mask constant bigint := 4294967295;
    len constant integer := length(data);
    h bigint := 2538058380 # length(data);
    k bigint;
    i integer := 0;
    tail integer;
  BEGIN
    WHILE i + 4 <= len LOOP
      k := get_byte(data, i)::bigint | (get_byte(data, i + 1)::bigint << 8)
         | (get_byte(data, i + 2)::bigint << 16) | (get_byte(data, i + 3)::bigint << 24);
      k := (k * m) & mask;
      k := k # (k >> 24);
      k := (k * m) & mask;
      h := ((h * m) & mask) # k;
      i := i + 4;
    END LOOP;
    tail := len - i;
    IF tail = 3 THEN h := h # (get_byte(data, i + 2)::bigint << 16); END IF;
    IF tail >= 2 THEN h := h # (get_byte(data, i + 1)::bigint << 8); END IF;
    IF tail >= 1 THEN h := ((h # get_byte(data, i)::bigint) * m) & mask; END IF;
    h := h # (h >> 13);
    h := (h * m) & mask;
    h := h # (h >> 15);
    RETURN (CASE WHEN h >= 2147483648 THEN h - 4294967296 ELSE h END)::integer;
  END
  $fn$;

  -- Bytes of a non-negative integer as a Kafka zigzag varint.
  CREATE FUNCTION tansu.varint_size(n integer) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
    SELECT CASE WHEN n < 64 THEN 1 WHEN n < 8192 THEN 2 WHEN n < 1048576 THEN 3 WHEN n < 134217728 THEN 4 ELSE 5 END
  $fn$;

  -- Bytes of a length-prefixed field of a record (null is the varint -1, one byte).
  CREATE FUNCTION tansu.field_size(b bytea) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE WHEN b IS NULL THEN 1 ELSE tansu.varint_size(length(b)) + length(b) END
  $fn$;

  -- Checks headers given to tansu.produce() and returns the bytes they take in a record.
  CREATE FUNCTION tansu.headers_size(headers jsonb) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE AS $fn$
  DECLARE
    header jsonb;
    n integer := 0;
    value bytea;
    total integer;
  BEGIN
    IF headers IS NULL THEN
      RETURN 1;
    END IF;
    IF jsonb_typeof(headers) <> 'array' THEN
      RAISE EXCEPTION 'tansu.produce: headers must be a JSON array of {"key": text, "value": base64 text or null}, not %', headers
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    total := tansu.varint_size(jsonb_array_length(headers));
    FOR header IN SELECT jsonb_array_elements(headers) LOOP
      IF jsonb_typeof(header) IS DISTINCT FROM 'object' OR jsonb_typeof(header -> 'key') IS DISTINCT FROM 'string'
         OR coalesce(jsonb_typeof(header -> 'value'), 'null') NOT IN ('string', 'null')
         OR (header - 'key' - 'value') <> '{}'::jsonb THEN
        RAISE EXCEPTION 'tansu.produce: header % must be {"key": text, "value": base64 text or null}, not %', n, header
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      value := NULL;
      IF jsonb_typeof(header -> 'value') = 'string' THEN
        BEGIN
          value := decode(header ->> 'value', 'base64');
        EXCEPTION WHEN invalid_parameter_value THEN
          RAISE EXCEPTION 'tansu.produce: header % ("%") has a value that is not base64: %', n, header ->> 'key', header ->> 'value'
            USING ERRCODE = 'invalid_parameter_value';
        END;
      END IF;
      total := total + tansu.field_size(convert_to(header ->> 'key', 'UTF8')) + tansu.field_size(value);
      n := n + 1;
    END LOOP;
    RETURN total;
  END
  $fn$;

  -- Appends one record to a topic within the caller's transaction and returns its offset.
  -- partition NULL: murmur2 of the key modulo the partition count, as Kafka's Java producer and
  -- librdkafka's murmur2_random place a keyed record; a random partition for a keyless one.
  CREATE FUNCTION tansu.produce(topic text, key bytea, value bytea, headers jsonb DEFAULT NULL, partition integer DEFAULT NULL)
  RETURNS bigint
  LANGUAGE plpgsql VOLATILE AS $fn$
  DECLARE
    target tansu.topics%ROWTYPE;
    chosen integer;
    assigned bigint;
    now_ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000);
    body integer;
    stored_headers jsonb := CASE WHEN produce.headers = '[]'::jsonb THEN NULL ELSE produce.headers END;
  BEGIN
    IF produce.topic IS NULL THEN
      RAISE EXCEPTION 'tansu.produce: topic must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT t.* INTO target FROM tansu.topics t WHERE t.name = produce.topic;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'tansu.produce: unknown topic "%"', produce.topic
        USING ERRCODE = 'undefined_object', HINT = 'Create the topic first, e.g. with tansu topic create.';
    END IF;
    IF produce.partition IS NULL THEN
      chosen := CASE WHEN produce.key IS NULL THEN floor(random() * target.partitions)::integer
                     ELSE (tansu.murmur2(produce.key) & 2147483647) % target.partitions END;
    ELSIF produce.partition < 0 OR produce.partition >= target.partitions THEN
      RAISE EXCEPTION 'tansu.produce: partition % of topic "%" is out of range: it has % partitions (0 to %)',
        produce.partition, produce.topic, target.partitions, target.partitions - 1
        USING ERRCODE = 'invalid_parameter_value';
    ELSE
      chosen := produce.partition;
    END IF;
    IF produce.key IS NULL AND coalesce(target.configs ->> 'cleanup.policy', '') LIKE '%compact%' THEN
      RAISE EXCEPTION 'tansu.produce: topic "%" is compacted and needs a key', produce.topic
        USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- attributes, timestamp delta, offset delta, key, value, headers
    body := 3 + tansu.field_size(produce.key) + tansu.field_size(produce.value) + tansu.headers_size(stored_headers);

    UPDATE tansu.partitions p SET high_watermark = p.high_watermark + 1
      WHERE p.topic_key = target.topic_key AND p.partition = chosen
      RETURNING p.high_watermark - 1 INTO assigned;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'tansu.produce: topic "%" was deleted', produce.topic USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO tansu.batches (topic_key, partition, base_offset, last_offset, record_count, attributes,
        partition_leader_epoch, base_timestamp, encoded_max_timestamp, max_timestamp, producer_id, producer_epoch,
        base_sequence, size_bytes, control_records)
      VALUES (target.topic_key, chosen, assigned, assigned, 1,
        CASE WHEN target.configs ->> 'message.timestamp.type' = 'LogAppendTime' THEN 8 ELSE 0 END,
        ${LEADER_EPOCH}, now_ms, now_ms, now_ms, -1, -1, -1, 61 + tansu.varint_size(body) + body, NULL);
    INSERT INTO tansu.batch_records (topic_key, partition, offset_id, timestamp_ms, key, value, headers)
      VALUES (target.topic_key, chosen, assigned, now_ms, produce.key, produce.value, stored_headers);
    PERFORM pg_notify('${APPEND_CHANNEL}', chosen || ':' || target.name);
    RETURN assigned;
  END
  $fn$;
`;
