import type { ApiHandler } from "../handler.ts";
import { addOffsetsToTxnApi } from "./add-offsets-to-txn.ts";
import { addPartitionsToTxnApi } from "./add-partitions-to-txn.ts";
import { describeTransactionsApi } from "./describe-transactions.ts";
import { endTxnApi } from "./end-txn.ts";
import { initProducerIdApi } from "./init-producer-id.ts";
import { listTransactionsApi } from "./list-transactions.ts";
import { txnOffsetCommitApi } from "./txn-offset-commit.ts";

export { TXN_SWEEP_INTERVAL_MS, TxnTimeouts } from "./txn-timeouts.ts";
export { transactionalProduceCheck, type TransactionalProduceCheck } from "./transactional-produce.ts";
export { pendingTxnOffsets } from "./pending-offsets.ts";

/** The idempotent-producer and transaction coordinator APIs. */
export function transactionApis(): ApiHandler[] {
  return [
    initProducerIdApi,
    addPartitionsToTxnApi,
    addOffsetsToTxnApi,
    txnOffsetCommitApi,
    endTxnApi,
    describeTransactionsApi,
    listTransactionsApi,
  ];
}
