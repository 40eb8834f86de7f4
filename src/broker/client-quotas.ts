import { ApiKey } from "../protocol/generated/apis.ts";
import type { AlterClientQuotasRequest, AlterClientQuotasResponse } from "../protocol/generated/alter-client-quotas.ts";
import type { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from "../protocol/generated/describe-client-quotas.ts";
import { AclOperation, CLUSTER_NAME, ResourceType } from "../protocol/acl-codes.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { errorCodeOf, messageOf } from "./error-mapping.ts";
import { defineApi } from "./handler.ts";

// Quotas live in the store (src/security/quota-config.ts), loaded on first use here.
const quotaConfig = () => import("../security/quota-config.ts");

export const alterClientQuotasApi = defineApi<AlterClientQuotasRequest, AlterClientQuotasResponse>({
  apiKey: ApiKey.AlterClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request, rc) {
    const answer = (code: (i: number) => { errorCode: number; errorMessage: string | null }): AlterClientQuotasResponse => ({
      throttleTimeMs: 0,
      entries: request.entries.map((e, i) => ({ ...code(i), entity: e.entity })),
    });
    if (!rc.authz.allows(AclOperation.ALTER_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return answer(() => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null }));
    }
    const config = await quotaConfig();
    const problems: Array<string | null> = [];
    const changes: Parameters<typeof config.alterQuotas>[1] = [];
    for (const e of request.entries) {
      try {
        const entity = config.entityOf(e.entity);
        for (const op of e.ops) if (!op.remove) config.checkQuota(entity, op.key, op.value);
        changes.push({ entity, ops: e.ops.map((op) => ({ key: op.key, value: op.remove ? null : op.value })) });
        problems.push(null);
      } catch (error) {
        if (!(error instanceof config.QuotaConfigError)) throw error;
        problems.push(error.message);
      }
    }
    let stored = { errorCode: ErrorCode.NONE as number, errorMessage: null as string | null };
    if (!request.validateOnly && changes.length > 0) {
      try {
        await config.alterQuotas(ctx.storage, changes);
        ctx.security?.quotas?.invalidate();
      } catch (error) {
        stored = { errorCode: errorCodeOf(error, "AlterClientQuotas"), errorMessage: messageOf(error) };
      }
    }
    return answer((i) => (problems[i] === null ? stored : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problems[i]! }));
  },
});

export const describeClientQuotasApi = defineApi<DescribeClientQuotasRequest, DescribeClientQuotasResponse>({
  apiKey: ApiKey.DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request, rc) {
    const failed = (errorCode: number, errorMessage: string | null): DescribeClientQuotasResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });
    if (!rc.authz.allows(AclOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const config = await quotaConfig();
    try {
      const selected = config.describeQuotas(await config.loadQuotas(ctx.storage), request.components, request.strict);
      return {
        ...failed(ErrorCode.NONE, null),
        entries: selected.map(({ entity, values }) => ({
          entity: Object.entries(entity).map(([entityType, entityName]) => ({ entityType, entityName })),
          values: Object.entries(values).map(([key, value]) => ({ key, value })),
        })),
      };
    } catch (error) {
      if (error instanceof config.QuotaConfigError) return failed(ErrorCode.INVALID_REQUEST, error.message);
      return failed(errorCodeOf(error, "DescribeClientQuotas"), messageOf(error));
    }
  },
});
