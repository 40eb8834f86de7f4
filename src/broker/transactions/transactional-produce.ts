import { ErrorCode } from "../../protocol/error-codes.ts";
import type { TopicPartition } from "../../storage/storage.ts";
import type { BrokerContext } from "../context.ts";
import { refusalCode } from "./txn-errors.ts";
import { checkTransactionalWrite } from "./txn-state.ts";
import { readTxn } from "./txn-store.ts";

/** Checks one transactional batch; resolves to the Kafka error code to answer, or null to go ahead. */
export type TransactionalProduceCheck = (tp: TopicPartition, producerId: bigint, producerEpoch: number) => Promise<number | null>;

/**
 * Kafka's produce-side transaction verification (KIP-890 part 1) for one produce request: a
 * transactional batch is written only if its producer is the current epoch of
 * `transactionalId` and its partition was added to the ongoing transaction. The transaction
 * is read once per request, not once per partition. A stale epoch is INVALID_PRODUCER_EPOCH
 * (never PRODUCER_FENCED) on the produce path, as in Kafka, where clients treat it as abortable.
 */
export function transactionalProduceCheck(ctx: BrokerContext, transactionalId: string): TransactionalProduceCheck {
  let current: ReturnType<typeof readTxn> | undefined;
  return async (tp, producerId, producerEpoch) => {
    const txn = await (current ??= readTxn(ctx.storage, transactionalId));
    if (txn === null) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const refusal = checkTransactionalWrite(txn.value, producerId, producerEpoch, tp);
    return refusal === null ? null : refusalCode(refusal, 0, null);
  };
}
