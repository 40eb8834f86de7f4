import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from "../../protocol/generated/describe-transactions.ts";
import type { BrokerContext, RequestContext } from "../context.ts";
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

function described(rc: RequestContext, transactionalId: string, txn: TxnState): Described {
  // Only partitions of topics the principal may describe are shown.
  const topics = Map.groupBy(
    txn.partitions.filter((tp) => rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, tp.topic)),
    (tp) => tp.topic,
  );
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

async function describe(ctx: BrokerContext, rc: RequestContext, transactionalId: string): Promise<Described> {
  if (transactionalId === "") return failure(transactionalId, ErrorCode.INVALID_REQUEST);
  if (!rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, transactionalId)) return failure(transactionalId, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  try {
    const current = await readTxn(ctx.storage, transactionalId);
    return current === null ? failure(transactionalId, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) : described(rc, transactionalId, current.value);
  } catch (error) {
    return failure(transactionalId, coordinatorErrorCode(error, `DescribeTransactions for ${transactionalId}`));
  }
}

export const describeTransactionsApi = defineApi<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request, rc) {
    const transactionStates: Described[] = [];
    for (const transactionalId of request.transactionalIds) transactionStates.push(await describe(ctx, rc, transactionalId));
    return { throttleTimeMs: 0, transactionStates };
  },
});
