import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import type { EndTxnRequest, EndTxnResponse } from "../../protocol/generated/end-txn.ts";
import type { BrokerContext } from "../context.ts";
import { defineApi } from "../handler.ts";
import { completeTransaction } from "./txn-completion.ts";
import { coordinatorErrorCode, refusalCode } from "./txn-errors.ts";
import { isPrepare, prepareEnd } from "./txn-state.ts";
import { readTxn, RETRY, withRetries, writeTxn } from "./txn-store.ts";

/** EndTxn answers PRODUCER_FENCED from this version on (KIP-588). */
const PRODUCER_FENCED_SINCE = 2;

/**
 * Two phases, each durable before the next: Prepare* is written with compare-and-set (from
 * then on the outcome is decided), then the markers and offsets, then Complete*. Unlike
 * Kafka, which answers after Prepare* and writes markers in the background, the answer waits
 * for the markers, so a read_committed consumer sees the outcome as soon as the producer does.
 */
async function endTransaction(ctx: BrokerContext, request: EndTxnRequest, apiVersion: number): Promise<number> {
  const { transactionalId, producerId, producerEpoch, committed } = request;
  return withRetries(transactionalId, "EndTxn", async () => {
    const now = BigInt(Date.now());
    const current = await readTxn(ctx.storage, transactionalId);
    if (current === null) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    // A retry after a lost answer, or another broker that died midway: finish, then judge
    // the request against the completed state (a retried commit then succeeds).
    if (isPrepare(current.value.state)) {
      await completeTransaction(ctx, transactionalId, current, now);
      return RETRY;
    }
    const step = prepareEnd(current.value, producerId, producerEpoch, committed, now);
    if (!step.ok) return refusalCode(step.refusal, apiVersion, PRODUCER_FENCED_SINCE);
    if (!step.changed) return ErrorCode.NONE;
    const version = await writeTxn(ctx.storage, transactionalId, step.next, current.version);
    if (version === null) return RETRY;
    // Superseded means another broker finished this very transaction: the outcome stands either way.
    await completeTransaction(ctx, transactionalId, { value: step.next, version }, now);
    return ErrorCode.NONE;
  });
}

export const endTxnApi = defineApi<EndTxnRequest, EndTxnResponse>({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  // v5 (KIP-890 part 2) means the coordinator bumps the epoch at every transaction end and
  // partitions join implicitly through Produce v12; clients use it only when the broker
  // finalizes the transaction.version 2 feature, which tansu does not, so it is not offered.
  maxVersion: 4,
  async handle(ctx, request, rc) {
    if (request.transactionalId === "") return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST };
    if (!rc.authz.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    }
    try {
      return { throttleTimeMs: 0, errorCode: await endTransaction(ctx, request, rc.apiVersion) };
    } catch (error) {
      return { throttleTimeMs: 0, errorCode: coordinatorErrorCode(error, `EndTxn for ${request.transactionalId}`) };
    }
  },
});
