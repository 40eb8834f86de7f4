import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { decodeResponse, encodeRequest } from "../../src/protocol/messages.ts";
import { isSoftwareName } from "../../src/broker/api-versions.ts";
import { clientAddress } from "../../src/broker/server.ts";
import { rawSocket } from "../harness/raw-socket.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";

let b: InProcessBroker;

beforeAll(async () => {
  b = await startInProcessBroker({ maxRequestBytes: 64 * 1024 });
});
afterAll(() => b.stop());

function apiVersionsFrame(version: number, correlationId: number) {
  return encodeRequest(
    { apiKey: ApiKey.ApiVersions, apiVersion: version, correlationId, clientId: "raw" },
    { clientSoftwareName: "raw", clientSoftwareVersion: "1" },
  );
}

test("an ApiVersions version from the future gets a v0 answer with UNSUPPORTED_VERSION (KIP-511)", async () => {
  const { socket, frames } = await rawSocket(b.broker.port);
  const frame = await apiVersionsFrame(3, 7);
  // Rewrite the version field to 99: the broker must not be able to parse the rest.
  new DataView(frame.buffer, frame.byteOffset).setInt16(6, 99);
  socket.write(frame);
  const [response] = await frames(1);
  const { correlationId, body } = await decodeResponse(ApiKey.ApiVersions, 0, response!);
  expect(correlationId).toBe(7);
  expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  expect(body.apiKeys.length).toBeGreaterThan(5);
  socket.end();
});

test("pipelined requests are answered in order", async () => {
  const { socket, frames } = await rawSocket(b.broker.port);
  const ids = [11, 12, 13, 14, 15];
  const metadata = (id: number) =>
    encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId: id, clientId: "raw" }, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const all = await Promise.all([apiVersionsFrame(3, 11), metadata(12), apiVersionsFrame(2, 13), metadata(14), apiVersionsFrame(0, 15)]);
  const joined = new Uint8Array(all.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of all) {
    joined.set(f, at);
    at += f.length;
  }
  socket.write(joined);
  const responses = await frames(5);
  expect(responses.map((r) => new DataView(r.buffer).getInt32(0))).toEqual(ids);
  socket.end();
});

test("a malformed frame closes that connection only", async () => {
  const bad = await rawSocket(b.broker.port);
  const good = await rawSocket(b.broker.port);
  // A size prefix followed by garbage that is not a request header.
  bad.socket.write(new Uint8Array([0, 0, 0, 3, 0xff, 0xff, 0xff]));
  await bad.closed;
  good.socket.write(await apiVersionsFrame(3, 1));
  const [response] = await good.frames(1);
  expect((await decodeResponse(ApiKey.ApiVersions, 3, response!)).body.errorCode).toBe(ErrorCode.NONE);
  good.socket.end();
});

test("an oversized request closes the connection before reading it", async () => {
  const big = await rawSocket(b.broker.port);
  big.socket.write(new Uint8Array([0x10, 0, 0, 0, 1, 2, 3]));
  await big.closed;
  const c = await b.connect();
  const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
  expect(r.errorCode).toBe(ErrorCode.NONE);
});

test("an unsupported version of another API closes the connection", async () => {
  const { socket, closed } = await rawSocket(b.broker.port);
  const frame = await encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 2, correlationId: 1, clientId: "old" }, { transactionalId: null, acks: 1, timeoutMs: 100, topicData: [] });
  // Every Produce version the codec knows is served; v12 is past the advertised maximum.
  new DataView(frame.buffer, frame.byteOffset).setInt16(6, 12);
  socket.write(frame);
  await closed;
});

/** A request frame with its 4-byte size prefix, from hex. */
function sizedFrame(hexDigits: string): Uint8Array {
  const body = Uint8Array.from(Buffer.from(hexDigits.replace(/\s+/g, ""), "hex"));
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setInt32(0, body.length);
  frame.set(body, 4);
  return frame;
}

// librdkafka 2.15.1's all-topics Metadata v12, byte for byte as captured: 3 bytes follow the fields v12 defines.
const LIBRDKAFKA_2_15_ALL_TOPICS = "0003 000c 00000003 0007 72646b61666b61 00 00000000 010000";

test("a request with bytes after its body is answered and the connection stays open (librdkafka 2.15 all-topics Metadata)", async () => {
  const { socket, frames } = await rawSocket(b.broker.port);
  socket.write(sizedFrame(LIBRDKAFKA_2_15_ALL_TOPICS));
  const [metadata] = await frames(1);
  const { correlationId, body } = await decodeResponse(ApiKey.Metadata, 12, metadata!);
  expect(correlationId).toBe(3);
  expect(body.brokers.map((broker: { nodeId: number }) => broker.nodeId)).toEqual([111]);
  // Same connection, next request: still served.
  socket.write(await apiVersionsFrame(3, 4));
  const [, versions] = await frames(2);
  expect((await decodeResponse(ApiKey.ApiVersions, 3, versions!)).correlationId).toBe(4);
  socket.end();
});

test("a request whose fields run past its frame closes that connection only", async () => {
  const bad = await rawSocket(b.broker.port);
  const good = await rawSocket(b.broker.port);
  // The same Metadata v12 cut inside its header's tagged fields and body: a truncated request, not trailing bytes.
  bad.socket.write(sizedFrame("0003 000c 00000005 0007 72646b61666b61 00 05"));
  await bad.closed;
  good.socket.write(sizedFrame(LIBRDKAFKA_2_15_ALL_TOPICS));
  const [response] = await good.frames(1);
  expect((await decodeResponse(ApiKey.Metadata, 12, response!)).correlationId).toBe(3);
  good.socket.end();
});

test("ApiVersions v3 refuses a client software name or version outside Kafka's pattern with INVALID_REQUEST (KIP-511)", async () => {
  const c = await b.connect();
  const ask = async (name: string, version: string) =>
    (await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: name, clientSoftwareVersion: version })).errorCode;
  expect(await ask("librdkafka", "2.15.0")).toBe(ErrorCode.NONE);
  expect(await ask("", "")).toBe(ErrorCode.NONE);
  expect(await ask("bad name", "1")).toBe(ErrorCode.INVALID_REQUEST);
  expect(await ask("kcat", "1.0-")).toBe(ErrorCode.INVALID_REQUEST);
});

test("the KIP-511 name check agrees with Kafka's pattern", () => {
  const pattern = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;
  const samples = ["a", "-", ".", "a-", "-a", "a.b", "a..b", "A-9", "9", "a b", "a_b", "é", "a/b", "1.0.0-rc1", "x.", ".x", "aZ09-.Zz", "a\n"];
  for (const s of samples) expect([s, isSoftwareName(s)]).toEqual([s, pattern.test(s)]);
});

test("clients of a dual-stack listener that connect over IPv4 are named by their IPv4 address, as Kafka's ACL hosts name them", () => {
  expect(clientAddress("::ffff:10.1.2.3")).toBe("10.1.2.3");
  expect(clientAddress("::ffff:a01:203")).toBe("::ffff:a01:203");
  expect(clientAddress("::1")).toBe("::1");
  expect(clientAddress("127.0.0.1")).toBe("127.0.0.1");
});
