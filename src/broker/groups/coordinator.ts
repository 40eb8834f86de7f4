import { ApiKey } from "../../protocol/generated/apis.ts";
import type { FindCoordinatorRequest, FindCoordinatorResponse } from "../../protocol/generated/find-coordinator.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { defineApi } from "../handler.ts";

const GROUP_KEY = 0;
const TRANSACTION_KEY = 1;

/**
 * FindCoordinator: every broker coordinates every group and every transactional id, because
 * the state lives in the shared store; so the answer is always the broker asked.
 */
export const findCoordinatorApi = defineApi<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, request, rc) {
    const { nodeId, advertisedHost: host, advertisedPort: port } = ctx.config;
    const keyType = request.keyType ?? GROUP_KEY;
    // The principal must be allowed to describe the group or transactional id it asks about.
    const errorFor = (key: string): [number, string | null] => {
      if (keyType === GROUP_KEY) return rc.authz.allows(AclOperation.DESCRIBE, ResourceType.GROUP, key) ? [ErrorCode.NONE, null] : [ErrorCode.GROUP_AUTHORIZATION_FAILED, null];
      if (keyType === TRANSACTION_KEY) {
        return rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key) ? [ErrorCode.NONE, null] : [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, null];
      }
      return [ErrorCode.INVALID_REQUEST, `Unsupported key type ${keyType}`];
    };
    const answer = (key: string) => {
      const [errorCode, errorMessage] = errorFor(key);
      return errorCode === ErrorCode.NONE ? { nodeId, host, port, errorCode, errorMessage } : { nodeId: -1, host: "", port: -1, errorCode, errorMessage };
    };
    if (rc.apiVersion >= 4) return { throttleTimeMs: 0, coordinators: (request.coordinatorKeys ?? []).map((key) => ({ key, ...answer(key) })) };
    return { throttleTimeMs: 0, ...answer(request.key ?? "") };
  },
});
