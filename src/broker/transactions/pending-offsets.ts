import type { Storage, TopicPartition } from "../../storage/storage.ts";
import { listTxns } from "./txn-store.ts";

/**
 * KIP-447: the partitions of `group` whose offsets are pending in a transaction not yet
 * complete. OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT for these, so a
 * read_committed consumer taking over waits for the transaction instead of reading a
 * committed offset that is about to move.
 */
export async function pendingTxnOffsets(storage: Storage, group: string): Promise<TopicPartition[]> {
  const pending: TopicPartition[] = [];
  for (const { value } of await listTxns(storage)) {
    for (const o of value.offsets) if (o.group === group) pending.push({ topic: o.topic, partition: o.partition });
  }
  return pending;
}
