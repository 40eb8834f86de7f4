// An in-process broker under --authorizer acl whose every client is User:ANONYMOUS (no SASL),
// with helpers to write and clear its ACLs: what the authorization tests of each API family use.
import { AclOperation as Op, AclPermissionType, PatternType, ResourceType as Res } from "../../src/protocol/acl-codes.ts";
import type { BrokerConfig } from "../../src/broker/context.ts";
import { addAcls, removeAcls } from "../../src/security/acl-store.ts";
import type { AclBinding } from "../../src/security/acl.ts";
import { securityFor } from "../../src/security/index.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";

export function startAclBroker(config: Partial<BrokerConfig> = {}): Promise<InProcessBroker> {
  return startInProcessBroker(config, "memory://", 0, (storage) =>
    securityFor(storage, {
      mechanisms: [],
      reauthMs: 0,
      oauth: { jwksUrl: undefined, issuer: undefined, audience: [], principalClaim: "sub" },
      acl: { superUsers: [], allowEveryoneIfNoAclFound: false },
      cacheMs: 0,
      quotas: null,
    }),
  );
}

/** ALLOW bindings of `operations` on a literal resource for User:ANONYMOUS. */
export function allow(resourceType: number, resourceName: string, ...operations: number[]): AclBinding[] {
  return operations.map((operation) => ({
    resourceType,
    resourceName,
    patternType: PatternType.LITERAL,
    principal: "User:ANONYMOUS",
    host: "*",
    operation,
    permissionType: AclPermissionType.ALLOW,
  }));
}

export const grant = (b: InProcessBroker, ...acls: AclBinding[][]) => addAcls(b.ctx.storage, acls.flat());

/** Removes every ACL. */
export function revokeAll(b: InProcessBroker) {
  const any = { resourceType: Res.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permissionType: AclPermissionType.ANY };
  return removeAcls(b.ctx.storage, [any]);
}
