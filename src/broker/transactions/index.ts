export { TxnTimeouts } from "./txn-timeouts.ts";
export { transactionalProduceCheck, type TransactionalProduceCheck } from "./transactional-produce.ts";
export { pendingTxnOffsets } from "./pending-offsets.ts";

