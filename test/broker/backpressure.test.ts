// A client that sends faster than it reads is held back, as Kafka mutes such a channel: the broker stops
// handling its requests once a few MiB of responses wait for it, and stops reading its socket once a few dozen
// requests are queued, so its memory stays bounded; once the client reads again every answer arrives, in order.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { FrameReader } from "../../src/protocol/frame-reader.ts";
import { encodeRequest } from "../../src/protocol/messages.ts";
import { ZERO_UUID } from "../../src/protocol/reader.ts";
import { batchOf } from "./records.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";
import { until } from "../harness/until.ts";

const MiB = 1024 * 1024;
const TOPIC = "backpressure";
/** 200 fetches of ~1 MiB each: 200 MiB the client will not read for a while. */
const FETCHES = 200;

let broker: InProcessBroker;

beforeAll(async () => {
  broker = await startInProcessBroker({ maxRequestBytes: 2 * MiB });
  const c = await broker.connect();
  await c.request(ApiKey.Metadata, 9, { topics: [{ name: TOPIC }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
  for (let i = 0; i < 2; i++) {
    const produced = await c.request(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batchOf([{ key: "k", value: "z".repeat(512 * 1024) }]) }] }],
    });
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  }
});
afterAll(() => broker.stop());

function fetchFrame(correlationId: number): Promise<Uint8Array> {
  return encodeRequest(
    { apiKey: ApiKey.Fetch, apiVersion: 12, correlationId, clientId: "slow" },
    {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 2 * MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: TOPIC, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 2 * MiB }] }],
      forgottenTopicsData: [], rackId: "",
    },
  );
}

test("a client that stops reading keeps the broker's buffer bounded, then gets every answer in order", async () => {
  const frames = new FrameReader({ maxFrameBytes: 16 * MiB });
  const received: number[] = [];
  const slow = await Bun.connect({
    hostname: "127.0.0.1",
    port: broker.broker.port,
    socket: {
      data(_s, chunk) {
        for (const f of frames.push(chunk)) received.push(new DataView(f.buffer, f.byteOffset).getInt32(0));
      },
    },
  });
  slow.pause();
  // 200 small requests: the kernel takes them all at once, whatever the broker does with them.
  for (let i = 1; i <= FETCHES; i++) expect(slow.write(await fetchFrame(i))).toBeGreaterThan(0);
  // The broker answers until its bound is reached, then holds the rest back.
  await until(() => broker.broker.bufferedBytes() > 4 * MiB, "the broker to buffer up to its bound");
  // Watched over ~1 s of event-loop turns: without backpressure it would go on to buffer every answer
  // (~200 MiB, 1 MiB each), which the in-memory store produces in far less than that.
  let most = 0;
  for (let i = 0; i < 200; i++) {
    most = Math.max(most, broker.broker.bufferedBytes());
    await Bun.sleep(5);
  }
  expect(most).toBeLessThan(8 * MiB);

  slow.resume();
  await until(() => received.length === FETCHES, "every answer", 60_000);
  expect(received).toEqual(Array.from({ length: FETCHES }, (_, i) => i + 1));
  expect(broker.broker.bufferedBytes()).toBe(0);
  slow.end();
});
