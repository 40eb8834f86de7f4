import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from "../../protocol/generated/add-offsets-to-txn.ts";
import { defineApi } from "../handler.ts";
import { coordinatorErrorCode, refusalCode } from "./txn-errors.ts";
import { addGroup } from "./txn-state.ts";
import { updateTxn } from "./txn-update.ts";

/** AddOffsetsToTxn answers PRODUCER_FENCED from this version on (KIP-588). */
const PRODUCER_FENCED_SINCE = 2;

/**
 * Kafka adds the group's __consumer_offsets partition to the transaction; tansu has no such
 * partition, so the group itself joins the transaction, and TxnOffsetCommit for it is
 * accepted until the transaction ends.
 */
export const addOffsetsToTxnApi = defineApi<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  // v4 only adds TRANSACTION_ABORTABLE to the codes a client understands; it is never answered here.
  maxVersion: 4,
  async handle(ctx, request, rc) {
    const { transactionalId, producerId, producerEpoch, groupId } = request;
    if (transactionalId === "") return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST };
    if (!rc.authz.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    try {
      const refusal = await updateTxn(ctx, transactionalId, "AddOffsetsToTxn", (current, now) =>
        addGroup(current, producerId, producerEpoch, groupId, now),
      );
      return { throttleTimeMs: 0, errorCode: refusal === null ? ErrorCode.NONE : refusalCode(refusal, rc.apiVersion, PRODUCER_FENCED_SINCE) };
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: coordinatorErrorCode(error, `AddOffsetsToTxn for ${transactionalId}`) };
    }
  },
});
