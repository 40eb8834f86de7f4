import { ApiKey } from "../../protocol/generated/apis.ts";
import type { SyncGroupRequest, SyncGroupResponse } from "../../protocol/generated/sync-group.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { defineApi } from "../handler.ts";
import { syncClassic, syncError, syncResult, tickClassic, type SyncAnswer, type SyncOutcome } from "./classic-group.ts";
import { groupErrorCode } from "./group-errors.ts";
import { DEFAULT_GROUP_SETTINGS as SETTINGS } from "./group-settings.ts";
import { changeGroup } from "./group-store.ts";
import { noteGroupServed } from "./group-sweeper.ts";
import { awaitGroup } from "./group-wait.ts";

function response(answer: SyncAnswer): SyncGroupResponse {
  return { throttleTimeMs: 0, ...answer };
}

export const syncGroupApi = defineApi<SyncGroupRequest, SyncGroupResponse>({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request, rc) {
    const { groupId } = request;
    if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return response(syncError(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    const sync = {
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId ?? null,
      generationId: request.generationId,
      protocolType: request.protocolType ?? null,
      protocolName: request.protocolName ?? null,
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment.slice() })),
    };
    try {
      const outcome = await changeGroup<SyncOutcome>(ctx, groupId, (current, now) => {
        if (!current || current.type !== "classic") return { result: { answer: syncError(ErrorCode.UNKNOWN_MEMBER_ID) } };
        return { result: syncClassic(current, sync, now, SETTINGS), save: current };
      });
      noteGroupServed(ctx, groupId);
      if ("answer" in outcome) return response(outcome.answer);
      const answer = await awaitGroup(ctx, groupId, rc, (current, now) => {
        if (!current || current.type !== "classic") return { result: syncResult(null, outcome.wait) };
        const changed = tickClassic(current, now, SETTINGS);
        return { result: syncResult(current, outcome.wait), save: changed ? current : undefined };
      });
      return response(answer ?? syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    } catch (error) {
      return response(syncError(groupErrorCode(error, `SyncGroup ${groupId}`)));
    }
  },
});
