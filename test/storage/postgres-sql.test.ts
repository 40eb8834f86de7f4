// The database as a way in and out of the log: the tansu.records view over what Kafka
// clients produced, and tansu.produce() inside an application's own transaction.
import { beforeEach, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { decodeRecordBatch, encodeRecordBatch, Compression, type RecordInput } from "../../src/protocol/record-batch.ts";
import { PostgresStorage } from "../../src/storage/engines/postgres/postgres-storage.ts";
import type { AppendBatch, TopicPartition } from "../../src/storage/storage.ts";
import { usePostgresDatabases } from "./postgres-fixtures.ts";
import { KAFKA_MURMUR2_VECTORS } from "../harness/murmur2-vectors.ts";

const databases = usePostgresDatabases();

let store: PostgresStorage;
let sql: postgres.Sql;
beforeEach(async () => {
  const url = await databases().fresh();
  store = await PostgresStorage.open(url);
  sql = postgres(url, { max: 4, onnotice: () => {} });
  return async () => {
    await sql.end();
    await store.close();
  };
});

const text = (s: string) => new TextEncoder().encode(s);
const tp: TopicPartition = { topic: "orders", partition: 0 };

/** A batch as a Kafka client sends it, with the fields produce hands to the store. */
function clientBatch(records: RecordInput[], options: { compression?: number; logAppendTime?: bigint; baseTimestamp?: bigint } = {}): AppendBatch {
  const baseTimestamp = options.baseTimestamp ?? 1_700_000_000_000n;
  const bytes = encodeRecordBatch({
    baseTimestamp,
    compression: options.compression ?? Compression.none,
    timestampType: options.logAppendTime === undefined ? 0 : 1,
    maxTimestamp: options.logAppendTime,
    records,
  });
  const decoded = decodeRecordBatch(bytes);
  return {
    bytes,
    offsetCount: decoded.lastOffsetDelta + 1,
    maxTimestamp: decoded.maxTimestamp,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    transactional: false,
    control: null,
  };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("tansu.records", () => {
  test("records Kafka clients produced are rows: key, value, headers in order with duplicates, timestamps", async () => {
    await store.createTopic({ name: "orders", partitions: 2, configs: {} });
    await store.append(
      tp,
      clientBatch(
        [
          {
            offsetDelta: 0,
            key: text("k1"),
            value: text("v1"),
            headers: [
              { key: "trace", value: text("a") },
              { key: "trace", value: text("b") },
              { key: "empty", value: null },
            ],
          },
          { offsetDelta: 1, timestampDelta: 250n, key: null, value: null },
        ],
        { compression: Compression.gzip },
      ),
    );
    const rows = await sql`SELECT * FROM tansu.records WHERE topic = 'orders' ORDER BY partition, offset_id`;
    expect(rows.map((r) => ({ ...r }))).toEqual([
      {
        topic: "orders",
        partition: 0,
        offset_id: "0",
        record_timestamp: new Date(1_700_000_000_000),
        key: Buffer.from("k1"),
        value: Buffer.from("v1"),
        headers: [
          { key: "trace", value: b64("a") },
          { key: "trace", value: b64("b") },
          { key: "empty", value: null },
        ],
      },
      {
        topic: "orders",
        partition: 0,
        offset_id: "1",
        record_timestamp: new Date(1_700_000_000_250),
        key: null,
        value: null,
        headers: [],
      },
    ]);
  });

  test("a LogAppendTime batch gives every record the batch's time", async () => {
    await store.createTopic({ name: "orders", partitions: 1, configs: {} });
    await store.append(tp, clientBatch([{ offsetDelta: 0, value: text("a") }, { offsetDelta: 1, timestampDelta: 9n, value: text("b") }], { logAppendTime: 1_800_000_000_000n }));
    const rows = await sql`SELECT record_timestamp FROM tansu.records ORDER BY offset_id`;
    expect(rows.map((r) => r.record_timestamp)).toEqual([new Date(1_800_000_000_000), new Date(1_800_000_000_000)]);
  });

  test("transaction markers are not records, and records below the log start are gone", async () => {
    await store.createTopic({ name: "orders", partitions: 1, configs: {} });
    await store.append(tp, { ...clientBatch([{ offsetDelta: 0, value: text("a") }, { offsetDelta: 1, value: text("b") }]) });
    await store.append(tp, {
      bytes: encodeRecordBatch({ baseTimestamp: 1n, producerId: 4n, producerEpoch: 0, transactional: true, control: true, records: [{ offsetDelta: 0, key: new Uint8Array([0, 0, 0, 1]), value: new Uint8Array(6) }] }),
      offsetCount: 1,
      maxTimestamp: 1n,
      producerId: 4n,
      producerEpoch: 0,
      baseSequence: -1,
      transactional: true,
      control: "commit",
    });
    await store.append(tp, clientBatch([{ offsetDelta: 0, value: text("c") }]));
    const values = async () => (await sql`SELECT offset_id, convert_from(value, 'UTF8') AS v FROM tansu.records ORDER BY offset_id`).map((r) => `${r.offset_id}:${r.v}`);
    expect(await values()).toEqual(["0:a", "1:b", "3:c"]);
    await store.deleteRecords(tp, 1n);
    expect(await values()).toEqual(["1:b", "3:c"]);
  });

  test("a compressed batch is served uncompressed with the same records", async () => {
    await store.createTopic({ name: "orders", partitions: 1, configs: {} });
    const records = Array.from({ length: 20 }, (_, i) => ({ offsetDelta: i, key: text(`k${i}`), value: text(`v${i}`.repeat(i)) }));
    await store.append(tp, clientBatch(records, { compression: Compression.zstd }));
    const { batches } = await store.fetch(tp, { fetchOffset: 0n, maxBytes: 1 << 20, isolation: "read_uncommitted" });
    const batch = decodeRecordBatch(batches[0]);
    expect(batch.attributes & 0x07).toBe(Compression.none);
    expect(batch.records.map((r) => [new TextDecoder().decode(r.key!), new TextDecoder().decode(r.value!)])).toEqual(
      records.map((r) => [`k${r.offsetDelta}`, `v${r.offsetDelta}`.repeat(r.offsetDelta)]),
    );
    expect((await store.batchSummaries(tp))[0].sizeBytes).toBe(batches[0].byteLength);
  });
});

describe("tansu.produce()", () => {
  test("offsets continue those of appends; fetch hands out a valid batch with the record and its headers", async () => {
    await store.createTopic({ name: "orders", partitions: 1, configs: {} });
    await store.append(tp, clientBatch([{ offsetDelta: 0, value: text("via kafka") }]));
    const [{ offset }] = await sql`
      SELECT tansu.produce('orders', convert_to('42', 'UTF8'), convert_to('{"id":42}', 'UTF8'),
                           ${sql.json([{ key: "source", value: b64("sql") }, { key: "source", value: null }])}) AS offset`;
    expect(offset).toBe("1");
    expect((await store.append(tp, clientBatch([{ offsetDelta: 0, value: text("after") }]))).baseOffset).toBe(2n);

    const { batches, highWatermark } = await store.fetch(tp, { fetchOffset: 1n, maxBytes: 1 << 20, isolation: "read_uncommitted" });
    expect(highWatermark).toBe(3n);
    const viaSql = decodeRecordBatch(batches[0]); // checks the CRC
    expect(viaSql.baseOffset).toBe(1n);
    expect(new TextDecoder().decode(viaSql.records[0].key!)).toBe("42");
    expect(new TextDecoder().decode(viaSql.records[0].value!)).toBe('{"id":42}');
    expect(viaSql.records[0].headers).toEqual([
      { key: "source", value: text("sql") },
      { key: "source", value: null },
    ]);
    expect(batches[0].byteLength).toBe((await store.batchSummaries(tp))[1].sizeBytes);
  });

  test("a record is visible only once its transaction commits; appends wait for the partition meanwhile", async () => {
    await store.createTopic({ name: "orders", partitions: 1, configs: {} });
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    let produced!: (offset: string) => void;
    const offsetInTransaction = new Promise<string>((resolve) => (produced = resolve));
    const transaction = sql.begin(async (tx) => {
      const [{ offset }] = await tx`SELECT tansu.produce('orders', NULL, convert_to('outbox', 'UTF8'), NULL, 0) AS offset`;
      produced(offset);
      await committed;
    });
    expect(await offsetInTransaction).toBe("0");
    expect((await store.offsets(tp)).highWatermark).toBe(0n);
    expect((await store.fetch(tp, { fetchOffset: 0n, maxBytes: 1 << 20, isolation: "read_uncommitted" })).batches).toEqual([]);

    // An append through the broker waits for the row lock the open transaction holds.
    const append = store.append(tp, clientBatch([{ offsetDelta: 0, value: text("broker") }]));
    await untilAppendWaitsForLock();
    commit();
    await transaction;
    expect((await append).baseOffset).toBe(1n);
    const { batches } = await store.fetch(tp, { fetchOffset: 0n, maxBytes: 1 << 20, isolation: "read_uncommitted" });
    expect(batches.map((b) => new TextDecoder().decode(decodeRecordBatch(b).records[0].value!))).toEqual(["outbox", "broker"]);
  });

  test("a rolled back record leaves no trace and its offset goes to the next record", async () => {
    await store.createTopic({ name: "orders", partitions: 1, configs: {} });
    await sql
      .begin(async (tx) => {
        await tx`SELECT tansu.produce('orders', NULL, convert_to('never', 'UTF8'), NULL, 0)`;
        throw new Error("the business update failed");
      })
      .catch(() => {});
    expect((await store.offsets(tp)).highWatermark).toBe(0n);
    const [{ offset }] = await sql`SELECT tansu.produce('orders', NULL, convert_to('kept', 'UTF8'), NULL, 0) AS offset`;
    expect(offset).toBe("0");
    expect((await sql`SELECT count(*)::int AS n FROM tansu.records`)[0].n).toBe(1);
  });

  test("watchAppends hears commits of other brokers and of SQL, never a rollback", async () => {
    await store.createTopic({ name: "orders", partitions: 3, configs: {} });
    const heard: TopicPartition[] = [];
    let wake: () => void = () => {};
    const stop = store.watchAppends((tp) => {
      heard.push(tp);
      wake();
    });
    const next = () => new Promise<void>((resolve) => (wake = resolve));
    try {
      // The LISTEN is in place once a notification sent after it arrives; send until one does.
      await untilHeard(heard, () => sql`SELECT pg_notify('tansu_appends', '2:orders')`);
      heard.length = 0;
      await sql.begin(async (tx) => {
        await tx`SELECT tansu.produce('orders', NULL, convert_to('no', 'UTF8'), NULL, 1)`;
        await tx`ROLLBACK`;
      });
      const heardCommit = next();
      await sql`SELECT tansu.produce('orders', NULL, convert_to('yes', 'UTF8'), NULL, 0)`;
      await heardCommit;
      const other = await PostgresStorage.open(databases().cluster.urlOf(await currentDatabase()));
      const heardOther = next();
      await other.append({ topic: "orders", partition: 2 }, clientBatch([{ offsetDelta: 0, value: text("x") }]));
      await heardOther;
      await other.close();
      expect(heard).toEqual([
        { topic: "orders", partition: 0 },
        { topic: "orders", partition: 2 },
      ]);
    } finally {
      stop();
    }
  });

  test("with no partition, keyed records go where Kafka's murmur2 puts them", async () => {
    for (const [key, hash] of KAFKA_MURMUR2_VECTORS) {
      expect((await sql`SELECT tansu.murmur2(convert_to(${key}, 'UTF8')) AS h`)[0].h).toBe(hash);
    }
    await store.createTopic({ name: "orders", partitions: 7, configs: {} });
    for (const [key] of KAFKA_MURMUR2_VECTORS) await sql`SELECT tansu.produce('orders', convert_to(${key}, 'UTF8'), NULL)`;
    const placed = await sql`SELECT convert_from(key, 'UTF8') AS key, partition FROM tansu.records`;
    expect(Object.fromEntries(placed.map((r) => [r.key, r.partition]))).toEqual(
      Object.fromEntries(KAFKA_MURMUR2_VECTORS.map(([key, hash]) => [key, (hash & 0x7fffffff) % 7])),
    );
  });

  test("mistakes are SQL errors that name the problem", async () => {
    await store.createTopic({ name: "orders", partitions: 2, configs: {} });
    await store.createTopic({ name: "compacted", partitions: 1, configs: { "cleanup.policy": "compact" } });
    const failure = async (call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error("expected an error");
    };
    expect(await failure(() => sql`SELECT tansu.produce('nope', NULL, NULL)`)).toBe('tansu.produce: unknown topic "nope"');
    expect(await failure(() => sql`SELECT tansu.produce('orders', NULL, NULL, NULL, 2)`)).toBe(
      'tansu.produce: partition 2 of topic "orders" is out of range: it has 2 partitions (0 to 1)',
    );
    expect(await failure(() => sql`SELECT tansu.produce('orders', NULL, NULL, '{"a":"b"}')`)).toMatch(
      /^tansu.produce: headers must be a JSON array of \{"key": text, "value": base64 text or null\}/,
    );
    expect(await failure(() => sql`SELECT tansu.produce('orders', NULL, NULL, '[{"key":"a","value":"%%%"}]')`)).toBe(
      'tansu.produce: header 0 ("a") has a value that is not base64: %%%',
    );
    expect(await failure(() => sql`SELECT tansu.produce('orders', NULL, NULL, '[{"key":"a"},{"value":"eA=="}]')`)).toMatch(
      /^tansu.produce: header 1 must be \{"key": text, "value": base64 text or null\}/,
    );
    expect(await failure(() => sql`SELECT tansu.produce('compacted', NULL, convert_to('v', 'UTF8'))`)).toBe(
      'tansu.produce: topic "compacted" is compacted and needs a key',
    );
    expect((await store.offsets(tp)).highWatermark).toBe(0n);
  });
});

async function currentDatabase(): Promise<string> {
  return (await sql`SELECT current_database() AS d`)[0].d;
}

/** Until a session of the engine waits for a row lock: the append has reached the locked partition. */
async function untilAppendWaitsForLock(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const waiting = await databases().admin`
      SELECT 1 FROM pg_stat_activity WHERE application_name = 'tansu' AND wait_event_type = 'Lock'`;
    if (waiting.length > 0) return;
    await Bun.sleep(25);
  }
  throw new Error("no append ever waited for the partition lock");
}

/** Sends until the watcher heard something: LISTEN starts in the background. */
async function untilHeard(heard: TopicPartition[], send: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 400 && heard.length === 0; i++) {
    await send();
    await Bun.sleep(25);
  }
  if (heard.length === 0) throw new Error("the watcher never heard a notification");
}
