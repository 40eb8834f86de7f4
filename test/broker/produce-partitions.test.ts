// A Produce request carrying many partitions: they are appended concurrently (produce.ts), and
// each still gets its own result, in request order: offsets where its records landed, or its own
// error, whatever the other partitions of the request did.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { decodeRecordBatches } from "../../src/protocol/record-batch.ts";
import { tempDir } from "../harness/temp-dir.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";
import { batchOf, decodeText } from "./records.ts";

for (const engine of ["memory", "sqlite"] as const) {
  describe(`one Produce request, many partitions (${engine}://)`, () => {
    let b: InProcessBroker;
    let c: KafkaConnection;

    beforeAll(async () => {
      b = await startInProcessBroker({ autoCreateTopics: false }, engine === "memory" ? "memory://" : `sqlite://${join(tempDir("tansu-produce-"), "t.db")}`);
      c = await b.connect();
      const created = await c.request(ApiKey.CreateTopics, 7, {
        topics: [
          { name: "wide", numPartitions: 8, replicationFactor: -1, assignments: [], configs: [] },
          { name: "compacted", numPartitions: 1, replicationFactor: -1, assignments: [], configs: [{ name: "cleanup.policy", value: "compact" }] },
        ],
        timeoutMs: 1000,
        validateOnly: false,
      });
      expect(created.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    });
    afterAll(() => b.stop());

    async function fetchValues(topic: string, partition: number): Promise<Array<string | null>> {
      const response = await c.request(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, topicId: "00000000-0000-0000-0000-000000000000", partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
        rackId: "",
      });
      const data = response.responses[0]!.partitions[0]!;
      expect(data.errorCode).toBe(ErrorCode.NONE);
      return decodeRecordBatches(data.records!).flatMap((batch) => batch.records.map((r) => decodeText(r.value)));
    }

    test("every partition gets its own offsets or error, in request order", async () => {
      const partitions = [5, 0, 7, 3, 1];
      const response = await c.request(ApiKey.Produce, 11, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [
          {
            name: "wide",
            partitionData: [
              ...partitions.map((p) => ({ index: p, records: batchOf([{ value: `p${p}-a` }, { value: `p${p}-b` }]) })),
              { index: 8, records: batchOf([{ value: "past the last partition" }]) },
              // Named twice: appended after its first batch, in request order.
              { index: 5, records: batchOf([{ value: "p5-c" }]) },
            ],
          },
          { name: "no-such-topic", partitionData: [{ index: 0, records: batchOf([{ value: "x" }]) }] },
          { name: "compacted", partitionData: [{ index: 0, records: batchOf([{ key: null, value: "keyless" }]) }] },
        ],
      });
      expect(response.responses.map((t) => t.name)).toEqual(["wide", "no-such-topic", "compacted"]);
      const [wide, unknown, compacted] = response.responses;
      expect(wide!.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])).toEqual([
        [5, ErrorCode.NONE, 0n],
        [0, ErrorCode.NONE, 0n],
        [7, ErrorCode.NONE, 0n],
        [3, ErrorCode.NONE, 0n],
        [1, ErrorCode.NONE, 0n],
        [8, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
        [5, ErrorCode.NONE, 2n],
      ]);
      expect(unknown!.partitionResponses.map((p) => [p.index, p.errorCode])).toEqual([[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
      expect(compacted!.partitionResponses.map((p) => [p.index, p.errorCode])).toEqual([[0, ErrorCode.INVALID_RECORD]]);

      for (const p of [0, 1, 3, 7]) expect(await fetchValues("wide", p)).toEqual([`p${p}-a`, `p${p}-b`]);
      expect(await fetchValues("wide", 5)).toEqual(["p5-a", "p5-b", "p5-c"]);
      for (const p of [2, 4, 6]) expect(await fetchValues("wide", p)).toEqual([]);
      expect(await fetchValues("compacted", 0)).toEqual([]);
    });

    test("many partitions at once, several requests in flight: offsets stay contiguous per partition", async () => {
      const rounds = 10;
      const requests = Array.from({ length: rounds }, (_, round) =>
        c.request(ApiKey.Produce, 11, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 1000,
          topicData: [{ name: "wide", partitionData: [2, 4, 6].map((p) => ({ index: p, records: batchOf([{ value: `r${round}` }]) })) }],
        }),
      );
      const responses = await Promise.all(requests);
      for (const p of [2, 4, 6]) {
        const offsets = responses.map((r) => r.responses[0]!.partitionResponses.find((x) => x.index === p)!.baseOffset);
        expect(offsets).toEqual(Array.from({ length: rounds }, (_, i) => BigInt(i)));
        expect(await fetchValues("wide", p)).toEqual(Array.from({ length: rounds }, (_, i) => `r${i}`));
      }
    });
  });
}
