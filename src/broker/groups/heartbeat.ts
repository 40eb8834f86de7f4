import { ApiKey } from "../../protocol/generated/apis.ts";
import type { HeartbeatRequest, HeartbeatResponse } from "../../protocol/generated/heartbeat.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { defineApi } from "../handler.ts";
import { heartbeatClassic } from "./classic-group.ts";
import { groupErrorCode } from "./group-errors.ts";
import { DEFAULT_GROUP_SETTINGS as SETTINGS } from "./group-settings.ts";
import { changeGroup } from "./group-store.ts";
import { noteGroupServed } from "./group-sweeper.ts";

export const heartbeatApi = defineApi<HeartbeatRequest, HeartbeatResponse>({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request, rc) {
    const { groupId, memberId, generationId } = request;
    if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    try {
      const errorCode = await changeGroup(ctx, groupId, (current, now) => {
        if (!current || current.type !== "classic") return { result: ErrorCode.UNKNOWN_MEMBER_ID };
        return { result: heartbeatClassic(current, memberId, request.groupInstanceId ?? null, generationId, now, SETTINGS), save: current };
      });
      noteGroupServed(ctx, groupId);
      return { throttleTimeMs: 0, errorCode };
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: groupErrorCode(error, `Heartbeat ${groupId}`) };
    }
  },
});
