import { ErrorCode } from "../../protocol/error-codes.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from "../../protocol/generated/describe-transactions.ts";
import type { BrokerContext } from "../context.ts";
import { defineApi } from "../handler.ts";
import { coordinatorErrorCode } from "./txn-errors.ts";
import type { TxnState } from "./txn-state.ts";
import { readTxn } from "./txn-store.ts";

type Described = DescribeTransactionsResponse["transactionStates"][number];

function failure(transactionalId: string, errorCode: number): Described {
  return {
    errorCode,
    transactionalId,
    transactionState: "",
    transactionTimeoutMs: 0,
    transactionStartTimeMs: -1n,
    producerId: -1n,
    producerEpoch: -1,
    topics: [],
  };
}

function described(transactionalId: string, txn: TxnState): Described {
  const topics = Map.groupBy(txn.partitions, (tp) => tp.topic);
  return {
    errorCode: ErrorCode.NONE,
    transactionalId,
    transactionState: txn.state,
    transactionTimeoutMs: txn.timeoutMs,
    transactionStartTimeMs: txn.startTimestamp,
    producerId: txn.producerId,
    producerEpoch: txn.producerEpoch,
    topics: [...topics].map(([topic, partitions]) => ({ topic, partitions: partitions.map((tp) => tp.partition) })),
  };
}

async function describe(ctx: BrokerContext, transactionalId: string): Promise<Described> {
  if (transactionalId === "") return failure(transactionalId, ErrorCode.INVALID_REQUEST);
  try {
    const current = await readTxn(ctx.storage, transactionalId);
    return current === null ? failure(transactionalId, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) : described(transactionalId, current.value);
  } catch (error) {
    return failure(transactionalId, coordinatorErrorCode(error, `DescribeTransactions for ${transactionalId}`));
  }
}

export const describeTransactionsApi = defineApi<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    const transactionStates: Described[] = [];
    for (const transactionalId of request.transactionalIds) transactionStates.push(await describe(ctx, transactionalId));
    return { throttleTimeMs: 0, transactionStates };
  },
});
