// GET /metrics of the compiled broker, read with the Prometheus Python client's parsers: counters
// move by exactly what a known produce and fetch did, consumer lag comes from the store (a second
// broker on the same store reports the same figures), and --log-format json logs JSON lines.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ZERO_UUID } from "../../src/protocol/reader.ts";
import { batchOf } from "../broker/records.ts";
import { freePort, startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { parseExposition, sampleValue, samplesOf, type ParsedFamily } from "../harness/prometheus.ts";
import { python } from "../harness/python.ts";

let broker: RunningBroker;
let http: string;
let storage: string;

beforeAll(async () => {
  storage = `sqlite://${join(tempDir("tansu-metrics-"), "tansu.db")}`;
  http = `http://127.0.0.1:${freePort()}`;
  // Lag figures refreshed at every scrape, so a scrape right after a commit sees it.
  broker = await startBroker({ storage, args: ["--http-listener-url", http], env: { CONSUMER_LAG_REFRESH_MS: "0" } });
});

afterAll(async () => {
  await broker?.stop();
});

async function scrape(base = http, accept?: string): Promise<{ families: ParsedFamily[]; contentType: string }> {
  const response = await fetch(`${base}/metrics`, { headers: accept ? { accept } : {} });
  expect(response.status).toBe(200);
  const contentType = response.headers.get("content-type") ?? "";
  const format = contentType.startsWith("application/openmetrics-text") ? "openmetrics" : "prometheus";
  return { families: await parseExposition(await response.text(), format), contentType };
}

test("a known produce and fetch move the request, traffic and storage counters by exactly what they did", async () => {
  const topic = "metrics-known";
  const c = await KafkaConnection.connect(broker.url, "metrics-test");
  try {
    const created = await c.request(ApiKey.CreateTopics, 7, {
      topics: [{ name: topic, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const before = (await scrape()).families;

    const batch = batchOf([{ value: "one" }, { value: "two" }, { value: "three" }, { key: "k", value: "four" }, { value: "five" }]);
    const produced = await c.request(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }, { index: 7, records: batch }] }],
    });
    expect(produced.responses[0]!.partitionResponses.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const fetched = await c.request(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: "",
    });
    expect(fetched.responses[0]!.partitions[0]!.records?.byteLength).toBe(batch.byteLength);

    const after = (await scrape()).families;
    const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta("tansu_produced_records_total", { topic })).toBe(5);
    expect(delta("tansu_produced_bytes_total", { topic })).toBe(batch.byteLength);
    expect(delta("tansu_fetched_records_total", { topic })).toBe(5);
    expect(delta("tansu_fetched_bytes_total", { topic })).toBe(batch.byteLength);
    // The produce carried an error for its second partition: the request is labelled with it.
    expect(delta("tansu_requests_total", { api: "Produce", version: "9", error: "UNKNOWN_TOPIC_OR_PARTITION" })).toBe(1);
    expect(delta("tansu_requests_total", { api: "Fetch", version: "12", error: "NONE" })).toBe(1);
    expect(delta("tansu_request_duration_seconds_count", { api: "Produce" })).toBe(1);
    expect(delta("tansu_request_duration_seconds_count", { api: "Fetch" })).toBe(1);
    expect(delta("tansu_storage_operation_duration_seconds_count", { engine: "sqlite", operation: "append" })).toBe(1);
    expect(delta("tansu_storage_operation_duration_seconds_count", { engine: "sqlite", operation: "fetch" })).toBe(1);
    expect(sampleValue(after, "tansu_connections_open", { listener: `127.0.0.1:${broker.port}` })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, "tansu_connections_accepted_total", { listener: `127.0.0.1:${broker.port}` })).toBeGreaterThanOrEqual(1);
  } finally {
    c.close();
  }
});

test("every family the issue lists is exposed, with process figures, in OpenMetrics when asked", async () => {
  const { families, contentType } = await scrape(http, "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
  expect(contentType).toStartWith("application/openmetrics-text; version=1.0.0");
  const names = new Set(families.map((f) => f.name));
  for (const name of [
    "tansu_requests",
    "tansu_request_duration_seconds",
    "tansu_produced_bytes",
    "tansu_produced_records",
    "tansu_fetched_bytes",
    "tansu_fetched_records",
    "tansu_connections_open",
    "tansu_connections_accepted",
    "tansu_storage_operation_duration_seconds",
    "tansu_storage_operation_errors",
    "tansu_group_rebalances",
    "tansu_transactions",
    "tansu_validation_rejections",
    "tansu_consumer_group_committed_offset",
    "tansu_consumer_group_lag",
    "process_cpu_seconds",
    "process_resident_memory_bytes",
    "tansu_event_loop_delay_seconds",
  ]) {
    expect(names).toContain(name);
  }
  expect(sampleValue(families, "process_resident_memory_bytes")).toBeGreaterThan(1 << 20);
  expect(samplesOf(families, "tansu_event_loop_delay_seconds").map((s) => s.labels.statistic).sort()).toEqual(["max", "mean", "p50", "p99"]);
});

const CONSUME_PART = String.raw`
import sys
from confluent_kafka import Consumer, Producer
bootstrap, topic, group = sys.argv[1:4]
p = Producer({"bootstrap.servers": bootstrap})
for i in range(10):
    p.produce(topic, value=b"r%d" % i)
if p.flush(30) != 0: sys.exit("unacknowledged records")
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
got = []
while len(got) < 4:
    m = c.poll(10)
    if m is None: sys.exit("no record within 10 s")
    if m.error(): continue
    got.append(m)
c.commit(message=got[-1], asynchronous=False)
c.close()
`;

test("lag of a group that consumed part of a topic, the same from a second broker on the same store", async () => {
  const run = await python(CONSUME_PART, [broker.url, "lag-topic", "lag-group"], { timeoutMs: 60_000 });
  expect(run.stderr).not.toContain("Traceback");
  expect(run.exitCode).toBe(0);
  const labels = { group: "lag-group", topic: "lag-topic", partition: "0" };

  const other = await startBroker({ storage, args: ["--http-listener-url", `http://127.0.0.1:${freePort()}`, "--log-format", "json"], env: { CONSUMER_LAG_REFRESH_MS: "0" } });
  try {
    const otherHttp = other.logs().match(/HTTP on ([\d.]+):(\d+)/);
    expect(otherHttp).not.toBeNull();
    for (const base of [http, `http://${otherHttp![1]}:${otherHttp![2]}`]) {
      const { families } = await scrape(base);
      expect(sampleValue(families, "tansu_consumer_group_committed_offset", labels)).toBe(4);
      expect(sampleValue(families, "tansu_consumer_group_lag", labels)).toBe(6);
      expect(sampleValue(families, "tansu_partition_high_watermark", { topic: "lag-topic", partition: "0" })).toBe(10);
    }
    // --log-format json: every line the second broker logged is one JSON object.
    const lines = other.logs().trim().split("\n");
    const parsed = lines.map((line) => JSON.parse(line) as { time: string; level: string; msg: string });
    expect(parsed.some((l) => l.level === "info" && l.msg.includes("listening"))).toBe(true);
    for (const l of parsed) expect(Number.isNaN(Date.parse(l.time))).toBe(false);
  } finally {
    await other.stop();
  }
  // The group's members rebalanced at least once while it consumed (a classic generation).
  expect(sampleValue((await scrape()).families, "tansu_group_rebalances_total", { protocol: "classic" })).toBeGreaterThanOrEqual(1);
}, 90_000);

const TRANSACTIONS = String.raw`
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "transactional.id": "metrics-txn"})
p.init_transactions(30)
p.begin_transaction()
p.produce(sys.argv[2], value=b"kept")
p.commit_transaction(30)
p.begin_transaction()
p.produce(sys.argv[2], value=b"dropped")
# Sent before aborting: librdkafka ends a transaction that never reached a partition without asking the broker.
p.flush(30)
p.abort_transaction(30)
`;

test("a committed and an aborted transaction count once each", async () => {
  const before = (await scrape()).families;
  const run = await python(TRANSACTIONS, [broker.url, "metrics-txn-topic"], { timeoutMs: 60_000 });
  expect(run.stderr).not.toContain("Traceback");
  expect(run.exitCode).toBe(0);
  const after = (await scrape()).families;
  const delta = (outcome: string) => sampleValue(after, "tansu_transactions_total", { outcome }) - sampleValue(before, "tansu_transactions_total", { outcome });
  expect([delta("committed"), delta("aborted")]).toEqual([1, 1]);
}, 60_000);
