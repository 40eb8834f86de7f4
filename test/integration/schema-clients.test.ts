// Real Schema Registry clients against our REST API, unmodified, and their payloads against broker-side
// validation: @kafkajs/confluent-schema-registry with kafkajs (Avro, JSON Schema, Protobuf) and python
// confluent-kafka's SchemaRegistryClient with its JSONSerializer and ProtobufSerializer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel } from "kafkajs";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { encodeRecordBatch } from "../../src/protocol/record-batch.ts";
import { freePort, startBroker, type RunningBroker } from "../harness/broker.ts";
import { python } from "../harness/python.ts";

let broker: RunningBroker;
let registryUrl: string;

beforeAll(async () => {
  registryUrl = `http://127.0.0.1:${freePort()}`;
  broker = await startBroker({ storage: "memory://", args: ["--http-listener-url", registryUrl] });
});
afterAll(() => broker?.stop());

/** One batch of `values` to partition 0 through our protocol client; the partition response. */
async function produceBatch(topic: string, values: Uint8Array[]) {
  const c = await KafkaConnection.connect(broker.url);
  try {
    const response = await c.request(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: values.map((value, i) => ({ offsetDelta: i, key: null, value })) }) }] }],
    });
    return response.responses[0]!.partitionResponses[0]!;
  } finally {
    c.close();
  }
}

const AVRO = JSON.stringify({ type: "record", name: "Payment", namespace: "shop", fields: [{ name: "id", type: "string" }, { name: "amount", type: "double" }] });
const JSON_SCHEMA = JSON.stringify({ title: "Line", type: "object", properties: { sku: { type: "string" }, qty: { type: "integer", minimum: 1 } }, required: ["sku", "qty"] });
const PROTO = `syntax = "proto3";
package shop;
message Shipment { string id = 1; int32 boxes = 2; }`;

describe("@kafkajs/confluent-schema-registry with kafkajs", () => {
  const cases = [
    { format: "Avro", type: SchemaType.AVRO, schema: AVRO, good: { id: "p1", amount: 9.5 }, topic: "payments" },
    { format: "JSON Schema", type: SchemaType.JSON, schema: JSON_SCHEMA, good: { sku: "a", qty: 2 }, topic: "lines" },
    { format: "Protobuf", type: SchemaType.PROTOBUF, schema: PROTO, good: { id: "s1", boxes: 3 }, topic: "shipments" },
  ];
  for (const c of cases) {
    test(`${c.format}: register, latest, by id, produce with kafkajs, invalid records refused at their index`, async () => {
      const registry = new SchemaRegistry({ host: registryUrl });
      const { id } = await registry.register({ type: c.type, schema: c.schema } as never, { subject: `${c.topic}-value` });
      expect(await registry.getLatestSchemaId(`${c.topic}-value`)).toBe(id);
      expect(await registry.getRegistryId(`${c.topic}-value`, 1)).toBe(id);
      expect(await registry.getRegistryIdBySchema(`${c.topic}-value`, { type: c.type, schema: c.schema } as never)).toBe(id);
      const encoded = await registry.encode(id, c.good);
      expect(await registry.decode(encoded)).toMatchObject(c.good);

      const kafka = new Kafka({ brokers: [broker.url], clientId: "schema-test", logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      try {
        const [sent] = await producer.send({ topic: c.topic, messages: [{ value: encoded }, { value: await registry.encode(id, c.good) }] });
        expect(sent!.errorCode).toBe(0);
        await expect(producer.send({ topic: c.topic, messages: [{ value: Buffer.from("plain text, no schema id") }] })).rejects.toThrow();
      } finally {
        await producer.disconnect();
      }

      // A payload with the right id but bytes that do not fit, at index 1 of 3.
      const broken = Buffer.concat([encoded.subarray(0, 5), Buffer.from([0xff, 0xff, 0xff])]);
      const refused = await produceBatch(c.topic, [encoded, broken, encoded]);
      expect(refused.errorCode).toBe(ErrorCode.INVALID_RECORD);
      expect(refused.recordErrors!.map((e) => e.batchIndex)).toEqual([1]);
    });
  }

  test("an incompatible schema is refused with 409", async () => {
    const registry = new SchemaRegistry({ host: registryUrl });
    const breaking = JSON.stringify({ type: "record", name: "Payment", namespace: "shop", fields: [{ name: "id", type: "int" }] });
    await expect(registry.register({ type: SchemaType.AVRO, schema: breaking }, { subject: "payments-value" })).rejects.toMatchObject({ status: 409 });
  });
});

const PYTHON_CLIENT = String.raw`
import sys, json
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, Schema
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import SerializationContext, MessageField
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

url, bootstrap, json_schema = sys.argv[1], sys.argv[2], sys.argv[3]
sr = SchemaRegistryClient({"url": url})
out = {}

# The REST API as the client library uses it.
sid = sr.register_schema("py-orders-value", Schema(json_schema, "JSON"))
out["registered"] = sid
out["lookup"] = sr.lookup_schema("py-orders-value", Schema(json_schema, "JSON")).schema_id
latest = sr.get_latest_version("py-orders-value")
out["latest"] = [latest.schema_id, latest.version, latest.schema.schema_type]
out["by_id"] = sr.get_schema(sid).schema_str == json_schema
out["compatible"] = sr.test_compatibility("py-orders-value", Schema(json_schema, "JSON"))
try:
    sr.register_schema("py-orders-value", Schema(json.dumps({"type": "object", "properties": {"sku": {"type": "integer"}}, "required": ["sku"]}), "JSON"))
    out["incompatible"] = None
except SchemaRegistryError as e:
    out["incompatible"] = [e.http_status_code, e.error_code]

# JSONSerializer payloads, produced with librdkafka.
js = JSONSerializer(json_schema, sr)
ctx = SerializationContext("py-orders", MessageField.VALUE)
good_json = js({"sku": "a", "qty": 1}, ctx)

# ProtobufSerializer with a message type built at run time; Event is the second message (index [1]).
fdp = descriptor_pb2.FileDescriptorProto(name="events.proto", package="py", syntax="proto3")
other = fdp.message_type.add(name="Other")
other.field.add(name="x", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32, label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
event = fdp.message_type.add(name="Event")
event.field.add(name="name", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING, label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
event.field.add(name="count", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT64, label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
pool = descriptor_pool.DescriptorPool()
pool.Add(fdp)
Event = message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName("py.Event"))
Other = message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName("py.Other"))
ps = ProtobufSerializer(Event, sr)
good_proto = ps(Event(name="e", count=2), SerializationContext("py-events", MessageField.VALUE))
first_proto = ProtobufSerializer(Other, sr)(Other(x=5), SerializationContext("py-others", MessageField.VALUE))

errors = []
def report(err, msg):
    if err is not None: errors.append(err.name())
p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
p.produce("py-orders", good_json, on_delivery=report)
p.produce("py-events", good_proto, on_delivery=report)
p.produce("py-others", first_proto, on_delivery=report)
p.flush(30)
out["good_errors"] = errors[:]
p.produce("py-orders", good_json[:5] + json.dumps({"sku": "a", "qty": 0}).encode(), on_delivery=report)
p.flush(30)
out["bad_errors"] = errors[len(out["good_errors"]):]
out["payloads"] = {"json": good_json.hex(), "proto": good_proto.hex(), "first_proto": first_proto.hex()}
print(json.dumps(out))
`;

describe("python confluent-kafka SchemaRegistryClient", () => {
  test("REST API, JSONSerializer and ProtobufSerializer payloads through librdkafka, invalid variants refused at their index", async () => {
    const run = await python(PYTHON_CLIENT, [registryUrl, broker.url, JSON_SCHEMA], { timeoutMs: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.lookup).toBe(out.registered);
    expect(out.latest).toEqual([out.registered, 1, "JSON"]);
    expect(out.by_id).toBe(true);
    expect(out.compatible).toBe(true);
    expect(out.incompatible).toEqual([409, 409]);
    expect(out.good_errors).toEqual([]);
    expect(out.bad_errors).toEqual(["INVALID_RECORD"]);

    const json = Buffer.from(out.payloads.json, "hex");
    const proto = Buffer.from(out.payloads.proto, "hex");
    // The serializer wrote Event's message index [1] before its payload.
    const badJson = Buffer.concat([json.subarray(0, 5), Buffer.from('{"sku": 1, "qty": 1}')]);
    const orders = await produceBatch("py-orders", [json, json, badJson]);
    expect(orders.recordErrors).toEqual([{ batchIndex: 2, batchIndexErrorMessage: "value.sku: must be string" }]);
    // count (field 2) sent as length-delimited instead of a varint.
    const badProto = Buffer.concat([proto.subarray(0, 7), Buffer.from([0x12, 0x01, 0x41])]);
    const events = await produceBatch("py-events", [badProto, proto]);
    expect(events.recordErrors).toEqual([{ batchIndex: 0, batchIndexErrorMessage: "value.count: wire type length-delimited where int64 expects varint" }]);
    expect((await produceBatch("py-events", [proto])).errorCode).toBe(ErrorCode.NONE);
    expect((await produceBatch("py-others", [Buffer.from(out.payloads.first_proto, "hex")])).errorCode).toBe(ErrorCode.NONE);
  });
});
