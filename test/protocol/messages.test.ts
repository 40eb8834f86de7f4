// Whole-message framing, header versions, and byte layouts worked out by hand from the Kafka
// protocol guide, so a mistake shared by reader and writer cannot hide behind a round trip.

import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { apiVersionsV4, fetchV17, joinGroupV9, metadataV12, Reader as PlatformaticReader } from "@platformatic/kafka";
import {
  MalformedMessageError,
  TruncatedMessageError,
  UnknownApiKeyError,
  UnsupportedVersionError,
} from "../../src/protocol/errors.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import {
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
} from "../../src/protocol/generated/consumer-protocol-subscription.ts";
import { encodeApiVersionsResponse } from "../../src/protocol/generated/api-versions.ts";
import { decodeFetchRequest, encodeFetchResponse } from "../../src/protocol/generated/fetch.ts";
import { decodeJoinGroupRequest } from "../../src/protocol/generated/join-group.ts";
import { decodeMetadataRequest, encodeMetadataResponse } from "../../src/protocol/generated/metadata.ts";
import {
  decodeDescribeTopicPartitionsRequest,
  encodeDescribeTopicPartitionsRequest,
} from "../../src/protocol/generated/describe-topic-partitions.ts";
import {
  decodeRequestBody,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  preloadCodec,
  UnknownRequestApiKeyError,
  UnsupportedRequestVersionError,
} from "../../src/protocol/messages.ts";
import { Reader } from "../../src/protocol/reader.ts";
import { Writer } from "../../src/protocol/writer.ts";

/** Hex with spaces for readability -> bytes. */
function hex(...parts: string[]): Uint8Array {
  const digits = parts.join("").replace(/\s+/g, "");
  return Uint8Array.from(digits.match(/../g)!.map((b) => parseInt(b, 16)));
}

function encodeWith<T>(encode: (w: Writer, v: number, m: T) => void, version: number, m: T): Uint8Array {
  const w = new Writer();
  encode(w, version, m);
  return w.finish();
}

describe("known byte layouts", () => {
  test("ApiVersions v3 request: header v2 keeps a classic client id, body strings are compact", async () => {
    const frame = hex(
      "00000021", // size: 33 bytes follow
      "0012 0003", // api key 18, version 3
      "0000002a", // correlation id 42
      "0004 6b636174", // client id "kcat" as an int16-length string
      "00", // header tagged fields: none
      "0b 6c69627264 6b61666b61", // compact string "librdkafka" (length + 1 = 11)
      "06 322e332e30", // compact string "2.3.0"
      "00", // body tagged fields: none
    );
    const header = { apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 42, clientId: "kcat" };
    const body = { clientSoftwareName: "librdkafka", clientSoftwareVersion: "2.3.0" };
    expect(await encodeRequest(header, body)).toEqual(frame);

    const decoded = decodeRequestHeader(frame.subarray(4));
    expect(decoded).toEqual({ header, bodyOffset: 15 });
    expect(await decodeRequestBody(decoded.header, frame.subarray(4), decoded.bodyOffset)).toEqual(body);
  });

  test("Metadata v0 request: classic array of classic strings", async () => {
    const frame = hex(
      "00000017", // size 23
      "0003 0000 00000001", // Metadata v0, correlation id 1
      "0002 6964", // client id "id"
      "00000002", // two topics
      "0001 61", // "a"
      "0002 6263", // "bc"
    );
    const header = { apiKey: ApiKey.Metadata, apiVersion: 0, correlationId: 1, clientId: "id" };
    expect(await encodeRequest(header, { topics: [{ name: "a" }, { name: "bc" }] })).toEqual(frame);
    const { header: h, bodyOffset } = decodeRequestHeader(frame.subarray(4));
    expect((await decodeRequestBody<3>(h, frame.subarray(4), bodyOffset)).topics).toEqual([
      { topicId: "00000000-0000-0000-0000-000000000000", name: "a" },
      { topicId: "00000000-0000-0000-0000-000000000000", name: "bc" },
    ]);
  });

  test("Produce v9 request: null client id, compact nullable strings and records", async () => {
    const frame = hex(
      "00000021", // size 33
      "0000 0009 00000001", // Produce v9, correlation id 1
      "ffff", // client id null
      "00", // header tagged fields
      "00", // transactional id: compact null
      "ffff", // acks -1
      "00007530", // timeout 30000 ms
      "02", // one topic (compact length + 1)
      "02 74", // name "t"
      "02", // one partition
      "00000000", // index 0
      "04 010203", // records: 3 bytes
      "00 00 00", // partition, topic and body tagged fields
    );
    const header = { apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 1, clientId: null };
    const body = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: "t", partitionData: [{ index: 0, records: new Uint8Array([1, 2, 3]) }] }],
    };
    expect(await encodeRequest(header, body)).toEqual(frame);
    const { header: h, bodyOffset } = decodeRequestHeader(frame.subarray(4));
    expect(h).toEqual(header);
    expect(await decodeRequestBody(h, frame.subarray(4), bodyOffset)).toEqual(body);
  });

  test("ApiVersions v3 response: header v0 even though the body is flexible; tagged fields sorted", async () => {
    const frame = hex(
      "00000027", // size 39
      "00000007", // correlation id; no header tagged fields (ApiVersions always uses header v0)
      "0000", // error code
      "02", // one api key
      "0000 0000 000b 00", // Produce 0..11, element tagged fields
      "00000000", // throttle time
      "02", // two tagged fields
      "00 08 02 0261 0001 0002 00", // tag 0 (SupportedFeatures), 8 bytes: [{ "a", 1, 2 }]
      "01 08 0000000000000005", // tag 1 (FinalizedFeaturesEpoch), 8 bytes: 5
    );
    const body = {
      errorCode: 0,
      apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }],
      throttleTimeMs: 0,
      supportedFeatures: [{ name: "a", minVersion: 1, maxVersion: 2 }],
      finalizedFeaturesEpoch: 5n,
    };
    expect(await encodeResponse(ApiKey.ApiVersions, 3, 7, body)).toEqual(frame);
    expect(await decodeResponse(ApiKey.ApiVersions, 3, frame.subarray(4))).toEqual({
      correlationId: 7,
      body: { ...body, finalizedFeatures: [], zkMigrationReady: false },
    });
  });

  test("Produce v10 response: header v1 and a tagged struct with its own tagged section", async () => {
    const frame = hex(
      "0000003b", // size 59
      "00000009 00", // correlation id 9, header tagged fields
      "02 02 74", // one topic "t"
      "02", // one partition
      "00000000", // index 0
      "0006", // NOT_LEADER_OR_FOLLOWER
      "ffffffffffffffff", // base offset -1
      "ffffffffffffffff", // log append time -1
      "0000000000000000", // log start offset 0
      "01", // record errors: empty compact array
      "00", // error message: null
      "01 00 09 00000002 00000005 00", // 1 tagged field: tag 0, 9 bytes: leader 2, epoch 5, no tags
      "00", // topic tagged fields
      "00000000", // throttle time
      "00", // body tagged fields (node endpoints empty = default, so omitted)
    );
    const body = {
      responses: [
        {
          name: "t",
          partitionResponses: [
            {
              index: 0,
              errorCode: 6,
              baseOffset: -1n,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              recordErrors: [],
              errorMessage: null,
              currentLeader: { leaderId: 2, leaderEpoch: 5 },
            },
          ],
        },
      ],
      throttleTimeMs: 0,
      nodeEndpoints: [],
    };
    expect(await encodeResponse(ApiKey.Produce, 10, 9, body)).toEqual(frame);
    expect(await decodeResponse(ApiKey.Produce, 10, frame.subarray(4))).toEqual({ correlationId: 9, body });
  });

  test("a nullable struct carries an int8 presence marker", () => {
    const withCursor = hex(
      "02 02 74 00", // topics: [{ name "t" }]
      "000007d0", // response partition limit 2000
      "01 02 74 00000003 00", // cursor present: { "t", 3 }
      "00", // tagged fields
    );
    const m = { topics: [{ name: "t" }], responsePartitionLimit: 2000, cursor: { topicName: "t", partitionIndex: 3 } };
    expect(encodeWith(encodeDescribeTopicPartitionsRequest, 0, m)).toEqual(withCursor);
    expect(decodeDescribeTopicPartitionsRequest(new Reader(withCursor), 0)).toEqual(m);

    const withoutCursor = hex("01", "000007d0", "ff", "00");
    const empty = { topics: [], responsePartitionLimit: 2000, cursor: null };
    expect(encodeWith(encodeDescribeTopicPartitionsRequest, 0, empty)).toEqual(withoutCursor);
    expect(decodeDescribeTopicPartitionsRequest(new Reader(withoutCursor), 0)).toEqual(empty);
  });

  test("ConsumerProtocolSubscription v1: classic encoding, nullable bytes, int32 arrays", () => {
    const bytes = hex(
      "00000001 0001 61", // topics ["a"]
      "ffffffff", // user data null
      "00000001 0001 61 00000002 00000000 00000001", // owned partitions [{ "a", [0, 1] }]
    );
    const m = { topics: ["a"], userData: null, ownedPartitions: [{ topic: "a", partitions: [0, 1] }] };
    expect(encodeWith(encodeConsumerProtocolSubscription, 1, m)).toEqual(bytes);
    expect(decodeConsumerProtocolSubscription(new Reader(bytes), 1)).toEqual({ ...m, generationId: -1, rackId: null });
  });
});

describe("request headers", () => {
  test("ControlledShutdown v0 uses header v0: no client id", async () => {
    const frame = hex("0007 0000 0000000b", "00000003");
    const { header, bodyOffset } = decodeRequestHeader(frame);
    expect(header).toEqual({ apiKey: ApiKey.ControlledShutdown, apiVersion: 0, correlationId: 11, clientId: null });
    expect(bodyOffset).toBe(8);
    expect(await decodeRequestBody(header, frame, bodyOffset)).toEqual({ brokerId: 3, brokerEpoch: -1n });
    expect(await encodeRequest(header, { brokerId: 3 })).toEqual(hex("0000000c", "0007 0000 0000000b", "00000003"));
  });

  test("a null client id decodes as null", () => {
    const frame = hex("0012 0000 00000005 ffff");
    expect(decodeRequestHeader(frame).header.clientId).toBeNull();
  });

  test("unknown API keys throw with the header attached", () => {
    const frame = hex("03e7 0000 0000002c 0001 78");
    let error: unknown;
    try {
      decodeRequestHeader(frame);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownApiKeyError);
    expect(error).toBeInstanceOf(UnknownRequestApiKeyError);
    expect((error as UnknownRequestApiKeyError).header).toEqual({
      apiKey: 999,
      apiVersion: 0,
      correlationId: 44,
      clientId: "x",
    });
  });

  test("unsupported versions keep the correlation id recoverable (KIP-511)", () => {
    // A future ApiVersions v99 with a flexible header and a body we cannot know.
    const frame = hex("0012 0063 12345678 0003 636c69 00 deadbeef");
    let error: unknown;
    try {
      decodeRequestHeader(frame);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedVersionError);
    expect(error).toBeInstanceOf(UnsupportedRequestVersionError);
    const e = error as UnsupportedRequestVersionError;
    expect(e.apiVersion).toBe(99);
    expect(e.header).toEqual({ apiKey: 18, apiVersion: 99, correlationId: 0x12345678, clientId: "cli" });
  });

  test("an unsupported version with a garbled client id still yields the correlation id", () => {
    const frame = hex("0012 0063 00000009 7fff 61");
    expect(() => decodeRequestHeader(frame)).toThrow(UnsupportedRequestVersionError);
    try {
      decodeRequestHeader(frame);
    } catch (e) {
      expect((e as UnsupportedRequestVersionError).header).toMatchObject({ correlationId: 9, clientId: null });
    }
  });

  test("truncated headers throw TruncatedMessageError", () => {
    const frame = hex("0012 0003 0000002a 0004 6b636174 00");
    for (let cut = 0; cut < frame.length; cut++) {
      expect(() => decodeRequestHeader(frame.subarray(0, cut))).toThrow(
        expect.objectContaining({ name: "TruncatedMessageError" }),
      );
    }
  });
});

describe("bodies and frames", () => {
  // Captured from librdkafka 2.15.1 (python confluent-kafka list_topics()): an all-topics Metadata v12 whose topic
  // count is still the 4-byte placeholder librdkafka reserves (00000000), so after Kafka reads it as a null compact
  // array, allow_auto_topic_creation, include_topic_authorized_operations and empty tagged fields, 3 bytes
  // (01 00 00) are left. Kafka reads the fields it knows and ignores the rest.
  const LIBRDKAFKA_2_15_ALL_TOPICS = hex("0003 000c 00000003 0007 72646b61666b61 00", "00 00 00 00 00 01 00 00");

  test("bytes after the fields a request version defines are ignored, as Kafka does (librdkafka 2.15's all-topics Metadata)", async () => {
    const { header, bodyOffset } = decodeRequestHeader(LIBRDKAFKA_2_15_ALL_TOPICS);
    expect(header).toEqual({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 3, clientId: "rdkafka" });
    expect(await decodeRequestBody(header, LIBRDKAFKA_2_15_ALL_TOPICS, bodyOffset)).toEqual({
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false, // v8-10 only: the generated default
      includeTopicAuthorizedOperations: false,
    });
  });

  test("a request body cut short is still truncated, wherever the cut falls", async () => {
    const frame = (await encodeRequest({ apiKey: ApiKey.Heartbeat, apiVersion: 4, correlationId: 1, clientId: "c" }, {
      groupId: "group",
      generationId: 1,
      memberId: "member",
      groupInstanceId: "instance",
    })).subarray(4);
    const { header, bodyOffset } = decodeRequestHeader(frame);
    // The last byte is the (empty) tagged fields count: every shorter frame ends inside a field.
    for (let cut = bodyOffset; cut < frame.length; cut++) {
      await expect(decodeRequestBody(header, frame.subarray(0, cut), bodyOffset)).rejects.toThrow(TruncatedMessageError);
    }
  });

  test("trailing bytes after a response body are malformed", async () => {
    const frame = await encodeResponse(ApiKey.Heartbeat, 0, 1, { errorCode: 0 });
    const padded = new Uint8Array(frame.length + 1);
    padded.set(frame);
    await expect(decodeResponse(ApiKey.Heartbeat, 0, padded.subarray(4))).rejects.toThrow(MalformedMessageError);
  });

  test("a hostile array length in a small request fails fast as truncated", async () => {
    // Metadata v1: 2^31-1 topics announced in a 20-byte frame.
    const frame = hex("0003 0001 00000001 ffff", "7fffffff", "00000000 00000000");
    const { header, bodyOffset } = decodeRequestHeader(frame);
    await expect(decodeRequestBody(header, frame, bodyOffset)).rejects.toThrow(TruncatedMessageError);
  });

  test("frames that are views into a larger buffer decode at their own offset", async () => {
    const frame = await encodeRequest({ apiKey: ApiKey.Heartbeat, apiVersion: 4, correlationId: 3, clientId: "c" }, {
      groupId: "g",
      generationId: 7,
      memberId: "m",
      groupInstanceId: null,
    });
    const backing = new Uint8Array(frame.length + 13).fill(0xee);
    backing.set(frame, 9);
    const view = backing.subarray(13, 9 + frame.length);
    const { header, bodyOffset } = decodeRequestHeader(view);
    expect(header).toEqual({ apiKey: ApiKey.Heartbeat, apiVersion: 4, correlationId: 3, clientId: "c" });
    expect(await decodeRequestBody(header, view, bodyOffset)).toEqual({
      groupId: "g",
      generationId: 7,
      memberId: "m",
      groupInstanceId: null,
    });
  });

  test("encoding outside the generated version range or for an unknown key throws", async () => {
    await expect(encodeResponse(ApiKey.Produce, 99, 1, {})).rejects.toThrow(UnsupportedVersionError);
    await expect(encodeResponse(999, 0, 1, {})).rejects.toThrow(UnknownApiKeyError);
    await expect(encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: -1, correlationId: 1, clientId: null }, {})).rejects.toThrow(
      UnsupportedVersionError,
    );
  });

  test("responses use header v1 for flexible versions and v0 for classic ones", async () => {
    expect(await encodeResponse(ApiKey.Heartbeat, 4, 5, { errorCode: 0 })).toEqual(
      hex("0000000c", "00000005 00", "00000000 0000 00"),
    );
    expect(await encodeResponse(ApiKey.Heartbeat, 0, 5, { errorCode: 0 })).toEqual(hex("00000006", "00000005", "0000"));
  });
});

// Independent client implementations: bytes their encoders produce must decode to what they meant,
// and bytes we produce must parse in their decoders. @platformatic/kafka speaks the flexible
// versions, kafkajs the classic ones.
describe("agreement with real client codecs", () => {
  const require = createRequire(import.meta.url);
  const ZERO = "00000000-0000-0000-0000-000000000000";
  const TOPIC_ID = "01234567-89ab-cdef-0123-456789abcdef";

  test("@platformatic/kafka Metadata v12 request", () => {
    const bytes = new Uint8Array(metadataV12.createRequest(["a", "b"], false, true).buffer);
    expect(decodeMetadataRequest(new Reader(bytes), 12)).toEqual({
      topics: [
        { topicId: ZERO, name: "a" },
        { topicId: ZERO, name: "b" },
      ],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: true,
    });
  });

  test("@platformatic/kafka Fetch v17 request with a tagged replica directory id", () => {
    const partition = {
      partition: 3,
      currentLeaderEpoch: 4,
      fetchOffset: 5n,
      lastFetchedEpoch: 6,
      partitionMaxBytes: 1000,
      replicaDirectoryId: "11111111-2222-3333-4444-555555555555",
    };
    const request = fetchV17.createRequest(500, 1, 2000, 1, 7, 8, [{ topicId: TOPIC_ID, partitions: [partition] }], [], "rack-1");
    const decoded = decodeFetchRequest(new Reader(new Uint8Array(request.buffer)), 17);
    expect(decoded).toMatchObject({ maxWaitMs: 500, minBytes: 1, maxBytes: 2000, isolationLevel: 1, sessionId: 7 });
    expect(decoded).toMatchObject({ sessionEpoch: 8, forgottenTopicsData: [], rackId: "rack-1" });
    expect(decoded.topics).toEqual([
      {
        topic: "",
        topicId: TOPIC_ID,
        partitions: [
          {
            partition: 3,
            currentLeaderEpoch: 4,
            fetchOffset: 5n,
            lastFetchedEpoch: 6,
            logStartOffset: -1n,
            partitionMaxBytes: 1000,
            replicaDirectoryId: partition.replicaDirectoryId,
          },
        ],
      },
    ]);
  });

  test("@platformatic/kafka parses our Fetch v17 response, tagged structs included", () => {
    const w = new Writer();
    const partition = {
      partitionIndex: 2,
      errorCode: 0,
      highWatermark: 10n,
      lastStableOffset: 9n,
      logStartOffset: 1n,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: null,
      divergingEpoch: { epoch: 2, endOffset: 7n },
      currentLeader: { leaderId: 1, leaderEpoch: 3 },
    };
    const nodeEndpoints = [{ nodeId: 1, host: "broker-1", port: 9092, rack: null }];
    encodeFetchResponse(w, 17, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 9,
      responses: [{ topicId: TOPIC_ID, partitions: [partition] }],
      nodeEndpoints,
    });
    const parsed = fetchV17.parseResponse(0, 1, 17, PlatformaticReader.from(Buffer.from(w.finish())));
    expect(parsed.sessionId).toBe(9);
    expect(parsed.nodeEndpoints).toEqual(nodeEndpoints);
    expect(parsed.responses).toEqual([
      {
        topicId: TOPIC_ID,
        partitions: [{ ...partition, snapshotId: { endOffset: -1n, epoch: -1 } }],
      },
    ]);
  });

  test("@platformatic/kafka parses our ApiVersions v4 response with supported features", () => {
    const w = new Writer();
    encodeApiVersionsResponse(w, 4, {
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 0,
      supportedFeatures: [{ name: "kraft.version", minVersion: 0, maxVersion: 1 }],
    });
    const parsed = apiVersionsV4.parseResponse(0, 18, 4, PlatformaticReader.from(Buffer.from(w.finish())));
    expect(parsed.apiKeys).toEqual([{ apiKey: 18, name: "ApiVersions", minVersion: 0, maxVersion: 4 }]);
    expect(parsed.supportedFeatures).toEqual([{ name: "kraft.version", minVersion: 0, maxVersion: 1 }]);
  });

  test("@platformatic/kafka JoinGroup v9 request", () => {
    const metadata = Buffer.from([0, 1, 2]);
    const bytes = new Uint8Array(
      joinGroupV9.createRequest("group", 30000, 60000, "", null, "consumer", [{ name: "range", metadata }], "why")
        .buffer,
    );
    expect(decodeJoinGroupRequest(new Reader(bytes), 9)).toEqual({
      groupId: "group",
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 60000,
      memberId: "",
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: new Uint8Array([0, 1, 2]) }],
      reason: "why",
    });
  });

  test("kafkajs Metadata v6 request and response", async () => {
    const request = require("kafkajs/src/protocol/requests/metadata/v6/request.js");
    const encoded = await request({ topics: ["x", "yz"], allowAutoTopicCreation: false }).encode();
    expect(decodeMetadataRequest(new Reader(new Uint8Array(encoded.buffer)), 6)).toMatchObject({
      topics: [{ name: "x" }, { name: "yz" }],
      allowAutoTopicCreation: false,
    });

    const w = new Writer();
    encodeMetadataResponse(w, 6, {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: "h", port: 9092, rack: "r" }],
      clusterId: "c",
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: "x",
          isInternal: false,
          partitions: [
            { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: [2] },
          ],
        },
      ],
    });
    const response = require("kafkajs/src/protocol/requests/metadata/v6/response.js");
    expect(await response.decode(Buffer.from(w.finish()))).toMatchObject({
      brokers: [{ nodeId: 1, host: "h", port: 9092, rack: "r" }],
      clusterId: "c",
      controllerId: 1,
      topicMetadata: [
        {
          topicErrorCode: 0,
          topic: "x",
          isInternal: false,
          partitionMetadata: [
            { partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1, 2], isr: [1], offlineReplicas: [2] },
          ],
        },
      ],
    });
  });
});

test("a codec preloaded ahead of its first use serves it, and an unknown API key preloads nothing", async () => {
  preloadCodec(ApiKey.ApiVersions);
  preloadCodec(9999);
  const frame = await encodeResponse(ApiKey.ApiVersions, 0, 7, { errorCode: 0, apiKeys: [], throttleTimeMs: 0 });
  expect(new DataView(frame.buffer, frame.byteOffset).getInt32(4)).toBe(7);
});
