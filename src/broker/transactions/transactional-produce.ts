import { ErrorCode } from "../../protocol/error-codes.ts";
import type { TopicPartition } from "../../storage/storage.ts";
import type { BrokerContext } from "../context.ts";
import { refusalCode } from "./txn-errors.ts";
import { checkTransactionalWrite } from "./txn-state.ts";
import { readTxn } from "./txn-store.ts";

/**
 * Kafka's produce-side transaction verification (KIP-890 part 1): a transactional batch is
 * written only if its producer is the current epoch of `transactionalId` and `tp` was added
 * to the ongoing transaction. Returns the Kafka error code to answer, or null to go ahead.
 * A stale epoch is INVALID_PRODUCER_EPOCH (never PRODUCER_FENCED) on the produce path, as
 * in Kafka, where clients treat it as abortable.
 */
export async function checkTransactionalProduce(
  ctx: BrokerContext,
  transactionalId: string,
  tp: TopicPartition,
  producerId: bigint,
  producerEpoch: number,
): Promise<number | null> {
  const current = await readTxn(ctx.storage, transactionalId);
  if (current === null) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  const refusal = checkTransactionalWrite(current.value, producerId, producerEpoch, tp);
  return refusal === null ? null : refusalCode(refusal, 0, null);
}
