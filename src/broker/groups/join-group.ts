import { ApiKey } from "../../protocol/generated/apis.ts";
import type { JoinGroupRequest, JoinGroupResponse } from "../../protocol/generated/join-group.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { defineApi } from "../handler.ts";
import { joinClassic, joinError, joinResult, newClassicGroup, tickClassic, type JoinAnswer, type JoinInput, type JoinOutcome } from "./classic-group.ts";
import { clientIdentity } from "./client-identity.ts";
import { groupErrorCode } from "./group-errors.ts";
import { DEFAULT_GROUP_SETTINGS as SETTINGS } from "./group-settings.ts";
import { changeGroup } from "./group-store.ts";
import { noteGroupServed } from "./group-sweeper.ts";
import { awaitGroup } from "./group-wait.ts";

function response(answer: JoinAnswer, version: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: answer.errorCode,
    generationId: answer.generationId,
    protocolType: answer.protocolType,
    // Before v7 the protocol name is not nullable; Kafka sends "" when there is none.
    protocolName: answer.protocolName ?? (version >= 7 ? null : ""),
    leader: answer.leader,
    skipAssignment: answer.skipAssignment,
    memberId: answer.memberId,
    members: answer.members,
  };
}

export const joinGroupApi = defineApi<JoinGroupRequest, JoinGroupResponse>({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request, rc) {
    const { groupId, memberId, sessionTimeoutMs } = request;
    if (groupId === "") return response(joinError(ErrorCode.INVALID_GROUP_ID, memberId), rc.apiVersion);
    if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return response(joinError(ErrorCode.GROUP_AUTHORIZATION_FAILED, memberId), rc.apiVersion);
    if (sessionTimeoutMs < SETTINGS.minSessionTimeoutMs || sessionTimeoutMs > SETTINGS.maxSessionTimeoutMs) {
      return response(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, memberId), rc.apiVersion);
    }
    const { clientId, clientHost } = clientIdentity(rc);
    const join: JoinInput = {
      memberId,
      groupInstanceId: request.groupInstanceId ?? null,
      clientId,
      clientHost,
      sessionTimeoutMs,
      // v0 has no rebalance timeout: the session timeout serves as both.
      rebalanceTimeoutMs: rc.apiVersion >= 1 ? (request.rebalanceTimeoutMs ?? sessionTimeoutMs) : sessionTimeoutMs,
      protocolType: request.protocolType,
      // Decoded bytes are views into the request frame; the group keeps copies of its own.
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() })),
      requireKnownMemberId: rc.apiVersion >= 4,
      newMemberId: `${clientId}-${crypto.randomUUID()}`,
    };
    try {
      const outcome = await changeGroup<JoinOutcome>(ctx, groupId, (current, now) => {
        // A share group never becomes a classic group, empty or not.
        if (current && current.type !== "classic" && (current.members.length > 0 || current.type === "share")) {
          return { result: { answer: joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId) } };
        }
        // An empty KIP-848 group is converted, as Kafka does; a known member id needs a group.
        if (!current || current.type !== "classic") {
          if (memberId !== "") return { result: { answer: joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId) } };
          current = newClassicGroup(groupId);
        }
        return { result: joinClassic(current, join, now, SETTINGS), save: current };
      });
      noteGroupServed(ctx, groupId);
      if ("answer" in outcome) return response(outcome.answer, rc.apiVersion);
      const answer = await awaitGroup(ctx, groupId, rc, (current, now) => {
        if (!current || current.type !== "classic") return { result: joinResult(null, outcome.wait) };
        const changed = tickClassic(current, now, SETTINGS);
        return { result: joinResult(current, outcome.wait), save: changed ? current : undefined };
      });
      // Null only when the connection closed: nobody reads this answer.
      return response(answer ?? joinError(ErrorCode.REBALANCE_IN_PROGRESS, outcome.wait.memberId), rc.apiVersion);
    } catch (error) {
      return response(joinError(groupErrorCode(error, `JoinGroup ${groupId}`), memberId), rc.apiVersion);
    }
  },
});
