// Kafka's ACL authorizer (StandardAuthorizer's rules): super users may do anything; otherwise
// the ACLs whose pattern matches the resource decide, a matching DENY beating any ALLOW;
// READ, WRITE, DELETE and ALTER allow DESCRIBE, ALTER_CONFIGS allows DESCRIBE_CONFIGS (for ALLOW
// rules only); a resource no ACL names is allowed only with allow.everyone.if.no.acl.found.
import { AclOperation, AclPermissionType, operationBits, PatternType, SUPPORTED_OPERATIONS, WILDCARD } from "../protocol/acl-codes.ts";
import type { RequestAuthorizer } from "../broker/security-hooks.ts";
import type { Storage } from "../storage/storage.ts";
import type { AclBinding } from "./acl.ts";
import { loadAcls } from "./acl-store.ts";
import { CachedValue } from "./cached-value.ts";

export interface AuthorizerOptions {
  superUsers: string[];
  allowEveryoneIfNoAclFound: boolean;
}

const WILDCARD_PRINCIPAL = "User:*";
const IMPLIES_DESCRIBE = new Set<number>([AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]);
const IMPLIES_DESCRIBE_CONFIGS = new Set<number>([AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]);

function nameMatches(acl: AclBinding, name: string): boolean {
  if (acl.patternType === PatternType.PREFIXED) return name.startsWith(acl.resourceName);
  return acl.resourceName === name || acl.resourceName === WILDCARD;
}

/** Whether `acl` (its resource already matching) applies to this principal, host and operation. */
function applies(acl: AclBinding, principal: string, host: string, operation: number): boolean {
  if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) return false;
  if (acl.host !== WILDCARD && acl.host !== host) return false;
  if (acl.operation === AclOperation.ALL || acl.operation === operation) return true;
  if (acl.permissionType !== AclPermissionType.ALLOW) return false;
  if (operation === AclOperation.DESCRIBE) return IMPLIES_DESCRIBE.has(acl.operation);
  if (operation === AclOperation.DESCRIBE_CONFIGS) return IMPLIES_DESCRIBE_CONFIGS.has(acl.operation);
  return false;
}

/** One principal's view of one snapshot of the ACLs. */
class Decisions implements RequestAuthorizer {
  constructor(
    private readonly byType: ReadonlyMap<number, AclBinding[]>,
    private readonly principal: string,
    private readonly host: string,
    private readonly allowEveryoneIfNoAclFound: boolean,
  ) {}

  allows(operation: number, resourceType: number, name: string): boolean {
    let named = false;
    let allowed = false;
    for (const acl of this.byType.get(resourceType) ?? []) {
      if (!nameMatches(acl, name)) continue;
      named = true;
      if (!applies(acl, this.principal, this.host, operation)) continue;
      if (acl.permissionType === AclPermissionType.DENY) return false;
      allowed = true;
    }
    return allowed || (!named && this.allowEveryoneIfNoAclFound);
  }

  /** Kafka's Authorizer.authorizeByResourceType. */
  allowsAny(operation: number, resourceType: number): boolean {
    // A name no ACL can mention: allowed only by wildcards or the no-ACL default, as in Kafka.
    if (this.allows(operation, resourceType, "hardcode")) return true;
    const denied = { [PatternType.LITERAL]: new Set<string>(), [PatternType.PREFIXED]: new Set<string>() } as Record<number, Set<string>>;
    const allowed: AclBinding[] = [];
    for (const acl of this.byType.get(resourceType) ?? []) {
      if (acl.host !== WILDCARD && acl.host !== this.host) continue;
      if (acl.principal !== this.principal && acl.principal !== WILDCARD_PRINCIPAL) continue;
      if (acl.operation !== operation && acl.operation !== AclOperation.ALL) continue;
      if (acl.permissionType === AclPermissionType.DENY) {
        if (acl.patternType === PatternType.LITERAL && acl.resourceName === WILDCARD) return false;
        denied[acl.patternType]?.add(acl.resourceName);
      } else {
        if (acl.patternType === PatternType.LITERAL && acl.resourceName === WILDCARD) return true;
        allowed.push(acl);
      }
    }
    // An allowed pattern counts unless a deny covers it: the same literal, or a prefix of it.
    return allowed.some((acl) => {
      if (acl.patternType === PatternType.LITERAL && denied[PatternType.LITERAL]!.has(acl.resourceName)) return false;
      for (let i = 1; i <= acl.resourceName.length; i++) if (denied[PatternType.PREFIXED]!.has(acl.resourceName.slice(0, i))) return false;
      return true;
    });
  }

  operations(resourceType: number, name: string): number {
    return operationBits((SUPPORTED_OPERATIONS[resourceType] ?? []).filter((op) => this.allows(op, resourceType, name)));
  }
}

const SUPER_USER: RequestAuthorizer = {
  allows: () => true,
  allowsAny: () => true,
  operations: (resourceType) => operationBits(SUPPORTED_OPERATIONS[resourceType] ?? []),
};

/**
 * The ACLs are read from the store at most once every `cacheMs` (and at once after this broker
 * changed them), so a change made through another broker applies here within that time, much as
 * Kafka's ACL changes reach each broker through its metadata log.
 */
export class AclAuthorizer {
  readonly #superUsers: Set<string>;
  readonly #acls: CachedValue<Map<number, AclBinding[]>>;

  constructor(
    storage: Storage,
    private readonly options: AuthorizerOptions,
    cacheMs: number,
  ) {
    this.#superUsers = new Set(options.superUsers);
    this.#acls = new CachedValue("ACLs", async () => Map.groupBy(await loadAcls(storage), (a) => a.resourceType), cacheMs);
  }

  async forRequest(principal: string, host: string): Promise<RequestAuthorizer> {
    if (this.#superUsers.has(principal)) return SUPER_USER;
    const acls = await this.#acls.get();
    // With no ACLs ever read (the store unreachable since start-up) nothing is allowed, as Kafka
    // refuses requests until its authorizer has loaded.
    return new Decisions(acls ?? new Map(), principal, host, acls !== null && this.options.allowEveryoneIfNoAclFound);
  }

  invalidate(): void {
    this.#acls.invalidate();
  }
}
