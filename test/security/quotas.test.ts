// Client quotas: Kafka's rate arithmetic, which quota applies to whom, and the quota APIs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { applicableQuota, describeQuotas, type QuotaEntry } from "../../src/security/quota-config.ts";
import { ClientQuotas, RateSensor } from "../../src/security/quota-enforcer.ts";
import { startInProcessBroker, type InProcessBroker } from "../broker/in-process-broker.ts";
import { batchOf } from "../broker/records.ts";

describe("RateSensor", () => {
  test("a rate is measured over at least quota.window.num - 1 windows; the throttle brings it back to the bound", () => {
    const sensor = new RateSensor({ samples: 11, windowMs: 1000 });
    // 1000 bytes at once: 1000 B over the minimum 10 s is 100 B/s, at the bound.
    expect(sensor.record(1000, 0, 100)).toBe(0);
    // 1100 B over 10 s is 110 B/s: 10% over, so 10% of the 10 s window.
    expect(sensor.record(100, 0, 100)).toBe(1000);
  });

  test("old windows age out", () => {
    const sensor = new RateSensor({ samples: 2, windowMs: 1000 });
    expect(sensor.record(300, 0, 100)).toBe(2000);
    expect(sensor.record(50, 2500, 100)).toBe(0);
  });
});

describe("applicableQuota", () => {
  const q = (entity: QuotaEntry["entity"], value: number): QuotaEntry => ({ entity, values: { producer_byte_rate: value } });
  const all = [
    q({ "client-id": null }, 8),
    q({ "client-id": "app" }, 7),
    q({ user: null }, 6),
    q({ user: null, "client-id": null }, 5),
    q({ user: "alice" }, 3),
    q({ user: "alice", "client-id": "app" }, 1),
  ];
  test("Kafka's precedence, most specific first, with the metric tags of the entity that matched", () => {
    expect(applicableQuota(all, "producer_byte_rate", "alice", "app")).toEqual({ bound: 1, tags: ["alice", "app"] });
    expect(applicableQuota(all, "producer_byte_rate", "alice", "other")).toEqual({ bound: 3, tags: ["alice", ""] });
    expect(applicableQuota(all, "producer_byte_rate", "bob", "app")).toEqual({ bound: 5, tags: ["bob", "app"] });
    expect(applicableQuota(all.filter((e) => !("user" in e.entity)), "producer_byte_rate", "bob", "app")).toEqual({ bound: 7, tags: ["", "app"] });
    expect(applicableQuota(all.filter((e) => !("user" in e.entity)), "producer_byte_rate", "bob", "x")).toEqual({ bound: 8, tags: ["", "x"] });
    expect(applicableQuota(all, "consumer_byte_rate", "alice", "app")).toBeNull();
  });

  test("DescribeClientQuotas filters: exact, default, specified, strict", () => {
    const names = (components: Parameters<typeof describeQuotas>[1], strict = false) =>
      describeQuotas(all, components, strict).map((e) => e.values.producer_byte_rate);
    expect(names([{ entityType: "user", matchType: 0, match: "alice" }])).toEqual([3, 1]);
    expect(names([{ entityType: "user", matchType: 0, match: "alice" }], true)).toEqual([3]);
    expect(names([{ entityType: "user", matchType: 1, match: null }])).toEqual([6, 5]);
    expect(names([{ entityType: "client-id", matchType: 2, match: null }], true)).toEqual([8, 7]);
    expect(() => names([{ entityType: "ip", matchType: 2, match: null }, { entityType: "user", matchType: 2, match: null }])).toThrow(/IP filter component/);
  });
});

describe("AlterClientQuotas and DescribeClientQuotas, and throttle_time_ms", () => {
  let b: InProcessBroker;
  let c: KafkaConnection;
  beforeAll(async () => {
    b = await startInProcessBroker({}, "memory://", 0, async (storage) => ({
      saslMechanisms: [],
      saslSession: () => {
        throw new Error("no SASL");
      },
      authenticatePassword: async () => null,
      authorizer: null,
      quotas: new ClientQuotas(storage, 0, { samples: 2, windowMs: 1000 }),
    }));
    c = await b.connect();
  });
  afterAll(() => b.stop());

  test("validation as Kafka's controller, then values stored, described and removed", async () => {
    const alter = (entries: Array<{ entity: Array<{ entityType: string; entityName: string | null }>; ops: Array<{ key: string; value: number; remove: boolean }> }>) =>
      c.request(ApiKey.AlterClientQuotas, 1, { entries, validateOnly: false });
    const result = await alter([
      { entity: [{ entityType: "client-id", entityName: "test" }], ops: [{ key: "producer_byte_rate", value: 1000, remove: false }] },
      { entity: [{ entityType: "user", entityName: null }], ops: [{ key: "request_percentage", value: 12.5, remove: false }] },
      { entity: [{ entityType: "user", entityName: "a" }], ops: [{ key: "no_such_quota", value: 1, remove: false }] },
      { entity: [{ entityType: "user", entityName: "a" }], ops: [{ key: "producer_byte_rate", value: 1.5, remove: false }] },
      { entity: [{ entityType: "ip", entityName: "1.2.3.4" }, { entityType: "user", entityName: "a" }], ops: [] },
      { entity: [{ entityType: "group", entityName: "a" }], ops: [] },
    ]);
    expect(result.entries.map((e) => e.errorCode)).toEqual([0, 0, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    const described = await c.request(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false });
    expect(described.entries).toEqual([
      { entity: [{ entityType: "client-id", entityName: "test" }], values: [{ key: "producer_byte_rate", value: 1000 }] },
      { entity: [{ entityType: "user", entityName: null }], values: [{ key: "request_percentage", value: 12.5 }] },
    ]);
    await alter([{ entity: [{ entityType: "user", entityName: null }], ops: [{ key: "request_percentage", value: 0, remove: true }] }]);
    expect((await c.request(ApiKey.DescribeClientQuotas, 1, { components: [{ entityType: "user", matchType: 1, match: null }], strict: false })).entries).toEqual([]);
  });

  test("mayThrottle: only a request some quota applies to can be throttled", async () => {
    // Left by the test above: producer_byte_rate for client id "test" only.
    const quotas = b.ctx.security!.quotas!;
    const produce = { principal: "User:ANONYMOUS", apiKey: ApiKey.Produce };
    expect(await quotas.mayThrottle({ ...produce, clientId: "test" })).toBe(true);
    expect(await quotas.mayThrottle({ ...produce, clientId: "other" })).toBe(false);
    expect(await quotas.mayThrottle({ ...produce, clientId: "test", apiKey: ApiKey.ApiVersions })).toBe(false);
  });

  test("a client over its quota is told to back off in throttle_time_ms", async () => {
    // The connection's client id is "test", whose producer_byte_rate is 1000 B/s.
    const produce = () =>
      c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: "quota-topic", partitionData: [{ index: 0, records: new Uint8Array(4000) }] }] });
    const throttle = (await produce())!.throttleTimeMs;
    // About 4000 B over the minimum window of 1 s at 1000 B/s: some three seconds.
    expect(throttle).toBeGreaterThan(2000);
    expect(throttle).toBeLessThan(4000);
  });

  test("consumer_byte_rate: a Fetch is capped at what the quota allows; a throttled one is answered empty, then served", async () => {
    const reader = await KafkaConnection.connect(b.address, "reader");
    const writer = await KafkaConnection.connect(b.address, "writer");
    try {
      const altered = await c.request(ApiKey.AlterClientQuotas, 1, {
        entries: [{ entity: [{ entityType: "client-id", entityName: "reader" }], ops: [{ key: "consumer_byte_rate", value: 3000, remove: false }] }],
        validateOnly: false,
      });
      expect(altered.entries[0]!.errorCode).toBe(ErrorCode.NONE);
      const created = await writer.request(ApiKey.CreateTopics, 7, {
        topics: [{ name: "quota-fetch", numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false,
      });
      expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
      // Three batches of about 1,100 bytes, each its own Produce.
      for (let i = 0; i < 3; i++) {
        const produced = await writer.request(ApiKey.Produce, 9, {
          transactionalId: null, acks: -1, timeoutMs: 1000,
          topicData: [{ name: "quota-fetch", partitionData: [{ index: 0, records: batchOf([{ value: `${i}`.repeat(1000) }]) }] }],
        });
        expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
      }
      const fetch = () =>
        reader.request(ApiKey.Fetch, 12, {
          replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic: "quota-fetch", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
          forgottenTopicsData: [], rackId: "",
        });
      // 3000 B/s over the one window these quotas keep (samples 2 of 1 s): no Fetch returns more than 3000 bytes.
      const first = await fetch();
      expect(first.throttleTimeMs).toBe(0);
      const records = first.responses[0]!.partitions[0]!.records!;
      expect(records.byteLength).toBeGreaterThan(2000);
      expect(records.byteLength).toBeLessThanOrEqual(3000);
      // The same again at once is over the rate: throttled, with no data, as Kafka answers.
      const second = await fetch();
      expect(second.throttleTimeMs).toBeGreaterThan(0);
      expect(second.responses).toEqual([]);
      // Fetched again after the throttle (the connection was muted meanwhile), the data comes: the empty answer's
      // bytes were not counted. A few rounds at most, however the windows fall.
      let served = second;
      for (let round = 0; round < 10 && served.responses.length === 0; round++) served = await fetch();
      expect(served.responses[0]!.partitions[0]!.records!.byteLength).toBe(records.byteLength);
    } finally {
      reader.close();
      writer.close();
    }
  });
});
