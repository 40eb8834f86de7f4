import { expect, test } from "bun:test";
import {
  AclOperation,
  AclPermissionType,
  PatternType,
  ResourceType,
  operationName,
  patternTypeName,
  permissionName,
  resourceTypeName,
} from "../../src/protocol/acl-codes.ts";

test("ACL codes are named as Kafka names them, and unknown codes say so", () => {
  expect(operationName(AclOperation.IDEMPOTENT_WRITE)).toBe("IDEMPOTENT_WRITE");
  expect(resourceTypeName(ResourceType.TRANSACTIONAL_ID)).toBe("TRANSACTIONAL_ID");
  expect(patternTypeName(PatternType.PREFIXED)).toBe("PREFIXED");
  expect(permissionName(AclPermissionType.DENY)).toBe("DENY");
  expect(operationName(99)).toBe("UNKNOWN(99)");
  // The table is built on the first call; later calls use the same one.
  expect(operationName(AclOperation.READ)).toBe("READ");
});
