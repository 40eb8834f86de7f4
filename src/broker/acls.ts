import { ApiKey } from "../protocol/generated/apis.ts";
import type { CreateAclsRequest, CreateAclsResponse } from "../protocol/generated/create-acls.ts";
import type { DeleteAclsRequest, DeleteAclsResponse } from "../protocol/generated/delete-acls.ts";
import type { DescribeAclsRequest, DescribeAclsResponse } from "../protocol/generated/describe-acls.ts";
import { AclOperation, CLUSTER_NAME, PatternType, ResourceType } from "../protocol/acl-codes.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import type { AclBinding, AclFilter } from "../security/acl.ts";
import type { BrokerContext } from "./context.ts";
import { errorCodeOf, messageOf } from "./error-mapping.ts";
import { defineApi } from "./handler.ts";

// ACLs live in the store (src/security/acl-store.ts). As in Kafka, a broker without an
// authorizer answers SECURITY_DISABLED; with one, the security modules are loaded already.
const store = () => Promise.all([import("../security/acl.ts"), import("../security/acl-store.ts")]);
const NO_AUTHORIZER = "No Authorizer is configured on the broker";

type WireFilter = DescribeAclsRequest | DeleteAclsRequest["filters"][number];

function filterOf(f: WireFilter): AclFilter {
  return {
    resourceType: f.resourceTypeFilter,
    resourceName: f.resourceNameFilter,
    // v0 predates prefixed ACLs: its filters select literal ones.
    patternType: f.patternTypeFilter ?? PatternType.LITERAL,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation,
    permissionType: f.permissionType,
  };
}

/** Whether ACLs can be changed here: an authorizer, and ALTER on the cluster. */
function alterRefusal(ctx: BrokerContext, authorized: boolean): { errorCode: number; errorMessage: string | null } | null {
  if (!ctx.security?.authorizer) return { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER };
  if (!authorized) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
  return null;
}

export const createAclsApi = defineApi<CreateAclsRequest, CreateAclsResponse>({
  apiKey: ApiKey.CreateAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request, rc) {
    const refused = alterRefusal(ctx, rc.authz.allows(AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME));
    if (refused) return { throttleTimeMs: 0, results: request.creations.map(() => refused) };
    const [acl, acls] = await store();
    const bindings: AclBinding[] = request.creations.map((c) => ({
      resourceType: c.resourceType,
      resourceName: c.resourceName,
      patternType: c.resourcePatternType ?? PatternType.LITERAL,
      principal: c.principal,
      host: c.host,
      operation: c.operation,
      permissionType: c.permissionType,
    }));
    const problems = bindings.map(acl.invalidBinding);
    let stored = { errorCode: ErrorCode.NONE as number, errorMessage: null as string | null };
    try {
      await acls.addAcls(ctx.storage, bindings.filter((_, i) => problems[i] === null));
      ctx.security!.authorizer!.invalidate();
    } catch (error) {
      stored = { errorCode: errorCodeOf(error, "CreateAcls"), errorMessage: messageOf(error) };
    }
    return {
      throttleTimeMs: 0,
      results: problems.map((problem) => (problem === null ? stored : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem })),
    };
  },
});

export const describeAclsApi = defineApi<DescribeAclsRequest, DescribeAclsResponse>({
  apiKey: ApiKey.DescribeAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request, rc) {
    const failed = (errorCode: number, errorMessage: string | null): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });
    if (!rc.authz.allows(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    if (!ctx.security?.authorizer) return failed(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
    const [acl, acls] = await store();
    const filter = filterOf(request);
    const problem = acl.invalidFilter(filter);
    if (problem) return failed(ErrorCode.INVALID_REQUEST, problem);
    try {
      const matching = (await acls.loadAcls(ctx.storage)).filter((b) => acl.filterMatches(filter, b));
      const resources = Map.groupBy(matching, (b) => JSON.stringify([b.resourceType, b.resourceName, b.patternType]));
      return {
        ...failed(ErrorCode.NONE, null),
        resources: [...resources.values()].map((group) => ({
          resourceType: group[0]!.resourceType,
          resourceName: group[0]!.resourceName,
          patternType: group[0]!.patternType,
          acls: group.map((b) => ({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })),
        })),
      };
    } catch (error) {
      return failed(errorCodeOf(error, "DescribeAcls"), messageOf(error));
    }
  },
});

export const deleteAclsApi = defineApi<DeleteAclsRequest, DeleteAclsResponse>({
  apiKey: ApiKey.DeleteAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request, rc) {
    const refused = alterRefusal(ctx, rc.authz.allows(AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME));
    if (refused) return { throttleTimeMs: 0, filterResults: request.filters.map(() => ({ ...refused, matchingAcls: [] })) };
    const [acl, acls] = await store();
    const filters = request.filters.map(filterOf);
    const problems = filters.map(acl.invalidFilter);
    let removed: AclBinding[][];
    try {
      removed = await acls.removeAcls(ctx.storage, filters.filter((_, i) => problems[i] === null));
      ctx.security!.authorizer!.invalidate();
    } catch (error) {
      const failure = { errorCode: errorCodeOf(error, "DeleteAcls"), errorMessage: messageOf(error), matchingAcls: [] };
      return { throttleTimeMs: 0, filterResults: filters.map(() => failure) };
    }
    let next = 0;
    return {
      throttleTimeMs: 0,
      filterResults: problems.map((problem) =>
        problem !== null
          ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] }
          : {
              errorCode: ErrorCode.NONE,
              errorMessage: null,
              matchingAcls: removed[next++]!.map((b) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...b })),
            },
      ),
    };
  },
});
