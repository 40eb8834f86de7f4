// Tables and the records view of schema version 1. Everything lives in the `tansu` schema.
//
// A partition's log is two tables: `batches` keeps the framing of every record batch (offsets,
// attributes, producer, timestamps: what a fetch needs to rebuild the batch) and
// `batch_records` keeps one row per record (key, value, headers). Records are stored
// uncompressed, so SQL reads them directly; fetch rebuilds uncompressed batches from the rows.
// Neither table has foreign keys: a per-row trigger would cost the COPY of every produce more
// than the whole index upkeep, and the engine deletes a topic's rows itself.

export const TABLES = `
  CREATE TABLE tansu.topics (
    topic_key integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    name text NOT NULL UNIQUE,
    partitions integer NOT NULL CHECK (partitions > 0),
    configs jsonb NOT NULL
  );

  -- One row per partition, the watermark row: appends lock it to assign offsets.
  CREATE TABLE tansu.partitions (
    topic_key integer NOT NULL,
    partition integer NOT NULL,
    log_start_offset bigint NOT NULL DEFAULT 0,
    high_watermark bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (topic_key, partition)
  );

  CREATE TABLE tansu.batches (
    topic_key integer NOT NULL,
    partition integer NOT NULL,
    base_offset bigint NOT NULL,
    -- base_offset + lastOffsetDelta
    last_offset bigint NOT NULL,
    record_count integer NOT NULL,
    -- The batch's attributes without its compression codec: rows hold records uncompressed.
    attributes smallint NOT NULL,
    partition_leader_epoch integer NOT NULL,
    base_timestamp bigint NOT NULL,
    -- As the batch header says it ...
    encoded_max_timestamp bigint NOT NULL,
    -- ... and as retention and ListOffsets see it (the arrival time for a batch without timestamps).
    max_timestamp bigint NOT NULL,
    producer_id bigint NOT NULL,
    producer_epoch smallint NOT NULL,
    base_sequence integer NOT NULL,
    -- Size of the batch a fetch rebuilds.
    size_bytes integer NOT NULL,
    -- Control batches (transaction markers) keep their records here, not in batch_records.
    control_records text,
    PRIMARY KEY (topic_key, partition, base_offset)
  );

  -- Kafka timestamps are milliseconds; a record of a LogAppendTime batch has the batch's time.
  CREATE TABLE tansu.batch_records (
    topic_key integer NOT NULL,
    partition integer NOT NULL,
    offset_id bigint NOT NULL,
    timestamp_ms bigint NOT NULL,
    key bytea,
    value bytea,
    -- [{"key": text, "value": base64 text or null}, ...] in record order; NULL when there are none.
    headers jsonb,
    PRIMARY KEY (topic_key, partition, offset_id)
  );

  -- Idempotent producers: epoch, the last five batches (record-codec JSON), open transaction.
  CREATE TABLE tansu.producers (
    topic_key integer NOT NULL,
    partition integer NOT NULL,
    producer_id bigint NOT NULL,
    epoch smallint NOT NULL,
    batches text NOT NULL,
    txn_first_offset bigint,
    PRIMARY KEY (topic_key, partition, producer_id)
  );
  CREATE INDEX producers_open_transactions ON tansu.producers (topic_key, partition, txn_first_offset)
    WHERE txn_first_offset IS NOT NULL;

  CREATE TABLE tansu.aborted_transactions (
    topic_key integer NOT NULL,
    partition integer NOT NULL,
    last_offset bigint NOT NULL,
    producer_id bigint NOT NULL,
    first_offset bigint NOT NULL,
    PRIMARY KEY (topic_key, partition, last_offset)
  );

  -- Keyed by topic name, as OffsetCommit is.
  CREATE TABLE tansu.consumer_offsets (
    group_id text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    committed_offset bigint NOT NULL,
    leader_epoch integer NOT NULL,
    metadata text,
    commit_timestamp bigint NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
  );
  CREATE INDEX consumer_offsets_by_topic ON tansu.consumer_offsets (topic);

  -- Group and transaction coordinator state under compare-and-set.
  CREATE TABLE tansu.cas_records (
    namespace text NOT NULL,
    key text NOT NULL,
    value text NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (namespace, key)
  );

  CREATE SEQUENCE tansu.producer_ids MINVALUE 0 START 0;
  CREATE SEQUENCE tansu.cas_versions START 1;

  -- Every record of every topic, as a read_uncommitted consumer would see it (control records
  -- are not records; records below the log start are gone). Header values are base64.
  CREATE VIEW tansu.records AS
    SELECT t.name AS topic,
           r.partition,
           r.offset_id,
           CASE WHEN r.timestamp_ms BETWEEN -62135596800000 AND 253402300799999 AND r.timestamp_ms <> -1
                THEN timestamptz 'epoch' + r.timestamp_ms * interval '1 millisecond' END AS record_timestamp,
           r.key,
           r.value,
           coalesce(r.headers, '[]'::jsonb) AS headers
    FROM tansu.batch_records r
    JOIN tansu.topics t ON t.topic_key = r.topic_key
    JOIN tansu.partitions p ON p.topic_key = r.topic_key AND p.partition = r.partition
    WHERE r.offset_id >= p.log_start_offset;
`;
