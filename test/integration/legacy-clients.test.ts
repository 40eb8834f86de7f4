// Clients that need the legacy API ranges against the compiled broker. librdkafka decides which codecs a broker
// supports from ApiVersions (gzip and snappy need Produce v0, lz4 needs Fetch v2); with the old ranges it sent
// uncompressed batches while logging "Broker does not support compression type". kafka-python (python3-kafka
// 2.0.2) and librdkafka with API version requests off speak the legacy protocol itself: Produce v0-2 with magic
// 0/1 message sets, Fetch v0-3, ListOffsets v0.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { compressionOf, splitBatches, type RecordBatchHeader } from "../../src/protocol/record-batch.ts";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { LIBRDKAFKAS } from "../harness/librdkafka.ts";
import { python } from "../harness/python.ts";

let broker: RunningBroker;
let connection: KafkaConnection;

beforeAll(async () => {
  broker = await startBroker();
  connection = await KafkaConnection.connect(broker.url, "legacy-clients-test");
});
afterAll(async () => {
  connection.close();
  await broker.stop();
});

const CODECS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

/** Headers of the batches stored for partition 0, read with a current Fetch. */
async function storedBatches(topic: string): Promise<RecordBatchHeader[]> {
  const r = await connection.request(ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 24,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: "00000000-0000-0000-0000-000000000000", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 24 }] }],
    forgottenTopicsData: [],
    rackId: "",
  });
  const p = r.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(0);
  return splitBatches(p.records!).map((b) => b.header);
}

// librdkafka sends a batch uncompressed when compressing would not shrink it, as for a lone short line kcat
// sent before reading the next: every line compresses well on its own, so every batch is compressed.
const lines = Array.from({ length: 40 }, (_, i) => `key-${i}:value-${i}-${"z".repeat(100 + i * 5)}`);
const expectedLines = lines.map((line, i) => `${line.replace(":", "|")}|${i}`);

for (const lib of LIBRDKAFKAS) {
  describe(`kcat with ${lib.name} compresses now that the full ranges are advertised`, () => {
    for (const codec of (["gzip", "snappy", "lz4", "zstd"] as const).filter((c) => lib.features.includes(c))) {
      test(`-z ${codec}`, async () => {
        const topic = `legacy-kcat-${codec}-${lib.version}`;
        const produced = await kcat(["-b", broker.url, "-t", topic, "-P", "-K:", "-z", codec], { input: `${lines.join("\n")}\n`, env: lib.env });
        expect(produced.exitCode).toBe(0);
        expect(produced.stderr).not.toContain("does not support compression");
        const batches = await storedBatches(topic);
        expect(batches.length).toBeGreaterThan(0);
        expect(batches.map((b) => compressionOf(b.attributes))).toEqual(batches.map(() => CODECS[codec]));

        const consumed = await kcat(["-b", broker.url, "-t", topic, "-C", "-e", "-o", "beginning", "-f", "%k|%s|%o\n"], { env: lib.env });
        expect(consumed.exitCode).toBe(0);
        expect(consumed.stdout.trim().split("\n")).toEqual(expectedLines);
      });
    }
  });

  describe(`kcat with ${lib.name} speaking the legacy protocol (no ApiVersions request)`, () => {
    // broker.version.fallback 0.9.0: Produce v1 with magic 0, Fetch v1; 0.10.0: Produce v2 with magic 1, Fetch v2.
    for (const [fallback, codec, magic] of [["0.9.0", "gzip", 0], ["0.9.0", "snappy", 0], ["0.10.0", "lz4", 1]] as const) {
      test(`broker.version.fallback=${fallback} with ${codec}`, async () => {
        const topic = `legacy-kcat-${fallback}-${codec}-${lib.version}`;
        const legacy = ["-X", "api.version.request=false", "-X", `broker.version.fallback=${fallback}`];
        const produced = await kcat(["-b", broker.url, "-t", topic, "-P", "-K:", "-z", codec, ...legacy], { input: `${lines.join("\n")}\n`, env: lib.env });
        expect(produced.exitCode).toBe(0);
        const batches = await storedBatches(topic);
        expect(batches.map((b) => compressionOf(b.attributes))).toEqual(batches.map(() => CODECS[codec]));
        // Magic 0 has no timestamps: up-converted batches carry Kafka's NO_TIMESTAMP.
        if (magic === 0) expect(batches.map((b) => b.baseTimestamp)).toEqual(batches.map(() => -1n));
        else expect(batches.every((b) => b.baseTimestamp > 0n)).toBe(true);

        const consumed = await kcat(["-b", broker.url, "-t", topic, "-C", "-e", "-o", "beginning", "-f", "%k|%s|%o\n", ...legacy], { env: lib.env });
        expect(consumed.exitCode).toBe(0);
        expect(consumed.stdout.trim().split("\n")).toEqual(expectedLines);
      });
    }
  });
}

const KAFKA_PYTHON = String.raw`
import sys, json
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
bootstrap, topic, api = sys.argv[1], sys.argv[2], sys.argv[3]
pinned = {} if api == "auto" else {"api_version": tuple(int(x) for x in api.split("."))}
p = KafkaProducer(bootstrap_servers=bootstrap, compression_type="gzip", linger_ms=100, **pinned)
futures = [p.send(topic, partition=0, key=None if i == 0 else b"k%d" % i, value=b"v%d" % i) for i in range(20)]
p.flush(30)
offsets = [f.get(timeout=30).offset for f in futures]
detected = p.config["api_version"]
p.close()
c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **pinned)
tp = TopicPartition(topic, 0)
c.assign([tp])
c.seek_to_beginning(tp)
records = []
while len(records) < 20:
    polled = c.poll(timeout_ms=10000)
    if not polled:
        break
    for batch in polled.values():
        records += [[r.offset, None if r.key is None else r.key.decode(), r.value.decode(), r.timestamp] for r in batch]
c.close()
print(json.dumps({"detected": list(detected), "offsets": offsets, "records": records}))
`;

describe("kafka-python 2.0.2", () => {
  // auto: it probes the broker and settles on a magic-2 version; pinned versions force the legacy protocol
  // (0.10.1: Produce v2 magic 1, Fetch v3; 0.9: Produce v1 magic 0, Fetch v1; 0.8.2: also ListOffsets v0).
  for (const api of ["auto", "0.10.1", "0.9", "0.8.2"]) {
    test(`gzip producer and an assigned consumer, api_version ${api}`, async () => {
      const topic = `legacy-kafka-python-${api}`;
      const run = await python(KAFKA_PYTHON, [broker.url, topic, api], { timeoutMs: 90_000 });
      expect(run.stderr).not.toContain("Traceback");
      expect(run.exitCode).toBe(0);
      const out = JSON.parse(run.stdout) as { detected: number[]; offsets: number[]; records: Array<[number, string | null, string, number | null]> };
      const hasTimestamps = api === "auto" || api === "0.10.1";
      expect(out.offsets).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(out.records.map(([o, k, v]) => [o, k, v])).toEqual(Array.from({ length: 20 }, (_, i) => [i, i === 0 ? null : `k${i}`, `v${i}`]));
      // kafka-python reports no timestamp (None) for magic 0.
      expect(out.records.every(([, , , ts]) => (hasTimestamps ? typeof ts === "number" && ts > 0 : ts === null))).toBe(true);

      const batches = await storedBatches(topic);
      expect(batches.map((b) => compressionOf(b.attributes))).toEqual(batches.map(() => CODECS.gzip));
      if (!hasTimestamps) expect(batches.every((b) => b.baseTimestamp === -1n)).toBe(true);
    });
  }
});
