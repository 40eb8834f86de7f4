// Backpressure in both directions: a client that stops reading makes the proxy stop reading the upstream, and
// an upstream that stops reading makes the proxy stop reading the client, so the proxy's buffers stay bounded
// however much the other side has to send.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { FrameReader } from "../../src/protocol/frame-reader.ts";
import { encodeRequest } from "../../src/protocol/messages.ts";
import { ZERO_UUID } from "../../src/protocol/reader.ts";
import { batchOf } from "../broker/records.ts";
import { startInProcessBroker, type InProcessBroker } from "../broker/in-process-broker.ts";
import { until } from "../harness/until.ts";
import { startInProcessProxy } from "./in-process-proxy.ts";

const MiB = 1024 * 1024;
/** Far below what the other side sends (tens of MiB), far above a few socket chunks. */
const BOUND = 8 * MiB;

let broker: InProcessBroker;

beforeAll(async () => {
  broker = await startInProcessBroker({ maxRequestBytes: 2 * MiB });
});
afterAll(() => broker.stop());

function produceFrame(correlationId: number, topic: string, bytes: number) {
  const records = batchOf([{ key: "k", value: "x".repeat(bytes) }]);
  return encodeRequest(
    { apiKey: ApiKey.Produce, apiVersion: 9, correlationId, clientId: "bp" },
    { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] },
  );
}

/** Watches the proxy's buffered bytes over ~1 s of event-loop turns and returns the most it held. */
async function mostBuffered(read: () => number): Promise<number> {
  let most = 0;
  for (let i = 0; i < 200; i++) {
    most = Math.max(most, read());
    await Bun.sleep(5);
  }
  return most;
}

test("a client that stops reading: the proxy stops reading the upstream, then delivers everything in order", async () => {
  const proxy = startInProcessProxy([broker.address]);
  const c = await proxy.connect();
  await c.request(ApiKey.Metadata, 9, { topics: [{ name: "big" }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
  for (let i = 0; i < 8; i++) await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: "big", partitionData: [{ index: 0, records: batchOf([{ key: "k", value: "y".repeat(512 * 1024) }]) }] }] });

  const frames = new FrameReader({ maxFrameBytes: 16 * MiB });
  const received: Array<{ correlationId: number; bytes: number }> = [];
  const slow = await Bun.connect({
    hostname: "127.0.0.1",
    port: proxy.port,
    socket: {
      data(_s, chunk) {
        for (const f of frames.push(chunk)) received.push({ correlationId: new DataView(f.buffer, f.byteOffset).getInt32(0), bytes: f.length });
      },
    },
  });
  slow.pause();
  const FETCHES = 20;
  const fetch = (correlationId: number) =>
    encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: 12, correlationId, clientId: "slow" }, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 8 * MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "big", topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 8 * MiB }] }],
      forgottenTopicsData: [], rackId: "",
    });
  slow.write(Buffer.concat(await Promise.all(Array.from({ length: FETCHES }, (_, i) => fetch(100 + i)))));

  // ~4 MiB per response, 80 MiB in all: the client's kernel buffers fill, then the proxy must hold back.
  await until(() => proxy.proxy.bufferedBytes > 0, "the proxy to hold bytes the client does not read");
  expect(await mostBuffered(() => proxy.proxy.bufferedBytes)).toBeLessThan(BOUND);

  slow.resume();
  await until(() => received.length === FETCHES, "every fetch response");
  expect(received.map((r) => r.correlationId)).toEqual(Array.from({ length: FETCHES }, (_, i) => 100 + i));
  expect(received.every((r) => r.bytes > 4 * MiB)).toBe(true);
  slow.end();
  await proxy.stop();
}, 60_000);

test("an upstream that stops reading: the proxy stops reading the client", async () => {
  // A stalled broker: accepts the connection and never reads from it.
  const stalled = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (s) => void s.pause(), data() {} } });
  const proxy = startInProcessProxy([`127.0.0.1:${stalled.port}`]);
  // 60 MiB of produce requests, written as fast as the client's socket takes them (as a client's own buffer would).
  const frames = await Promise.all(Array.from({ length: 60 }, (_, i) => produceFrame(i, "stalled", MiB)));
  const total = frames.reduce((n, f) => n + f.length, 0);
  let written = 0;
  let next = 0;
  let partial: Uint8Array | null = null;
  const pump = (socket: { write(b: Uint8Array): number }) => {
    while (partial !== null || next < frames.length) {
      const bytes: Uint8Array = partial ?? frames[next++]!;
      const n = Math.max(socket.write(bytes), 0);
      written += n;
      partial = n < bytes.length ? bytes.subarray(n) : null;
      if (partial !== null) return;
    }
  };
  const client = await Bun.connect({ hostname: "127.0.0.1", port: proxy.port, socket: { data() {}, drain: (s) => pump(s) } });
  pump(client);
  expect(await mostBuffered(() => proxy.proxy.bufferedBytes)).toBeLessThan(BOUND);
  // The client could not hand everything over: the proxy stopped reading it.
  expect(written).toBeLessThan(total - BOUND);
  client.end();
  await proxy.stop();
  stalled.stop(true);
}, 60_000);
