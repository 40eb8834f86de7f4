// The console under the broker's authorization, through the compiled binary with SASL and
// --authorizer acl: HTTP Basic against the users' SCRAM credentials in the store, then exactly what
// the Kafka APIs would show the principal: topics it may DESCRIBE (configs with DESCRIBE_CONFIGS),
// records it may READ, groups it may DESCRIBE; 401 without valid credentials, 403 for a single
// resource refused, hidden in lists; a super user sees everything.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { AclOperation as Op, AclPermissionType, PatternType, ResourceType as Res } from "../../src/protocol/acl-codes.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { batchOf } from "../broker/records.ts";
import { BROKER_BINARY, freePort, startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { runChecked } from "../harness/run.ts";

let broker: RunningBroker;
let http: string;
let admin: KafkaConnection;

const basic = (user: string, password = `${user}-pw`) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${http}${path}`, { headers });
async function body(path: string, user: string, status = 200): Promise<any> {
  const response = await get(path, basic(user));
  expect(response.status).toBe(status);
  return response.json();
}

async function allow(principal: string, resourceType: number, resourceName: string, operation: number) {
  const creation = { resourceType, resourceName, resourcePatternType: PatternType.LITERAL, principal, host: "*", operation, permissionType: AclPermissionType.ALLOW };
  expect((await admin.request(ApiKey.CreateAcls, 3, { creations: [creation] })).results[0]!.errorCode).toBe(ErrorCode.NONE);
}

beforeAll(async () => {
  const storage = `sqlite://${join(tempDir("tansu-console-access-"), "tansu.db")}`;
  for (const user of ["admin", "dora"]) await runChecked([BROKER_BINARY, "user", "create", user, "--password", `${user}-pw`, "--storage-engine", storage]);
  http = `http://127.0.0.1:${freePort()}`;
  broker = await startBroker({ storage, args: ["--sasl-mechanisms", "SCRAM-SHA-256", "--authorizer", "acl", "--super-users", "User:admin", "--http-listener-url", http] });
  admin = await KafkaConnection.connect(broker.url, "console-access-admin", { sasl: { mechanism: "SCRAM-SHA-256", username: "admin", password: "admin-pw" } });
  const created = await admin.request(ApiKey.CreateTopics, 7, {
    topics: ["visible", "secret"].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 1000,
    validateOnly: false,
  });
  expect(created.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  const produced = await admin.request(ApiKey.Produce, 11, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: ["visible", "secret"].map((name) => ({ name, partitionData: [{ index: 0, records: batchOf([{ value: `${name}-record` }]) }] })),
  });
  expect(produced.responses.map((r) => r.partitionResponses[0]!.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  // Two groups with offsets committed on both topics.
  for (const groupId of ["dora-group", "other-group"]) {
    const committed = await admin.request(ApiKey.OffsetCommit, 8, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: ["visible", "secret"].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] })),
    });
    expect(committed.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  }
  await allow("User:dora", Res.TOPIC, "visible", Op.DESCRIBE);
  await allow("User:dora", Res.GROUP, "dora-group", Op.DESCRIBE);
}, 60_000);
afterAll(async () => {
  admin?.close();
  await broker?.stop();
});

test("without valid credentials every page and endpoint answers 401 with a Basic challenge", async () => {
  for (const [path, headers] of [
    ["/ui/", {}],
    ["/ui/api/topics", {}],
    ["/ui/api/cluster", basic("dora", "wrong")],
    ["/ui/api/topics", basic("nobody")],
    ["/ui/api/topics", { authorization: "Bearer x" }],
  ] as Array<[string, Record<string, string>]>) {
    const response = await get(path, headers);
    expect([path, response.status, response.headers.get("www-authenticate")]).toEqual([path, 401, 'Basic realm="tansu console", charset="UTF-8"']);
  }
  const page = await get("/ui/", basic("dora"));
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("<html");
});

describe("a user with DESCRIBE on one topic and one group", () => {
  test("sees only that topic, without its configs, and is refused the other", async () => {
    expect((await body("/ui/api/cluster", "dora")).storage).toBe("sqlite");
    expect(await body("/ui/api/topics", "dora")).toEqual([{ name: "visible", id: expect.any(String), partitions: 1, configs: null }]);
    const visible = await body("/ui/api/topics/visible", "dora");
    expect([visible.partitions[0].highWatermark, visible.configs]).toEqual(["1", null]);
    expect(await body("/ui/api/topics/secret", "dora", 403)).toEqual({ error: "not authorized" });
    // A refusal says nothing of whether the topic exists.
    expect(await body("/ui/api/topics/no-such-topic", "dora", 403)).toEqual({ error: "not authorized" });
  });

  test("the record browser needs READ on the topic", async () => {
    expect(await body("/ui/api/topics/visible/partitions/0/records", "dora", 403)).toEqual({ error: "not authorized" });
    await allow("User:dora", Res.TOPIC, "visible", Op.READ);
    const page = await body("/ui/api/topics/visible/partitions/0/records", "dora");
    expect(page.records.map((r: any) => r.value.text)).toEqual(["visible-record"]);
    expect(await body("/ui/api/topics/secret/partitions/0/records", "dora", 403)).toEqual({ error: "not authorized" });
  });

  test("sees only that group, with offsets of the topics it may describe", async () => {
    expect((await body("/ui/api/groups", "dora")).map((g: any) => g.groupId)).toEqual(["dora-group"]);
    const group = await body("/ui/api/groups/dora-group", "dora");
    expect(group.offsets.map((o: any) => [o.topic, o.committedOffset])).toEqual([["visible", "1"]]);
    expect(await body("/ui/api/groups/other-group", "dora", 403)).toEqual({ error: "not authorized" });
  });

  test("a share group whose member is assigned a topic the user may not describe is refused, as ShareGroupDescribe refuses it", async () => {
    const joined = await admin.request(ApiKey.ShareGroupHeartbeat, 1, { groupId: "share-group", memberId: "m1", memberEpoch: 0, rackId: null, subscribedTopicNames: ["visible", "secret"] });
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    await allow("User:dora", Res.GROUP, "share-group", Op.DESCRIBE);
    expect(await body("/ui/api/groups/share-group", "dora", 403)).toEqual({ error: "not authorized to describe the topics assigned in this group" });
    const seen = await body("/ui/api/groups/share-group", "admin");
    expect(seen.members[0].assignment.map((a: any) => a.topic).sort()).toEqual(["secret", "visible"]);
  });

  test("DESCRIBE_CONFIGS shows the topic's configs", async () => {
    await allow("User:dora", Res.TOPIC, "visible", Op.DESCRIBE_CONFIGS);
    expect((await body("/ui/api/topics", "dora"))[0].configs).toEqual({});
    expect((await body("/ui/api/topics/visible", "dora")).configs.map((c: any) => c.name)).toContain("cleanup.policy");
  });
});

test("a super user sees every topic, record and group", async () => {
  expect((await body("/ui/api/topics", "admin")).map((t: any) => [t.name, t.configs])).toEqual([
    ["secret", {}],
    ["visible", {}],
  ]);
  expect((await body("/ui/api/topics/secret/partitions/0/records", "admin")).records.map((r: any) => r.value.text)).toEqual(["secret-record"]);
  expect((await body("/ui/api/groups", "admin")).map((g: any) => g.groupId)).toEqual(["dora-group", "other-group", "share-group"]);
  const group = await body("/ui/api/groups/other-group", "admin");
  expect(group.offsets.map((o: any) => o.topic).sort()).toEqual(["secret", "visible"]);
});
