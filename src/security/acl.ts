// Kafka's ACL bindings and binding filters (AclBinding, AclBindingFilter): what CreateAcls
// stores, DescribeAcls and DeleteAcls select, and the authorizer matches requests against.
import { AclOperation, AclPermissionType, CLUSTER_NAME, PatternType, ResourceType, WILDCARD } from "../protocol/acl-codes.ts";

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A binding filter: null names, principals and hosts, and the ANY codes, match everything. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/** Kafka's principal syntax, "Type:name" (KafkaPrincipal.fromString). */
export function isPrincipal(text: string): boolean {
  const colon = text.indexOf(":");
  return colon > 0 && colon < text.length - 1;
}

/** Why CreateAcls refuses `b` (Kafka's controller answers INVALID_REQUEST), or null. */
export function invalidBinding(b: AclBinding): string | null {
  if (b.resourceType === ResourceType.UNKNOWN || b.resourceType === ResourceType.ANY || !Object.values(ResourceType).includes(b.resourceType as never)) {
    return `Invalid resourceType ${b.resourceType}`;
  }
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `Invalid patternType ${b.patternType}`;
  if (b.operation === AclOperation.UNKNOWN || b.operation === AclOperation.ANY || !Object.values(AclOperation).includes(b.operation as never)) {
    return `Invalid operation ${b.operation}`;
  }
  if (b.permissionType !== AclPermissionType.ALLOW && b.permissionType !== AclPermissionType.DENY) return `Invalid permissionType ${b.permissionType}`;
  if (b.resourceName === "") return "Resource name should not be empty";
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  if (!isPrincipal(b.principal)) return `Invalid principal ${b.principal}: expected Type:name, e.g. User:alice`;
  if (b.host === "") return "Invalid empty host";
  return null;
}

/** Why DescribeAcls or DeleteAcls refuse `f`, or null. */
export function invalidFilter(f: AclFilter): string | null {
  if (f.resourceType === ResourceType.UNKNOWN) return "Unknown resourceType filter";
  if (f.patternType === PatternType.UNKNOWN) return "Unknown patternFilter";
  if (f.operation === AclOperation.UNKNOWN) return "Unknown operation filter";
  if (f.permissionType === AclPermissionType.UNKNOWN) return "Unknown permissionType filter";
  return null;
}

/** ResourcePatternFilter.matches: MATCH selects the bindings that would apply to the named resource. */
function patternMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== b.patternType) return false;
  if (f.resourceName === null) return true;
  if (f.patternType === PatternType.ANY || f.patternType === b.patternType) return f.resourceName === b.resourceName;
  return b.patternType === PatternType.LITERAL ? f.resourceName === b.resourceName || b.resourceName === WILDCARD : f.resourceName.startsWith(b.resourceName);
}

export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  return (
    patternMatches(f, b) &&
    (f.principal === null || f.principal === b.principal) &&
    (f.host === null || f.host === b.host) &&
    (f.operation === AclOperation.ANY || f.operation === b.operation) &&
    (f.permissionType === AclPermissionType.ANY || f.permissionType === b.permissionType)
  );
}

export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return (
    a.resourceType === b.resourceType &&
    a.resourceName === b.resourceName &&
    a.patternType === b.patternType &&
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permissionType === b.permissionType
  );
}
