import { ApiKey } from "../../protocol/generated/apis.ts";
import type { FindCoordinatorRequest, FindCoordinatorResponse } from "../../protocol/generated/find-coordinator.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
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
    const supported = keyType === GROUP_KEY || keyType === TRANSACTION_KEY;
    const errorCode = supported ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST;
    const errorMessage = supported ? null : `Unsupported key type ${keyType}`;
    if (rc.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        coordinators: (request.coordinatorKeys ?? []).map((key) =>
          supported ? { key, nodeId, host, port, errorCode, errorMessage } : { key, nodeId: -1, host: "", port: -1, errorCode, errorMessage },
        ),
      };
    }
    return supported
      ? { throttleTimeMs: 0, errorCode, errorMessage, nodeId, host, port }
      : { throttleTimeMs: 0, errorCode, errorMessage, nodeId: -1, host: "", port: -1 };
  },
});
