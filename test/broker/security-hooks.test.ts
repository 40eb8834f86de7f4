// A broker without an authorizer reports every supported operation of a resource from a table of its own
// (security-hooks.ts keeps acl-codes.ts off the start-up path); it must agree with Kafka's table in acl-codes.ts.
import { describe, expect, test } from "bun:test";
import { ALLOW_ALL } from "../../src/broker/security-hooks.ts";
import { ResourceType, SUPPORTED_OPERATIONS, operationBits } from "../../src/protocol/acl-codes.ts";

describe("ALLOW_ALL", () => {
  for (const [name, type] of Object.entries(ResourceType)) {
    test(`reports every operation ${name} supports`, () => {
      expect(ALLOW_ALL.operations(type, "any")).toBe(operationBits(SUPPORTED_OPERATIONS[type] ?? []));
    });
  }

  test("reports no operation of a resource type Kafka does not know", () => {
    expect(ALLOW_ALL.operations(99, "any")).toBe(0);
  });
});
