import { ApiKey } from "../../protocol/generated/apis.ts";
import type { ListGroupsRequest, ListGroupsResponse } from "../../protocol/generated/list-groups.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, CLUSTER_NAME, ResourceType } from "../../protocol/acl-codes.ts";
import { defineApi } from "../handler.ts";
import { groupErrorCode } from "./group-errors.ts";
import { readAllGroups } from "./group-store.ts";
import { applyDeadlines, groupState, protocolTypeOf } from "./group-summary.ts";

export const listGroupsApi = defineApi<ListGroupsRequest, ListGroupsResponse>({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request, rc) {
    // Filters match case-insensitively; an empty filter matches everything.
    const states = new Set((request.statesFilter ?? []).map((s) => s.toLowerCase()));
    const types = new Set((request.typesFilter ?? []).map((t) => t.toLowerCase()));
    // DESCRIBE on the cluster shows every group; otherwise only the groups the principal may describe.
    const everyGroup = rc.authz.allows(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME);
    const visible = (groupId: string) => everyGroup || rc.authz.allows(AclOperation.DESCRIBE, ResourceType.GROUP, groupId);
    try {
      const now = Date.now();
      const groups: ListGroupsResponse["groups"] = [];
      for (const group of await readAllGroups(ctx)) {
        // Shown as of now; the stored record catches up when the group is next touched.
        applyDeadlines(group, now);
        const state = groupState(group);
        const type = group.type;
        if (states.size > 0 && !states.has(state.toLowerCase())) continue;
        if (types.size > 0 && !types.has(type)) continue;
        if (!visible(group.groupId)) continue;
        groups.push({ groupId: group.groupId, protocolType: protocolTypeOf(group), groupState: state, groupType: type });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: groupErrorCode(error, "ListGroups"), groups: [] };
    }
  },
});
