import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import type { ListTransactionsRequest, ListTransactionsResponse } from "../../protocol/generated/list-transactions.ts";
import { defineApi } from "../handler.ts";
import { coordinatorErrorCode } from "./txn-errors.ts";
import { TXN_STATES, type TxnState, type TxnStateName } from "./txn-state.ts";
import { listTxns } from "./txn-store.ts";

function isStateName(name: string): name is TxnStateName {
  return (TXN_STATES as readonly string[]).includes(name);
}

/** Every broker sees every transactional id (they all share the store), so each answers for all of them. */
export const listTransactionsApi = defineApi<ListTransactionsRequest, ListTransactionsResponse>({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request, rc) {
    const unknownStateFilters = request.stateFilters.filter((s) => !isStateName(s));
    const states = new Set(request.stateFilters.filter(isStateName));
    const producerIds = new Set(request.producerIdFilters);
    const durationMs = request.durationFilter ?? -1n;
    const now = BigInt(Date.now());
    // As Kafka: a filter on unknown states alone matches nothing rather than everything.
    const wanted = (txn: TxnState) =>
      (request.stateFilters.length === 0 || states.has(txn.state)) &&
      (producerIds.size === 0 || producerIds.has(txn.producerId)) &&
      (durationMs < 0n || now - txn.startTimestamp > durationMs);
    try {
      const transactionStates = (await listTxns(ctx.storage))
        .filter((r) => wanted(r.value) && rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, r.key))
        .map((r) => ({ transactionalId: r.key, producerId: r.value.producerId, transactionState: r.value.state }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
    } catch (error) {
      return {
        throttleTimeMs: 0,
        errorCode: coordinatorErrorCode(error, "ListTransactions"),
        unknownStateFilters,
        transactionStates: [],
      };
    }
  },
});
