// Kafka's ACL enums as they travel on the wire (CreateAcls, DescribeAcls, DeleteAcls and the
// authorized-operations bit fields), named as in Apache Kafka's ResourceType, PatternType,
// AclOperation and AclPermissionType. UNKNOWN and ANY/MATCH only ever appear in filters.

import { codeNames } from "./code-names.ts";

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;

export const PatternType = {
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;

export const AclPermissionType = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;

/** The one name a CLUSTER resource has. */
export const CLUSTER_NAME = "kafka-cluster";
/** A literal resource name, principal or host matching every one. */
export const WILDCARD = "*";

/** The operations each resource type supports (Kafka's AclEntry.supportedOperations), for authorized-operations fields. */
export const SUPPORTED_OPERATIONS: Readonly<Record<number, readonly number[]>> = {
  [ResourceType.TOPIC]: [
    AclOperation.READ,
    AclOperation.WRITE,
    AclOperation.CREATE,
    AclOperation.DESCRIBE,
    AclOperation.DELETE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
  ],
  [ResourceType.GROUP]: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE],
  [ResourceType.CLUSTER]: [
    AclOperation.CREATE,
    AclOperation.CLUSTER_ACTION,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
    AclOperation.IDEMPOTENT_WRITE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE,
  ],
  [ResourceType.TRANSACTIONAL_ID]: [AclOperation.DESCRIBE, AclOperation.WRITE],
  [ResourceType.DELEGATION_TOKEN]: [AclOperation.DESCRIBE],
  [ResourceType.USER]: [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS],
};

/** Kafka's to32BitField: bit n set for operation code n. */
export function operationBits(operations: Iterable<number>): number {
  let bits = 0;
  for (const op of operations) bits |= 1 << op;
  return bits;
}

const unknownCode = (code: number) => `UNKNOWN(${code})`;

export const resourceTypeName = codeNames(ResourceType, unknownCode);
export const patternTypeName = codeNames(PatternType, unknownCode);
export const operationName = codeNames(AclOperation, unknownCode);
export const permissionName = codeNames(AclPermissionType, unknownCode);
