// librdkafka's share consumer over SASL/SCRAM against the compiled broker under --authorizer acl:
// a super user consumes without any ACL; another principal, granted rights one at a time, is
// refused at each step by the API that checks the missing right (FindCoordinator, then
// ShareGroupHeartbeat for the group and for the topic, then ShareFetch) until it holds READ on
// both the group and the topic, as kafka-acls' --consumer grants them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { AclOperation as Op, AclPermissionType, PatternType, ResourceType as Res } from "../../src/protocol/acl-codes.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { batchOf } from "../broker/records.ts";
import { BROKER_BINARY, startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { runChecked } from "../harness/run.ts";
import { Deliveries, shareConsumerBinary, startShareConsumer, type RunningShareConsumer } from "../harness/share-consumer.ts";

const TOPIC = "sq-acl";
const GROUP = "sq-acl-group";
const ADMIN_GROUP = "sq-acl-admin-group";

let broker: RunningBroker;
let admin: KafkaConnection;
const consumers: RunningShareConsumer[] = [];

const sasl = (user: string) => ({ "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256", "sasl.username": user, "sasl.password": `${user}-pw` });

beforeAll(async () => {
  const storage = `sqlite://${join(tempDir("tansu-share-acl-"), "tansu.db")}`;
  for (const user of ["admin", "carol"]) await runChecked([BROKER_BINARY, "user", "create", user, "--password", `${user}-pw`, "--storage-engine", storage]);
  [broker] = await Promise.all([
    startBroker({ storage, args: ["--sasl-mechanisms", "SCRAM-SHA-256", "--authorizer", "acl", "--super-users", "User:admin"], env: { FETCH_POLL_MS: "50" } }),
    shareConsumerBinary(),
  ]);
  admin = await KafkaConnection.connect(broker.url, "share-acl-admin", { sasl: { mechanism: "SCRAM-SHA-256", username: "admin", password: "admin-pw" } });
  const created = await admin.request(ApiKey.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  const earliest = (groupId: string) => ({ resourceType: 32, resourceName: groupId, configs: [{ name: "share.auto.offset.reset", configOperation: 0, value: "earliest" }] });
  const configured = await admin.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [earliest(GROUP), earliest(ADMIN_GROUP)], validateOnly: false });
  expect(configured.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  const produced = await admin.request(ApiKey.Produce, 11, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batchOf([{ value: "accept-1" }, { value: "accept-2" }]) }] }],
  });
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
}, 180_000);
afterAll(async () => {
  admin?.close();
  await Promise.all(consumers.map((c) => c.kill()));
  await broker?.stop();
});

async function consumer(deliveries: Deliveries, user: string, groupId: string, name: string) {
  const c = await startShareConsumer(deliveries, broker.url, groupId, TOPIC, name, { config: sasl(user) });
  consumers.push(c);
  return c;
}

/** Consumes both records, then closes cleanly. */
async function consumesBoth(user: string, groupId: string, name: string) {
  const deliveries = new Deliveries();
  const c = await consumer(deliveries, user, groupId, name);
  await deliveries.until((rs) => rs.length === 2, 60_000, "both records");
  expect(await c.stop()).toBe(0);
  expect(deliveries.records.map((r) => [r.value, r.delivery])).toEqual([
    ["accept-1", 1],
    ["accept-2", 1],
  ]);
}

test("a super user consumes without any ACL", () => consumesBoth("admin", ADMIN_GROUP, "admin-1"), 120_000);

test("each missing right refuses the share consumer with Kafka's error; READ on the group and the topic lets it consume", async () => {
  const allow = async (resourceType: number, resourceName: string, operation: number) => {
    const creation = { resourceType, resourceName, resourcePatternType: PatternType.LITERAL, principal: "User:carol", host: "*", operation, permissionType: AclPermissionType.ALLOW };
    expect((await admin.request(ApiKey.CreateAcls, 3, { creations: [creation] })).results[0]!.errorCode).toBe(ErrorCode.NONE);
  };
  /** Runs a consumer until it reports its first error, which it returns with the client's log; it must receive nothing. */
  const refusal = async (name: string) => {
    const deliveries = new Deliveries();
    const c = await consumer(deliveries, "carol", GROUP, name);
    await deliveries.until((rs, errors) => errors.length > 0 || rs.length > 0, 60_000, "an error");
    await c.kill();
    expect(deliveries.records).toEqual([]);
    return { error: deliveries.errors[0]!.message, log: c.output() };
  };

  expect((await refusal("carol-none")).error).toBe("FindCoordinator response error: Broker: Group authorization failed");
  await allow(Res.GROUP, GROUP, Op.DESCRIBE);
  expect((await refusal("carol-describe-group")).error).toBe("ShareGroupHeartbeat fatal error: Broker: Group authorization failed");
  await allow(Res.GROUP, GROUP, Op.READ);
  expect((await refusal("carol-read-group")).error).toBe("ShareGroupHeartbeat failed: Broker: Topic authorization failed");
  await allow(Res.TOPIC, TOPIC, Op.DESCRIBE);
  const fetch = await refusal("carol-describe-topic");
  expect(fetch.error).toStartWith(`ShareFetch failed for ${TOPIC} [0]`);
  expect(fetch.log).toContain(`${TOPIC} [0]: Not authorized to read`);
  await allow(Res.TOPIC, TOPIC, Op.READ);
  await consumesBoth("carol", GROUP, "carol-read-topic");
}, 180_000);
