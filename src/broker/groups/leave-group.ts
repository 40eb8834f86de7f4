import { ApiKey } from "../../protocol/generated/apis.ts";
import type { LeaveGroupRequest, LeaveGroupResponse } from "../../protocol/generated/leave-group.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { defineApi } from "../handler.ts";
import { leaveClassic } from "./classic-group.ts";
import { groupErrorCode } from "./group-errors.ts";
import { DEFAULT_GROUP_SETTINGS as SETTINGS } from "./group-settings.ts";
import { changeGroup } from "./group-store.ts";

type MemberResponse = NonNullable<LeaveGroupResponse["members"]>[number];

export const leaveGroupApi = defineApi<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request, rc) {
    const { groupId } = request;
    if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    // v3+ batches members (KIP-345); before that the request names one member by id.
    const leaving = rc.apiVersion >= 3 ? (request.members ?? []) : [{ memberId: request.memberId ?? "", groupInstanceId: null }];
    let members: MemberResponse[];
    try {
      members = await changeGroup(ctx, groupId, (current, now) => {
        const results = leaving.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          errorCode: current?.type === "classic" ? leaveClassic(current, m.memberId, m.groupInstanceId, now, SETTINGS) : ErrorCode.UNKNOWN_MEMBER_ID,
        }));
        return { result: results, save: current?.type === "classic" ? current : undefined };
      });
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: groupErrorCode(error, `LeaveGroup ${groupId}`), members: [] };
    }
    if (rc.apiVersion >= 3) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members };
    return { throttleTimeMs: 0, errorCode: members[0]!.errorCode, members: [] };
  },
});
