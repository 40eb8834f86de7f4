// The proxy in front of an in-process broker, driven at the protocol level: ApiVersions, address rewriting,
// port-per-broker routing, pipelining, malformed frames, an upstream that goes away, graceful stop.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { decodeResponse, encodeRequest } from "../../src/protocol/messages.ts";
import { ZERO_UUID } from "../../src/protocol/reader.ts";
import { decodeRecordBatches } from "../../src/protocol/record-batch.ts";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { batchOf, decodeText } from "../broker/records.ts";
import { startInProcessBroker, type InProcessBroker } from "../broker/in-process-broker.ts";
import { rawSocket } from "../harness/raw-socket.ts";
import { until } from "../harness/until.ts";
import { startInProcessProxy, type InProcessProxy } from "./in-process-proxy.ts";

let broker: InProcessBroker;
let proxy: InProcessProxy;

beforeAll(async () => {
  broker = await startInProcessBroker();
  proxy = startInProcessProxy([broker.address]);
});
afterAll(async () => {
  await proxy.stop();
  await broker.stop();
});

const METADATA_ALL = { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false };

function produceRequest(topic: string, values: string[], acks = -1) {
  return { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batchOf(values.map((value) => ({ key: "k", value }))) }] }] };
}

function fetchRequest(topic: string, maxWaitMs = 0, maxBytes = 1 << 20) {
  return {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [], rackId: "",
  };
}

test("ApiVersions is what both the proxy and the upstream handle", async () => {
  const direct = await broker.connect();
  const upstream = await direct.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
  const c = await proxy.connect();
  const proxied = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
  expect(proxied.errorCode).toBe(ErrorCode.NONE);
  const range = (r: typeof proxied, key: number) => r.apiKeys.find((k) => k.apiKey === key);
  // Held back: responses of later versions carry leader endpoints the proxy would have to rewrite.
  expect(range(proxied, ApiKey.Produce)).toEqual({ apiKey: ApiKey.Produce, minVersion: 0, maxVersion: 9 });
  expect(range(proxied, ApiKey.Fetch)).toEqual({ apiKey: ApiKey.Fetch, minVersion: 0, maxVersion: 15 });
  expect(range(upstream, ApiKey.Produce)!.maxVersion).toBeGreaterThan(9);
  // Nothing beyond what the upstream offers.
  for (const k of proxied.apiKeys) {
    const u = range(upstream, k.apiKey)!;
    expect(u).toBeDefined();
    expect(k.minVersion).toBeGreaterThanOrEqual(u.minVersion);
    expect(k.maxVersion).toBeLessThanOrEqual(u.maxVersion);
  }
  // Everything else the upstream offers, but the share-group fetches (their responses name node endpoints).
  const heldBack: number[] = [ApiKey.ShareFetch, ApiKey.ShareAcknowledge];
  expect(proxied.apiKeys.map((k) => k.apiKey)).toEqual(upstream.apiKeys.map((k) => k.apiKey).filter((k) => !heldBack.includes(k)));
});

test("an ApiVersions version the proxy cannot read gets its own v0 answer with UNSUPPORTED_VERSION (KIP-511)", async () => {
  const raw = await rawSocket(proxy.port);
  const frame = await encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 7, clientId: "raw" }, { clientSoftwareName: "raw", clientSoftwareVersion: "1" });
  new DataView(frame.buffer, frame.byteOffset).setInt16(6, 99);
  raw.socket.write(frame);
  const [response] = await raw.frames(1);
  const { correlationId, body } = await decodeResponse(ApiKey.ApiVersions, 0, response!);
  expect(correlationId).toBe(7);
  expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  expect(body.apiKeys.find((k: { apiKey: number }) => k.apiKey === ApiKey.ApiVersions).maxVersion).toBe(4);
  raw.socket.end();
});

test("Metadata, FindCoordinator and DescribeCluster name only the proxy, on the upstream broker's own port", async () => {
  const c = await proxy.connect();
  const brokerPort = proxy.port + 1;
  for (const version of [1, 9, 12]) {
    const metadata = await c.request(ApiKey.Metadata, version, METADATA_ALL);
    expect(metadata.brokers).toEqual([{ nodeId: 111, host: "127.0.0.1", port: brokerPort, rack: null }]);
  }
  const v3 = await c.request(ApiKey.FindCoordinator, 3, { key: "g", keyType: 0 });
  expect([v3.errorCode, v3.host, v3.port]).toEqual([ErrorCode.NONE, "127.0.0.1", brokerPort]);
  const v0 = await c.request(ApiKey.FindCoordinator, 0, { key: "g" });
  expect([v0.host, v0.port]).toEqual(["127.0.0.1", brokerPort]);
  const v4 = await c.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ["g1", "g2"] });
  expect(v4.coordinators!.map((k) => [k.key, k.host, k.port])).toEqual([
    ["g1", "127.0.0.1", brokerPort],
    ["g2", "127.0.0.1", brokerPort],
  ]);
  const cluster = await c.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
  expect(cluster.brokers.map((b) => [b.brokerId, b.host, b.port])).toEqual([[111, "127.0.0.1", brokerPort]]);
});

test("the broker port reaches that broker: produce and fetch through it", async () => {
  const c = await KafkaConnection.connect(`127.0.0.1:${proxy.port + 1}`);
  try {
    await c.request(ApiKey.Metadata, 9, { topics: [{ name: "routed" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    const produced = await c.request(ApiKey.Produce, 9, produceRequest("routed", ["a", "b"]));
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    const fetched = await c.request(ApiKey.Fetch, 12, fetchRequest("routed"));
    const records = decodeRecordBatches(fetched.responses[0]!.partitions[0]!.records!).flatMap((b) => b.records);
    expect(records.map((r) => decodeText(r.value))).toEqual(["a", "b"]);
  } finally {
    c.close();
  }
});

test("pipelined requests, an acks=0 produce among them, are answered in order", async () => {
  const raw = await rawSocket(proxy.port);
  const metadata = (id: number) => encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId: id, clientId: "raw" }, METADATA_ALL);
  const apiVersions = (id: number) => encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: id, clientId: "raw" }, { clientSoftwareName: "raw", clientSoftwareVersion: "1" });
  const silent = encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 99, clientId: "a-longer-client-id-than-the-first-bytes-hold" }, produceRequest("pipelined", ["x"], 0));
  const frames = await Promise.all([apiVersions(11), metadata(12), silent, metadata(13), apiVersions(14), metadata(15)]);
  raw.socket.write(Buffer.concat(frames));
  const responses = await raw.frames(5);
  expect(responses.map((r) => new DataView(r.buffer).getInt32(0))).toEqual([11, 12, 13, 14, 15]);
  expect((await decodeResponse(ApiKey.Metadata, 9, responses[1]!)).body.brokers[0].port).toBe(proxy.port + 1);
  raw.socket.end();
});

test("the proxy's own answer waits behind a response being rewritten, pipelined", async () => {
  const raw = await rawSocket(proxy.port);
  const metadata = (id: number) => encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId: id, clientId: "raw" }, METADATA_ALL);
  // An ApiVersions version the proxy cannot read: it answers that one itself (KIP-511), between two upstream answers it rewrites.
  const unreadable = await encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 22, clientId: "raw" }, { clientSoftwareName: "raw", clientSoftwareVersion: "1" });
  new DataView(unreadable.buffer, unreadable.byteOffset).setInt16(6, 99);
  raw.socket.write(Buffer.concat([await metadata(21), unreadable, await metadata(23)]));
  const responses = await raw.frames(3);
  expect(responses.map((r) => new DataView(r.buffer).getInt32(0))).toEqual([21, 22, 23]);
  expect((await decodeResponse(ApiKey.ApiVersions, 0, responses[1]!)).body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  expect((await decodeResponse(ApiKey.Metadata, 9, responses[2]!)).body.brokers[0].port).toBe(proxy.port + 1);
  raw.socket.end();
});

test("malformed frames close only their own connection", async () => {
  const good = await proxy.connect();
  const cases = [
    new Uint8Array([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]), // negative size
    new Uint8Array([0, 0, 0, 3, 0, 1, 2]), // too short for a request header
    (await encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId: 1, clientId: "x" }, METADATA_ALL)).map((b, i) => (i === 4 ? 0x7f : b)), // unknown api key
    (await encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 1, clientId: "x" }, produceRequest("t", ["x"]))).map((b, i) => (i === 7 ? 10 : b)), // Produce v10: held back
    await encodeRequest({ apiKey: ApiKey.LeaderAndIsr, apiVersion: 0, correlationId: 1, clientId: "x" }, { controllerId: 1, controllerEpoch: 1, ungroupedPartitionStates: [], liveLeaders: [] }), // broker-to-broker API
  ];
  for (const bytes of cases) {
    const bad = await rawSocket(proxy.port);
    bad.socket.write(bytes);
    await bad.closed;
  }
  const metadata = await good.request(ApiKey.Metadata, 9, METADATA_ALL);
  expect(metadata.brokers.length).toBe(1);
});

test("a response the proxy did not ask for closes that client's connection", async () => {
  // An upstream that answers every request with a correlation id nobody sent.
  const liar = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        socket.write(new Uint8Array([0, 0, 0, 6, 0x7f, 0x7f, 0x7f, 0x7f, 0, 0]));
      },
    },
  });
  const own = startInProcessProxy([`127.0.0.1:${liar.port}`]);
  try {
    const c = await own.connect();
    await expect(c.request(ApiKey.Metadata, 9, METADATA_ALL)).rejects.toThrow("closed");
    // The proxy itself still serves the real broker to others.
    const other = await proxy.connect();
    expect((await other.request(ApiKey.Metadata, 9, METADATA_ALL)).brokers.length).toBe(1);
  } finally {
    await own.stop();
    liar.stop(true);
  }
});

test("an upstream that goes away closes its clients' connections; the proxy serves the next broker on that address", async () => {
  const upstream = await startInProcessBroker();
  const own = startInProcessProxy([upstream.address]);
  try {
    const c = await own.connect();
    await c.request(ApiKey.Metadata, 9, METADATA_ALL);
    const raw = await rawSocket(own.port);
    await upstream.stop();
    await raw.closed;
    await expect(c.request(ApiKey.Metadata, 9, METADATA_ALL)).rejects.toThrow();
    // While it is down, new connections are closed at once.
    const refused = await rawSocket(own.port);
    await refused.closed;
    const restarted = await startInProcessBroker({}, "memory://", Number(upstream.address.split(":")[1]));
    try {
      const again = await own.connect();
      const metadata = await again.request(ApiKey.Metadata, 9, METADATA_ALL);
      expect(metadata.brokers).toEqual([{ nodeId: 111, host: "127.0.0.1", port: own.port + 1, rack: null }]);
    } finally {
      await restarted.stop();
    }
  } finally {
    await own.stop();
  }
});

test("stop lets a request in flight be answered before closing", async () => {
  const own = startInProcessProxy([broker.address]);
  const c = await own.connect();
  await c.request(ApiKey.Metadata, 9, { topics: [{ name: "long-poll" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
  // A long poll on an empty partition: answered when its wait ends, after stop() began.
  const polling = c.request(ApiKey.Fetch, 12, fetchRequest("long-poll", 500));
  await until(() => own.proxy.inFlight === 1, "the fetch to reach the proxy");
  const stopped = own.proxy.stop(30_000);
  const response = await polling;
  expect(response.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
  await stopped;
  expect(own.proxy.connections).toBe(0);
  await expect(KafkaConnection.connect(own.address)).rejects.toThrow();
});
