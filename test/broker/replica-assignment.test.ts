// CreateTopics and CreatePartitions with manual replica assignments, answered as Kafka's KRaft controller
// (ReplicationControlManager) answers them: node ids this broker reports are accepted, everything Kafka
// refuses is refused with Kafka's error code and message. librdkafka end to end in
// test/integration/librdkafka-compat.test.ts.
import { describe, expect, test } from "bun:test";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { partitionAssignmentError } from "../../src/broker/replica-assignment.ts";
import { connectionForFile } from "./in-process-broker.ts";

const NODE = 111;
const c = connectionForFile({ nodeId: NODE });

type Assignment = { partitionIndex: number; brokerIds: number[] };

async function createAssigned(name: string, assignments: Assignment[], opts: { numPartitions?: number; replicationFactor?: number; validateOnly?: boolean } = {}) {
  const r = await c().request(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: opts.numPartitions ?? -1, replicationFactor: opts.replicationFactor ?? -1, assignments, configs: [] }],
    timeoutMs: 1000,
    validateOnly: opts.validateOnly ?? false,
  });
  return r.topics[0]!;
}

const partitionCount = async (name: string) =>
  (await c().request(ApiKey.Metadata, 12, { topics: [{ name, topicId: "00000000-0000-0000-0000-000000000000" }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }))
    .topics[0]!;

const assign = (...replicas: number[][]): Assignment[] => replicas.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds }));

describe("CreateTopics with an assignment", () => {
  test("replicas naming this broker create the topic with one partition per assignment", async () => {
    const created = await createAssigned("ra-ok", assign([NODE], [NODE], [NODE]));
    expect(created).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null, numPartitions: 3, replicationFactor: 1 });
    const metadata = await partitionCount("ra-ok");
    expect(metadata.partitions.map((p) => [p.partitionIndex, p.replicaNodes])).toEqual([[0, [NODE]], [1, [NODE]], [2, [NODE]]]);
  });

  test("assignments may come in any order as long as they number the partitions from 0 without gaps", async () => {
    const created = await createAssigned("ra-unordered", [{ partitionIndex: 1, brokerIds: [NODE] }, { partitionIndex: 0, brokerIds: [NODE] }]);
    expect(created).toMatchObject({ errorCode: ErrorCode.NONE, numPartitions: 2 });
  });

  test("validate-only checks the assignment and creates nothing", async () => {
    expect(await createAssigned("ra-dry", assign([NODE]), { validateOnly: true })).toMatchObject({ errorCode: ErrorCode.NONE, numPartitions: 1 });
    expect((await partitionCount("ra-dry")).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await createAssigned("ra-dry", assign([NODE + 1]), { validateOnly: true })).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT });
  });

  const refusals: Array<[string, () => ReturnType<typeof createAssigned>, number, string]> = [
    [
      "a replication factor besides the assignment",
      () => createAssigned("ra-rf", assign([NODE]), { replicationFactor: 1 }),
      ErrorCode.INVALID_REQUEST,
      "A manual partition assignment was specified, but replication factor was not set to -1.",
    ],
    [
      "a partition count besides the assignment",
      () => createAssigned("ra-count", assign([NODE]), { numPartitions: 1 }),
      ErrorCode.INVALID_REQUEST,
      "A manual partition assignment was specified, but numPartitions was not set to -1.",
    ],
    [
      "a node id no broker has",
      () => createAssigned("ra-unknown", assign([NODE], [7])),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      "The manual partition assignment includes broker 7, but no such broker is registered.",
    ],
    [
      "a replica named twice",
      () => createAssigned("ra-twice", assign([NODE, NODE])),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes the broker ${NODE} more than once.`,
    ],
    [
      "an empty replica list",
      () => createAssigned("ra-empty", assign([])),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      "The manual partition assignment includes an empty replica list.",
    ],
    [
      "a partition assigned twice",
      () => createAssigned("ra-dup", [{ partitionIndex: 0, brokerIds: [NODE] }, { partitionIndex: 0, brokerIds: [NODE] }]),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      "Found multiple manual partition assignments for partition 0",
    ],
    [
      "a gap in the partition numbers",
      () => createAssigned("ra-gap", [{ partitionIndex: 0, brokerIds: [NODE] }, { partitionIndex: 2, brokerIds: [NODE] }]),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      "partitions should be a consecutive 0-based integer sequence",
    ],
    [
      "partitions not starting at 0",
      () => createAssigned("ra-from-1", [{ partitionIndex: 1, brokerIds: [NODE] }]),
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      "partitions should be a consecutive 0-based integer sequence",
    ],
  ];
  for (const [what, attempt, errorCode, errorMessage] of refusals) {
    test(`refused: ${what}`, async () => {
      const result = await attempt();
      expect(result).toMatchObject({ errorCode, errorMessage, numPartitions: -1 });
      expect((await partitionCount(result.name)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });
  }

  test("an existing topic is reported as existing before its assignment is looked at, as Kafka does", async () => {
    await createAssigned("ra-exists", assign([NODE]));
    expect(await createAssigned("ra-exists", assign([7]))).toMatchObject({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS });
  });
});

describe("CreatePartitions with an assignment", () => {
  const grow = (name: string, count: number, assignments: Array<{ brokerIds: number[] }> | null, validateOnly = false) =>
    c().request(ApiKey.CreatePartitions, 3, { topics: [{ name, count, assignments }], timeoutMs: 1000, validateOnly }).then((r) => r.results[0]!);

  test("one replica list per new partition, naming this broker", async () => {
    await createAssigned("rp-ok", assign([NODE]));
    expect(await grow("rp-ok", 3, [{ brokerIds: [NODE] }, { brokerIds: [NODE] }])).toEqual({ name: "rp-ok", errorCode: ErrorCode.NONE, errorMessage: null });
    expect((await partitionCount("rp-ok")).partitions.length).toBe(3);
  });

  const refusals: Array<[string, number, Array<{ brokerIds: number[] }> | null, number, string]> = [
    ["fewer assignments than new partitions", 3, [{ brokerIds: [NODE] }], ErrorCode.INVALID_REPLICA_ASSIGNMENT, "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified."],
    ["a node id no broker has", 2, [{ brokerIds: [5] }], ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes broker 5, but no such broker is registered."],
    ["an empty replica list", 2, [{ brokerIds: [] }], ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes an empty replica list."],
    ["the current count", 1, null, ErrorCode.INVALID_PARTITIONS, "Topic already has 1 partition(s)."],
    ["fewer partitions", 0, null, ErrorCode.INVALID_PARTITIONS, "The topic rp-refused currently has 1 partition(s); 0 would not be an increase."],
  ];
  for (const [what, count, assignments, errorCode, errorMessage] of refusals) {
    test(`refused: ${what}`, async () => {
      if ((await partitionCount("rp-refused")).errorCode !== ErrorCode.NONE) await createAssigned("rp-refused", assign([NODE]));
      expect(await grow("rp-refused", count, assignments)).toEqual({ name: "rp-refused", errorCode, errorMessage });
      expect((await partitionCount("rp-refused")).partitions.length).toBe(1);
    });
  }

  test("a topic named twice in one request is refused once, with INVALID_REQUEST, and not grown", async () => {
    await createAssigned("rp-twice", assign([NODE]));
    const r = await c().request(ApiKey.CreatePartitions, 3, {
      topics: [{ name: "rp-twice", count: 2, assignments: null }, { name: "rp-twice", count: 3, assignments: null }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(r.results).toEqual([{ name: "rp-twice", errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Duplicate topic name." }]);
    expect((await partitionCount("rp-twice")).partitions.length).toBe(1);
  });
});

test("every partition must have as many replicas as the ones before it (seen with two known node ids)", () => {
  const nodes = new Set([1, 2]);
  expect(partitionAssignmentError([2, 1], nodes, 2)).toBeNull();
  expect(partitionAssignmentError([1], nodes, 2)).toEqual({
    errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    message: "The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).",
  });
});
