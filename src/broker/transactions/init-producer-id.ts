import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, CLUSTER_NAME, ResourceType } from "../../protocol/acl-codes.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import type { InitProducerIdRequest, InitProducerIdResponse } from "../../protocol/generated/init-producer-id.ts";
import type { BrokerContext } from "../context.ts";
import { defineApi } from "../handler.ts";
import { completeTransaction } from "./txn-completion.ts";
import { coordinatorErrorCode, refusalCode } from "./txn-errors.ts";
import {
  initProducer,
  isPrepare,
  newTxnState,
  NO_EPOCH,
  NO_PRODUCER_ID,
  rotateProducerId,
  type ProducerIdAndEpoch,
  type TxnState,
} from "./txn-state.ts";
import { readTxn, RETRY, withRetries, writeTxn } from "./txn-store.ts";

/** InitProducerId answers PRODUCER_FENCED from this version on (KIP-588). */
const PRODUCER_FENCED_SINCE = 4;

function failure(errorCode: number): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_EPOCH };
}

function granted(txn: { producerId: bigint; producerEpoch: number }): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
}

/** KIP-360: a producer may name its current id and epoch (both, or neither). */
function expectedProducer(request: InitProducerIdRequest): ProducerIdAndEpoch | null | "invalid" {
  const producerId = request.producerId ?? NO_PRODUCER_ID;
  const epoch = request.producerEpoch ?? NO_EPOCH;
  if (producerId === NO_PRODUCER_ID && epoch === NO_EPOCH) return null;
  if (producerId === NO_PRODUCER_ID || epoch === NO_EPOCH) return "invalid";
  return { producerId, epoch };
}

/**
 * One read-decide-write round for a transactional id. Transactions left open or half-ended
 * are finished here first (aborting an open one at a fenced epoch), then the epoch is bumped.
 */
async function attempt(
  ctx: BrokerContext,
  transactionalId: string,
  timeoutMs: number,
  expected: ProducerIdAndEpoch | null,
  apiVersion: number,
): Promise<InitProducerIdResponse | typeof RETRY> {
  const now = BigInt(Date.now());
  let current = await readTxn(ctx.storage, transactionalId);
  if (current === null) {
    const created = newTxnState(await ctx.storage.allocateProducerId(), timeoutMs, now);
    const version = await writeTxn(ctx.storage, transactionalId, created, null);
    if (version === null) return RETRY;
    current = { value: created, version };
  }
  if (isPrepare(current.value.state)) {
    await completeTransaction(ctx, transactionalId, current, now);
    return RETRY;
  }
  const step = initProducer(current.value, timeoutMs, expected, now);
  let next: TxnState;
  switch (step.kind) {
    case "refused":
      return failure(refusalCode(step.refusal, apiVersion, PRODUCER_FENCED_SINCE));
    case "abortFirst": {
      const version = await writeTxn(ctx.storage, transactionalId, step.next, current.version);
      if (version !== null) await completeTransaction(ctx, transactionalId, { value: step.next, version }, now);
      return RETRY;
    }
    case "rotate":
      next = rotateProducerId(current.value, await ctx.storage.allocateProducerId(), timeoutMs, expected, now);
      break;
    case "ready":
      if (!step.changed) return granted(step.next);
      next = step.next;
      break;
  }
  return (await writeTxn(ctx.storage, transactionalId, next, current.version)) === null ? RETRY : granted(next);
}

export const initProducerIdApi = defineApi<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  // v5 only adds TRANSACTION_ABORTABLE to the codes a client understands; it is never answered here.
  maxVersion: 5,
  async handle(ctx, request, rc) {
    const transactionalId = request.transactionalId;
    if (transactionalId !== null && !rc.authz.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) {
      return failure(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    // An idempotent producer needs IDEMPOTENT_WRITE on the cluster or, since Kafka 2.8, WRITE on some topic.
    if (transactionalId === null && !rc.authz.allows(AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, CLUSTER_NAME) && !rc.authz.allowsAny(AclOperation.WRITE, ResourceType.TOPIC)) {
      return failure(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    try {
      // An idempotent producer without transactions: a fresh id every time, as Kafka does.
      if (transactionalId === null) return granted({ producerId: await ctx.storage.allocateProducerId(), producerEpoch: 0 });
      if (transactionalId === "") return failure(ErrorCode.INVALID_REQUEST);
      const timeoutMs = request.transactionTimeoutMs;
      if (timeoutMs <= 0 || timeoutMs > ctx.config.transactionMaxTimeoutMs) return failure(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
      const expected = expectedProducer(request);
      if (expected === "invalid") return failure(ErrorCode.INVALID_REQUEST);
      return await withRetries(transactionalId, "InitProducerId", () =>
        attempt(ctx, transactionalId, timeoutMs, expected, rc.apiVersion),
      );
    } catch (error) {
      return failure(coordinatorErrorCode(error, `InitProducerId for ${transactionalId ?? "an idempotent producer"}`));
    }
  },
});
