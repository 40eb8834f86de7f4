import { ApiKey } from "../../protocol/generated/apis.ts";
import type { DeleteGroupsRequest, DeleteGroupsResponse } from "../../protocol/generated/delete-groups.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import type { BrokerContext } from "../context.ts";
import { defineApi } from "../handler.ts";
import { groupErrorCode } from "./group-errors.ts";
import { changeGroup } from "./group-store.ts";
import { applyDeadlines } from "./group-summary.ts";
import { deleteSharePartitions } from "../share/share-partition-store.ts";

/** Deletes an empty group with its committed offsets, or its share-partition state. */
async function deleteGroup(ctx: BrokerContext, groupId: string): Promise<number> {
  const outcome = await changeGroup<"missing" | "busy" | "deleted" | "deleted share">(ctx, groupId, (group, now) => {
    if (!group) return { result: "missing" };
    const changed = applyDeadlines(group, now);
    if (group.members.length > 0) return { result: "busy", save: changed ? group : undefined };
    return { result: group.type === "share" ? "deleted share" : "deleted", remove: true };
  });
  if (outcome === "busy") return ErrorCode.NON_EMPTY_GROUP;
  if (outcome === "deleted share") {
    await deleteSharePartitions(ctx, groupId, () => true);
    return ErrorCode.NONE;
  }
  const committed = await ctx.storage.fetchOffsets(groupId);
  // Offsets committed transactionally may exist without a group record; they make a group too.
  if (outcome === "missing" && committed.length === 0) return ErrorCode.GROUP_ID_NOT_FOUND;
  if (committed.length > 0) await ctx.storage.deleteOffsets(groupId, committed);
  return ErrorCode.NONE;
}

export const deleteGroupsApi = defineApi<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request, rc) {
    const results = await Promise.all(
      request.groupsNames.map(async (groupId) => {
        if (!rc.authz.allows(AclOperation.DELETE, ResourceType.GROUP, groupId)) return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
        try {
          return { groupId, errorCode: await deleteGroup(ctx, groupId) };
        } catch (error) {
          return { groupId, errorCode: groupErrorCode(error, `DeleteGroups ${groupId}`) };
        }
      }),
    );
    return { throttleTimeMs: 0, results };
  },
});
