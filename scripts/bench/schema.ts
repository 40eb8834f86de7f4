// Produce throughput of 1 KiB records to topics with a JSON Schema, an Avro and a Protobuf schema (files in
// --schema-registry, plain payloads), each as a ratio to the same number of 1 KiB records on a topic without
// a schema, all in one broker run (memory://, so validation is what differs), best of interleaved rounds.
// Client: python3-confluent-kafka (librdkafka), acks=all, no compression.
//
//   bun scripts/bench/schema.ts [records]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadFormat } from "../../src/schema/formats/format.ts";
import { startBroker, tempDir } from "../../test/harness/broker.ts";
import { python } from "../../test/harness/python.ts";
import { writeBenchmarkSection } from "./report.ts";

const RECORDS = Number(process.argv[2] ?? 100_000);
const FIELDS = 10;
/** Ten string fields of this length make each payload about 1 KiB in every format. */
const FIELD_CHARS = 96;

const value = Object.fromEntries(Array.from({ length: FIELDS }, (_, i) => [`field${i}`, `${i}`.repeat(FIELD_CHARS)]));
const SCHEMAS = {
  json: JSON.stringify({ type: "object", properties: { value: { type: "object", properties: Object.fromEntries(Object.keys(value).map((k) => [k, { type: "string" }])), required: Object.keys(value) } } }),
  avsc: JSON.stringify({ type: "record", name: "Bench", fields: [{ name: "value", type: { type: "record", name: "Row", fields: Object.keys(value).map((name) => ({ name, type: "string" })) } }] }),
  proto: `syntax = "proto3";\nmessage Value {\n${Object.keys(value).map((k, i) => `  string ${k} = ${i + 1};`).join("\n")}\n}\n`,
};

const ROUNDS = 3;

const PYTHON = String.raw`
import sys, time, json
from confluent_kafka import Producer
bootstrap, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
topics = json.loads(sys.argv[4])
failed = []
def report(err, msg):
    if err is not None: failed.append(err.name())
producers = {}
for topic, hexvalue in topics:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "batch.num.messages": 10000, "acks": "all", "compression.type": "none"})
    # One record first, untimed: creates the topic and settles the producer's metadata.
    p.produce(topic, bytes.fromhex(hexvalue), on_delivery=report)
    p.flush(30)
    producers[topic] = (p, bytes.fromhex(hexvalue))
result = {topic: [] for topic, _ in topics}
# Rounds interleave the topics, so a busy moment of the machine hits all of them alike.
for r in range(rounds):
    for topic, _ in topics:
        p, value = producers[topic]
        t0 = time.perf_counter()
        for i in range(n):
            while True:
                try:
                    p.produce(topic, value, on_delivery=report); break
                except BufferError:
                    p.poll(0.01)
        if p.flush(300) != 0: sys.exit("records left unacknowledged")
        result[topic].append(time.perf_counter() - t0)
if failed: sys.exit("%d records failed: %s" % (len(failed), failed[0]))
print(json.dumps({topic: min(times) for topic, times in result.items()}))
`;

const dir = tempDir("tansu-bench-schema-");
mkdirSync(join(dir, "schemas"));
writeFileSync(join(dir, "schemas", "bench-json.json"), SCHEMAS.json);
writeFileSync(join(dir, "schemas", "bench-avro.avsc"), SCHEMAS.avsc);
writeFileSync(join(dir, "schemas", "bench-protobuf.proto"), SCHEMAS.proto);

const payloads: Record<string, Uint8Array> = {
  "bench-json": (await loadFormat("json")).compileFile(SCHEMAS.json).value!.encode(value, "value"),
  "bench-avro": (await loadFormat("avro")).compileFile(SCHEMAS.avsc).value!.encode(value, "value"),
  "bench-protobuf": (await loadFormat("protobuf")).compileFile(SCHEMAS.proto).value!.encode(value, "value"),
};
payloads["bench-none"] = new Uint8Array(1024).fill(120);

const broker = await startBroker({ command: process.env.BENCH_CMD ? process.env.BENCH_CMD.split(" ") : undefined, storage: "memory://", args: ["--schema-registry", `file://${join(dir, "schemas")}`] });
let seconds: Record<string, number>;
try {
  const topics = ["bench-none", "bench-json", "bench-avro", "bench-protobuf"].map((t) => [t, Buffer.from(payloads[t]!).toString("hex")]);
  const run = await python(PYTHON, [broker.url, String(RECORDS), String(ROUNDS), JSON.stringify(topics)], { timeoutMs: 1_800_000 });
  if (run.exitCode !== 0) throw new Error(`client failed: ${run.stderr}`);
  seconds = JSON.parse(run.stdout);
} finally {
  await broker.stop();
}

const baseline = seconds["bench-none"]!;
const row = (name: string, topic: string, bytes: number) =>
  `| ${name} | ${bytes} | ${Math.round(RECORDS / seconds[topic]!).toLocaleString("en")} | ${((RECORDS * bytes) / seconds[topic]! / 1e6).toFixed(1)} | ${(baseline / seconds[topic]!).toFixed(2)} |`;
const table = [
  `Command: \`bun scripts/bench/schema.ts ${RECORDS}\` (${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores).`,
  `${RECORDS.toLocaleString("en")} records per topic and round, best of ${ROUNDS} interleaved rounds, python3-confluent-kafka (librdkafka), acks=all,`,
  "no compression, one memory:// broker with",
  "`--schema-registry` files; every record of a schema topic is checked by the broker (Protobuf by a wire-type walk, values decoded only",
  "when a listener wants them). Goal: at least 0.5 for each format. The machine is shared by several builds: runs differ by ±30%.",
  "",
  "| topic | value bytes | records/s | MB/s | ratio to no schema (higher is better) |",
  "| --- | ---: | ---: | ---: | ---: |",
  row("no schema (baseline)", "bench-none", 1024),
  row("JSON Schema (ajv)", "bench-json", payloads["bench-json"]!.length),
  row("Avro (avsc)", "bench-avro", payloads["bench-avro"]!.length),
  row("Protobuf (protobufjs)", "bench-protobuf", payloads["bench-protobuf"]!.length),
].join("\n");
console.log(table);
writeBenchmarkSection("schema", `## Schema validation at produce\n\n${table}`);
