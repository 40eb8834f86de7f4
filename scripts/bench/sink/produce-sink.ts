// A Kafka listener that answers Produce without storing anything: the ceiling a client reaches
// when the broker costs nothing, for telling a client's limits from the broker's
// (scripts/bench/client-ceiling.ts). It speaks just enough of the protocol for a producer:
// ApiVersions, Metadata (every topic asked for exists with --partitions partitions, led by this
// listener) and Produce (every partition accepted at increasing offsets; record bytes are never
// looked at). Requests on a connection are answered in order, as a broker does.
//
//   bun scripts/bench/sink/produce-sink.ts --port PORT [--partitions N]
import type { Socket } from "bun";
import { FrameReader } from "../../../src/protocol/frame-reader.ts";
import { ApiKey } from "../../../src/protocol/generated/apis.ts";
import type { MetadataRequest } from "../../../src/protocol/generated/metadata.ts";
import type { ProduceRequest } from "../../../src/protocol/generated/produce.ts";
import { decodeRequestBody, decodeRequestHeader, encodeResponse, type RequestHeader } from "../../../src/protocol/messages.ts";

function option(name: string, fallback?: string): string {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? process.argv[at + 1] : fallback;
  if (value === undefined) throw new Error(`produce-sink needs ${name}`);
  return value;
}

const port = Number(option("--port"));
const partitions = Number(option("--partitions", "1"));
const NODE_ID = 1;
const ADVERTISED = { apiKeys: [
  { apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 11 },
  { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 12 },
  { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
] };
/** Next offset per topic-partition, so clients see offsets move as they would on a broker. */
const offsets = new Map<string, bigint>();

function metadata(request: MetadataRequest) {
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: NODE_ID, host: "127.0.0.1", port, rack: null }],
    clusterId: "produce-sink",
    controllerId: NODE_ID,
    topics: (request.topics ?? []).map((t) => ({
      errorCode: 0,
      name: t.name,
      topicId: "00000000-0000-0000-0000-000000000001",
      isInternal: false,
      partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({
        errorCode: 0,
        partitionIndex,
        leaderId: NODE_ID,
        leaderEpoch: 0,
        replicaNodes: [NODE_ID],
        isrNodes: [NODE_ID],
        offlineReplicas: [],
      })),
      topicAuthorizedOperations: -2147483648,
    })),
  };
}

function produce(request: ProduceRequest) {
  return {
    throttleTimeMs: 0,
    responses: request.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => {
        const key = `${t.name}\u0000${p.index}`;
        const baseOffset = offsets.get(key) ?? 0n;
        // The record count of a v2 batch is its last 4 header bytes; one batch per partition.
        const records = p.records && p.records.byteLength >= 61 ? new DataView(p.records.buffer, p.records.byteOffset).getInt32(57) : 0;
        offsets.set(key, baseOffset + BigInt(records));
        return { index: p.index, errorCode: 0, baseOffset, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null };
      }),
    })),
  };
}

async function answer(header: RequestHeader, frame: Uint8Array, bodyOffset: number): Promise<Uint8Array | null> {
  if (header.apiKey === ApiKey.ApiVersions) {
    return encodeResponse(ApiKey.ApiVersions, Math.min(header.apiVersion, 3), header.correlationId, { errorCode: 0, ...ADVERTISED, throttleTimeMs: 0 });
  }
  const body = await decodeRequestBody(header, frame, bodyOffset);
  if (header.apiKey === ApiKey.Metadata) return encodeResponse(ApiKey.Metadata, header.apiVersion, header.correlationId, metadata(body as MetadataRequest));
  if (header.apiKey === ApiKey.Produce) {
    const response = produce(body as ProduceRequest);
    return (body as ProduceRequest).acks === 0 ? null : encodeResponse(ApiKey.Produce, header.apiVersion, header.correlationId, response);
  }
  throw new Error(`produce-sink does not serve API ${header.apiKey}`);
}

interface Connection {
  frames: FrameReader;
  queue: Promise<void>;
  unwritten: Uint8Array[];
}

function write(socket: Socket<Connection>, bytes: Uint8Array): void {
  const unwritten = socket.data.unwritten;
  if (unwritten.length === 0) {
    const taken = socket.write(bytes);
    if (taken >= bytes.byteLength) return;
    bytes = bytes.subarray(Math.max(taken, 0));
  }
  unwritten.push(bytes);
}

Bun.listen<Connection>({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(socket) {
      socket.data = { frames: new FrameReader(), queue: Promise.resolve(), unwritten: [] };
    },
    data(socket, chunk) {
      for (const frame of socket.data.frames.push(chunk)) {
        const owned = frame.buffer === chunk.buffer ? new Uint8Array(frame) : frame;
        socket.data.queue = socket.data.queue.then(async () => {
          const { header, bodyOffset } = decodeRequestHeader(owned);
          const response = await answer(header, owned, bodyOffset);
          if (response) write(socket, response);
        });
      }
    },
    drain(socket) {
      const unwritten = socket.data.unwritten;
      while (unwritten.length > 0) {
        const taken = socket.write(unwritten[0]!);
        if (taken < unwritten[0]!.byteLength) {
          unwritten[0] = unwritten[0]!.subarray(Math.max(taken, 0));
          return;
        }
        unwritten.shift();
      }
    },
  },
});
console.log(`produce-sink listening on 127.0.0.1:${port}`);
