// The ACL authorizer's rules, as Kafka's StandardAuthorizer decides them.
import { expect, test } from "bun:test";
import { AclOperation as Op, AclPermissionType as Perm, PatternType, ResourceType as Res, SUPPORTED_OPERATIONS, operationBits } from "../../src/protocol/acl-codes.ts";
import type { AclBinding } from "../../src/security/acl.ts";
import { addAcls } from "../../src/security/acl-store.ts";
import { AclAuthorizer } from "../../src/security/authorizer.ts";
import { MemoryStorage } from "../../src/storage/engines/memory/memory-storage.ts";

type Rule = Partial<AclBinding> & Pick<AclBinding, "resourceName" | "operation">;

function acl(rule: Rule): AclBinding {
  return { resourceType: Res.TOPIC, patternType: PatternType.LITERAL, principal: "User:alice", host: "*", permissionType: Perm.ALLOW, ...rule };
}

async function authorizer(rules: Rule[], options: { superUsers?: string[]; allowEveryoneIfNoAclFound?: boolean } = {}) {
  const storage = new MemoryStorage();
  await addAcls(storage, rules.map(acl));
  const a = new AclAuthorizer(storage, { superUsers: options.superUsers ?? [], allowEveryoneIfNoAclFound: options.allowEveryoneIfNoAclFound ?? false }, 60_000);
  return (principal = "User:alice", host = "10.0.0.1") => a.forRequest(principal, host);
}

test("READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; nothing else is implied", async () => {
  for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) {
    const alice = await (await authorizer([{ resourceName: "t", operation: op }]))();
    expect(alice.allows(Op.DESCRIBE, Res.TOPIC, "t")).toBe(true);
    expect(alice.allows(Op.DESCRIBE_CONFIGS, Res.TOPIC, "t")).toBe(false);
  }
  const configs = await (await authorizer([{ resourceName: "t", operation: Op.ALTER_CONFIGS }]))();
  expect(configs.allows(Op.DESCRIBE_CONFIGS, Res.TOPIC, "t")).toBe(true);
  expect(configs.allows(Op.DESCRIBE, Res.TOPIC, "t")).toBe(false);
  const read = await (await authorizer([{ resourceName: "t", operation: Op.READ }]))();
  expect(read.allows(Op.WRITE, Res.TOPIC, "t")).toBe(false);
  const all = await (await authorizer([{ resourceName: "t", operation: Op.ALL }]))();
  for (const op of SUPPORTED_OPERATIONS[Res.TOPIC]!) expect(all.allows(op, Res.TOPIC, "t")).toBe(true);
});

test("DENY wins over ALLOW, but a DENY of READ does not deny DESCRIBE", async () => {
  const alice = await (
    await authorizer([
      { resourceName: "*", operation: Op.ALL, principal: "User:*" },
      { resourceName: "t", operation: Op.READ, permissionType: Perm.DENY },
    ])
  )();
  expect(alice.allows(Op.READ, Res.TOPIC, "t")).toBe(false);
  expect(alice.allows(Op.DESCRIBE, Res.TOPIC, "t")).toBe(true);
  expect(alice.allows(Op.READ, Res.TOPIC, "other")).toBe(true);
  const denyAll = await (await authorizer([{ resourceName: "t", operation: Op.READ }, { resourceName: "t", operation: Op.ALL, permissionType: Perm.DENY }]))();
  expect(denyAll.allows(Op.READ, Res.TOPIC, "t")).toBe(false);
});

test("literal, wildcard and prefixed patterns; principals and hosts", async () => {
  const check = await authorizer([
    { resourceName: "orders-", patternType: PatternType.PREFIXED, operation: Op.WRITE },
    { resourceName: "payments", operation: Op.READ, host: "10.0.0.1" },
    { resourceName: "*", resourceType: Res.GROUP, operation: Op.READ, principal: "User:*" },
  ]);
  const alice = await check();
  expect(alice.allows(Op.WRITE, Res.TOPIC, "orders-eu")).toBe(true);
  expect(alice.allows(Op.WRITE, Res.TOPIC, "orders")).toBe(false);
  expect(alice.allows(Op.READ, Res.TOPIC, "payments")).toBe(true);
  expect((await check("User:alice", "10.0.0.2")).allows(Op.READ, Res.TOPIC, "payments")).toBe(false);
  expect((await check("User:bob")).allows(Op.WRITE, Res.TOPIC, "orders-eu")).toBe(false);
  expect((await check("User:bob")).allows(Op.READ, Res.GROUP, "any-group")).toBe(true);
  // A literal ACL named like a prefix of the resource does not match it.
  expect(alice.allows(Op.READ, Res.TOPIC, "payments-eu")).toBe(false);
});

test("allow.everyone.if.no.acl.found applies only to resources no ACL names, for anyone", async () => {
  const check = await authorizer([{ resourceName: "t", operation: Op.READ, principal: "User:bob" }], { allowEveryoneIfNoAclFound: true });
  const alice = await check();
  expect(alice.allows(Op.WRITE, Res.TOPIC, "unnamed")).toBe(true);
  expect(alice.allows(Op.READ, Res.TOPIC, "t")).toBe(false);
  const strict = await (await authorizer([]))();
  expect(strict.allows(Op.WRITE, Res.TOPIC, "unnamed")).toBe(false);
});

test("super users may do everything, whatever the DENY rules", async () => {
  const check = await authorizer([{ resourceName: "*", operation: Op.ALL, principal: "User:*", permissionType: Perm.DENY }], { superUsers: ["User:admin"] });
  const admin = await check("User:admin");
  expect(admin.allows(Op.ALTER, Res.CLUSTER, "kafka-cluster")).toBe(true);
  expect(admin.operations(Res.GROUP, "g")).toBe(operationBits(SUPPORTED_OPERATIONS[Res.GROUP]!));
  expect((await check()).allows(Op.READ, Res.TOPIC, "t")).toBe(false);
});

test("authorized operations are the supported operations the principal is allowed", async () => {
  const alice = await (await authorizer([{ resourceName: "t", operation: Op.READ }]))();
  expect(alice.operations(Res.TOPIC, "t")).toBe(operationBits([Op.READ, Op.DESCRIBE]));
  expect(alice.operations(Res.TOPIC, "other")).toBe(0);
});

test("authorizeByResourceType: some allowed pattern not covered by a deny", async () => {
  const byType = async (rules: Rule[]) => (await (await authorizer(rules))()).allowsAny(Op.WRITE, Res.TOPIC);
  expect(await byType([])).toBe(false);
  expect(await byType([{ resourceName: "t", operation: Op.WRITE }])).toBe(true);
  expect(await byType([{ resourceName: "t", operation: Op.WRITE }, { resourceName: "t", operation: Op.WRITE, permissionType: Perm.DENY }])).toBe(false);
  expect(
    await byType([
      { resourceName: "team-a", patternType: PatternType.PREFIXED, operation: Op.WRITE },
      { resourceName: "team", patternType: PatternType.PREFIXED, operation: Op.WRITE, permissionType: Perm.DENY },
    ]),
  ).toBe(false);
  expect(await byType([{ resourceName: "t", operation: Op.READ }])).toBe(false);
  expect(await byType([{ resourceName: "*", operation: Op.WRITE, principal: "User:*" }])).toBe(true);
});
