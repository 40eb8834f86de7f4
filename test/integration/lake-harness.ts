// What the broker-level lake tests share: topics created with their configs, the lake tests'
// fixture records encoded as a producer sends them, a real client producing them (python
// confluent-kafka, i.e. librdkafka), and a table's rows read by readers that are not the writer.

import { expect } from "bun:test";
import avro from "avsc";
import type protobuf from "protobufjs";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { encodeRecordBatch } from "../../src/protocol/record-batch.ts";
import type { LakeRecord } from "../../src/lake/lake.ts";
import { python } from "../harness/python.ts";
import { checkIcebergMetadata, currentMetadataFile, icebergDuckRows } from "../lake/iceberg-checks.ts";
import { deltaRows, duckRows, parquetFiles, pathOf, replayDelta } from "../lake/readers.ts";
import { recordsOf, TO_OBJECT, type TopicFixture } from "../lake/topics.ts";

export type Row = Record<string, unknown>;

export async function createTopic(address: string, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const c = await KafkaConnection.connect(address);
  try {
    const response = await c.request(ApiKey.CreateTopics, 7, {
      topics: [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(response.topics[0]!.errorMessage ?? null).toBeNull();
    expect(response.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  } finally {
    c.close();
  }
}

export interface IdempotentProducer {
  producerId: bigint;
  producerEpoch: number;
}

/** An idempotent producer id, through InitProducerId. */
export async function idempotentProducer(address: string): Promise<IdempotentProducer> {
  const c = await KafkaConnection.connect(address);
  try {
    const response = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expect(response.errorCode).toBe(ErrorCode.NONE);
    return { producerId: response.producerId, producerEpoch: response.producerEpoch };
  } finally {
    c.close();
  }
}

/**
 * One batch of `values` to `partition` through the protocol client, acks=all: the partition's response.
 * With `idempotent`, the batch carries that producer and sequence.
 */
export async function produceBatch(address: string, topic: string, partition: number, values: Uint8Array[], idempotent?: IdempotentProducer & { baseSequence: number }) {
  const c = await KafkaConnection.connect(address);
  try {
    const records = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), ...idempotent, records: values.map((value, i) => ({ offsetDelta: i, key: null, value })) });
    const response = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 60_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    return response.responses[0]!.partitionResponses[0]!;
  } finally {
    c.close();
  }
}

/** Sets topic configs through IncrementalAlterConfigs. */
export async function alterTopic(address: string, topic: string, configs: Record<string, string>): Promise<void> {
  const c = await KafkaConnection.connect(address);
  try {
    const response = await c.request(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 2, resourceName: topic, configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })) }],
      validateOnly: false,
    });
    expect(response.responses[0]!.errorCode).toBe(ErrorCode.NONE);
  } finally {
    c.close();
  }
}

/** The high watermark (or with "earliest", the log start offset) of each partition, through ListOffsets. */
export async function highWatermarks(address: string, topic: string, partitions: number, at: "latest" | "earliest" = "latest"): Promise<bigint[]> {
  const c = await KafkaConnection.connect(address);
  try {
    const response = await c.request(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, timestamp: at === "latest" ? -1n : -2n })) }],
    });
    return response.topics[0]!.partitions.map((p) => p.offset ?? -1n);
  } finally {
    c.close();
  }
}

export interface Message {
  topic: string;
  partition: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** Milliseconds since the epoch; the producer's clock when absent. */
  timestamp?: number;
  headers?: Array<{ key: string; value: Uint8Array | null }>;
}

const hex = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString("hex"));

/** One part of a fixture record as the producer sends it (Avro or Protobuf binary, JSON text, raw bytes). */
function encodePart(part: TopicFixture["schema"]["value"], value: unknown): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (!part) return value as Uint8Array;
  switch (part.format) {
    case "avro":
      return avro.Type.forSchema(part.schema as avro.Schema).toBuffer(value);
    case "json":
      return new TextEncoder().encode(JSON.stringify(value));
    case "protobuf": {
      const type = part.type as protobuf.Type;
      return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
    }
  }
}

/** Records first..first+count-1 of a lake fixture as messages: record i to partition i % partitions. */
export function fixtureMessages(topic: TopicFixture, count: number, partitions: number, first = 0): Message[] {
  return recordsOf(topic, count, partitions, first).map((record: LakeRecord) => ({
    topic: topic.name,
    partition: record.partition,
    key: encodePart(topic.schema.key, record.key),
    value: encodePart(topic.schema.value, record.value),
    timestamp: Number(record.timestamp),
    headers: record.headers.map((h) => ({ key: h.key, value: h.value })),
  }));
}

export { TO_OBJECT };

const PRODUCER = String.raw`
import json, sys, time
from confluent_kafka import Producer
bootstrap, pace = sys.argv[1], float(sys.argv[2])
messages = [json.loads(line) for line in sys.stdin if line.strip()]
# Reconnects quickly: some tests restart the broker under a running producer.
p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5, "message.timeout.ms": 90000, "reconnect.backoff.max.ms": 200})
delivered = []
errors = []
def report(err, msg):
    if err is not None: errors.append(err.str())
    else: delivered.append([msg.partition(), msg.offset()])
for m in messages:
    kwargs = {"partition": m["partition"], "on_delivery": report}
    if m["key"] is not None: kwargs["key"] = bytes.fromhex(m["key"])
    if m["value"] is not None: kwargs["value"] = bytes.fromhex(m["value"])
    if m.get("timestamp") is not None: kwargs["timestamp"] = m["timestamp"]
    if m.get("headers"): kwargs["headers"] = [(h[0], None if h[1] is None else bytes.fromhex(h[1])) for h in m["headers"]]
    while True:
        try:
            p.produce(m["topic"], **kwargs)
            break
        except BufferError:
            p.poll(0.1)
    p.poll(0)
    if pace > 0: time.sleep(pace)
p.flush(90)
print(json.dumps({"delivered": delivered, "errors": errors}))
`;

/**
 * Produces `messages` in order through python confluent-kafka (librdkafka, idempotent, acks=all); returns where
 * each landed. `paceMs` spaces the messages out, so that a test can act while they stream.
 */
export async function producePython(bootstrap: string, messages: Message[], options: { paceMs?: number; timeoutMs?: number } = {}): Promise<Array<[number, number]>> {
  const input = messages
    .map((m) =>
      JSON.stringify({
        topic: m.topic,
        partition: m.partition,
        key: hex(m.key),
        value: hex(m.value),
        timestamp: m.timestamp ?? null,
        headers: (m.headers ?? []).map((h) => [h.key, hex(h.value)]),
      }),
    )
    .join("\n");
  const run = await python(PRODUCER, [bootstrap, String((options.paceMs ?? 0) / 1000)], { input, timeoutMs: options.timeoutMs ?? 120_000 });
  if (run.exitCode !== 0) throw new Error(`python producer exited ${run.exitCode}: ${run.stderr}`);
  const out = JSON.parse(run.stdout) as { delivered: Array<[number, number]>; errors: string[] };
  expect(out.errors).toEqual([]);
  expect(out.delivered).toHaveLength(messages.length);
  return out.delivered;
}

export type TableFormat = "parquet" | "iceberg" | "delta";

export interface TableWhere {
  /** Default "tansu" (--lake-namespace). */
  namespace?: string;
  /** Where the file an Iceberg metadata URL names is (tables copied out of S3); default the file:// URL's path. */
  localPath?: (url: string) => string;
}

/**
 * Every row of the table at `<lakeDir>/<namespace>/<topic>` through readers that are not the writer:
 * Parquet files through DuckDB; Iceberg metadata checked against the spec (manifests by python3-avro) and its
 * data files through DuckDB; Delta's log replayed with DuckDB. Empty when the table does not exist yet.
 */
export async function tableRows(lakeDir: string, topic: string, format: TableFormat, where: TableWhere = {}): Promise<Row[]> {
  const dir = join(lakeDir, where.namespace ?? "tansu", topic);
  switch (format) {
    case "parquet": {
      const files = parquetFiles(dir);
      return files.length === 0 ? [] : duckRows(files);
    }
    case "iceberg": {
      if (parquetFiles(dir).length === 0) return [];
      return icebergDuckRows(await checkIcebergMetadata(currentMetadataFile(dir), where.localPath ?? pathOf));
    }
    case "delta": {
      // Data files are written before the commit that adds them.
      if (!existsSync(join(dir, "_delta_log", `${"0".padStart(20, "0")}.json`))) return [];
      return deltaRows(dir, await replayDelta(dir));
    }
  }
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. Lake commits are asynchronous to produce. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** Rows committed to an Iceberg table, by its current snapshot's summary: cheap enough to poll. */
export function icebergRecordCount(tableDir: string): number {
  if (!existsSync(join(tableDir, "metadata", "version-hint.text"))) return 0;
  const metadata = JSON.parse(readFileSync(currentMetadataFile(tableDir), "utf8"));
  const snapshot = (metadata.snapshots ?? []).find((s: { "snapshot-id": unknown }) => s["snapshot-id"] === metadata["current-snapshot-id"]);
  return Number(snapshot?.summary["total-records"] ?? 0);
}

/** Waits until the table holds at least `count` rows and returns them all. */
export async function rowsOnceCommitted(lakeDir: string, topic: string, format: TableFormat, count: number): Promise<Row[]> {
  let rows: Row[] = [];
  await eventually(`${count} rows in ${format} table ${topic}`, async () => {
    if (format === "iceberg") return icebergRecordCount(join(lakeDir, "tansu", topic)) >= count;
    rows = await tableRows(lakeDir, topic, format);
    return rows.length >= count;
  });
  return format === "iceberg" ? tableRows(lakeDir, topic, format) : rows;
}

/** The value schema of the ledger topics the exactly-once tests write, and its schema file (Avro). */
const ENTRY = { type: "record", name: "Entry", namespace: "ledger", fields: [{ name: "id", type: "long" }, { name: "note", type: "string" }] };
const entryType = avro.Type.forSchema(ENTRY as avro.Schema);
export const ENTRY_FILE = JSON.stringify({ type: "record", name: "LedgerTopic", fields: [{ name: "value", type: ENTRY }] });

export const entry = (id: number) => new Uint8Array(entryType.toBuffer({ id, note: `entry ${id}` }));

/** Entries first..first+count-1, entry i to partition i % partitions. */
export function entries(topic: string, first: number, count: number, partitions: number): Message[] {
  return Array.from({ length: count }, (_, n) => ({ topic, partition: (first + n) % partitions, key: null, value: entry(first + n) }));
}

/** The rows are exactly the log: every offset below each high watermark once, and entries 0..ids-1 once each. */
export function expectRowsAreLog(rows: Row[], highWatermarks: bigint[], ids: number): void {
  expect(Number(highWatermarks.reduce((a, b) => a + b, 0n))).toBe(ids);
  expect([...expectEachOffsetOnce(rows)].sort()).toEqual([...allOffsets(highWatermarks)].sort());
  expect(rows.map((row) => Number(row.id)).sort((a, b) => a - b)).toEqual(Array.from({ length: ids }, (_, i) => i));
}

/** (partition, offset) of every row, checked to be unique: no row twice. */
export function expectEachOffsetOnce(rows: Row[]): Set<string> {
  const keys = rows.map((row) => `${row.partition}/${row.offset}`);
  const unique = new Set(keys);
  expect(keys.length - unique.size).toBe(0);
  return unique;
}

/** Every offset below each partition's high watermark, as "partition/offset". */
export function allOffsets(highWatermarks: bigint[]): Set<string> {
  const all = new Set<string>();
  highWatermarks.forEach((end, partition) => {
    for (let offset = 0n; offset < end; offset++) all.add(`${partition}/${offset}`);
  });
  return all;
}

export { pathOf };
