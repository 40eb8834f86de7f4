import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from "../../protocol/generated/txn-offset-commit.ts";
import { defineApi } from "../handler.ts";
import { missingPartitions, topicPartitionKey } from "../topic-lookup.ts";
import { coordinatorErrorCode, refusalCode } from "./txn-errors.ts";
import { addPendingOffsets, type PendingOffset } from "./txn-state.ts";
import { updateTxn } from "./txn-update.ts";

type TopicResponse = TxnOffsetCommitResponse["topics"][number];

/**
 * The offsets are kept with the transaction's state and written to the group's committed
 * offsets only when the transaction commits (dropped when it aborts), which is what Kafka
 * achieves with pending offsets in __consumer_offsets and transaction markers.
 */
export const txnOffsetCommitApi = defineApi<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  // v4 only adds TRANSACTION_ABORTABLE to the codes a client understands; it is never answered here.
  maxVersion: 4,
  async handle(ctx, request, rc) {
    const answer = (code: (topic: string, partition: number) => number): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: request.topics.map(
        (t): TopicResponse => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name, p.partitionIndex) })) }),
      ),
    });
    const { transactionalId, groupId, producerId, producerEpoch } = request;
    if (transactionalId === "") return answer(() => ErrorCode.INVALID_REQUEST);
    if (!rc.authz.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) return answer(() => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return answer(() => ErrorCode.GROUP_AUTHORIZATION_FAILED);
    try {
      const failed = await missingPartitions(
        ctx,
        request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
        "commit transactional offsets for",
        (name) => rc.authz.allows(AclOperation.READ, ResourceType.TOPIC, name),
      );
      const offsets: PendingOffset[] = request.topics.flatMap((t) =>
        t.partitions
          .filter((p) => !failed.has(topicPartitionKey(t.name, p.partitionIndex)))
          .map((p) => ({
            group: groupId,
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch ?? -1,
            metadata: p.committedMetadata,
          })),
      );
      const refusal =
        offsets.length === 0
          ? null
          : await updateTxn(ctx, transactionalId, "TxnOffsetCommit", (current, now) => addPendingOffsets(current, producerId, producerEpoch, offsets, now));
      // Kafka's group coordinator reports a stale epoch here as INVALID_PRODUCER_EPOCH in every version.
      const code = refusal === null ? ErrorCode.NONE : refusalCode(refusal, rc.apiVersion, null);
      return answer((topic, partition) => failed.get(topicPartitionKey(topic, partition)) ?? code);
    } catch (error) {
      const code = coordinatorErrorCode(error, `TxnOffsetCommit for ${transactionalId} (group ${groupId})`);
      return answer(() => code);
    }
  },
});
