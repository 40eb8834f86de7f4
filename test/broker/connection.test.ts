import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { decodeResponse, encodeRequest } from "../../src/protocol/messages.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";

let b: InProcessBroker;

beforeAll(async () => {
  b = await startInProcessBroker({ maxRequestBytes: 64 * 1024 });
});
afterAll(() => b.stop());

/** A raw socket that collects whatever the broker sends and reports when it closes. */
async function rawSocket() {
  let received = new Uint8Array(0);
  let onClosed!: () => void;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const waiters: Array<() => void> = [];
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: b.broker.port,
    socket: {
      data(_s, chunk) {
        const next = new Uint8Array(received.length + chunk.length);
        next.set(received);
        next.set(chunk, received.length);
        received = next;
        for (const w of waiters.splice(0)) w();
      },
      close: () => onClosed(),
      error: () => onClosed(),
    },
  });
  /** Resolves with the next `count` frames (without size prefixes). */
  const frames = async (count: number) => {
    for (;;) {
      const out: Uint8Array[] = [];
      let at = 0;
      while (out.length < count && at + 4 <= received.length) {
        const size = new DataView(received.buffer, at).getInt32(0);
        if (at + 4 + size > received.length) break;
        out.push(received.slice(at + 4, at + 4 + size));
        at += 4 + size;
      }
      if (out.length === count) return out;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { socket, closed, frames };
}

function apiVersionsFrame(version: number, correlationId: number) {
  return encodeRequest(
    { apiKey: ApiKey.ApiVersions, apiVersion: version, correlationId, clientId: "raw" },
    { clientSoftwareName: "raw", clientSoftwareVersion: "1" },
  );
}

test("an ApiVersions version from the future gets a v0 answer with UNSUPPORTED_VERSION (KIP-511)", async () => {
  const { socket, frames } = await rawSocket();
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
  const { socket, frames } = await rawSocket();
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
  const bad = await rawSocket();
  const good = await rawSocket();
  // A size prefix followed by garbage that is not a request header.
  bad.socket.write(new Uint8Array([0, 0, 0, 3, 0xff, 0xff, 0xff]));
  await bad.closed;
  good.socket.write(await apiVersionsFrame(3, 1));
  const [response] = await good.frames(1);
  expect((await decodeResponse(ApiKey.ApiVersions, 3, response!)).body.errorCode).toBe(ErrorCode.NONE);
  good.socket.end();
});

test("an oversized request closes the connection before reading it", async () => {
  const big = await rawSocket();
  big.socket.write(new Uint8Array([0x10, 0, 0, 0, 1, 2, 3]));
  await big.closed;
  const c = await b.connect();
  const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
  expect(r.errorCode).toBe(ErrorCode.NONE);
});

test("an unsupported version of another API closes the connection", async () => {
  const { socket, closed } = await rawSocket();
  const frame = await encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 2, correlationId: 1, clientId: "old" }, { transactionalId: null, acks: 1, timeoutMs: 100, topicData: [] });
  // Every Produce version the codec knows is served; v12 is past the advertised maximum.
  new DataView(frame.buffer, frame.byteOffset).setInt16(6, 12);
  socket.write(frame);
  await closed;
});
