import type { BrokerContext } from "../context.ts";
import { completeTransaction } from "./txn-completion.ts";
import { isPrepare, type Transition, type TxnRefusal, type TxnState } from "./txn-state.ts";
import { readTxn, RETRY, withRetries, writeTxn } from "./txn-store.ts";

/**
 * Applies a producer's request to the stored state of its transactional id: read, decide
 * with `transition`, compare-and-set, and on a lost race start over on fresh state. A
 * transaction found half-ended (the broker ending it may have died) is finished first.
 * Null when the request was applied (or changed nothing); otherwise why it was refused.
 */
export function updateTxn(
  ctx: BrokerContext,
  transactionalId: string,
  what: string,
  transition: (current: TxnState, now: bigint) => Transition,
): Promise<TxnRefusal | null> {
  return withRetries(transactionalId, what, async () => {
    const now = BigInt(Date.now());
    const current = await readTxn(ctx.storage, transactionalId);
    // Kafka answers an unknown transactional id like a producer id it does not know.
    if (current === null) return "producerIdMismatch";
    if (isPrepare(current.value.state)) {
      await completeTransaction(ctx, transactionalId, current, now);
      return RETRY;
    }
    const step = transition(current.value, now);
    if (!step.ok) return step.refusal;
    if (!step.changed) return null;
    return (await writeTxn(ctx.storage, transactionalId, step.next, current.version)) === null ? RETRY : null;
  });
}
