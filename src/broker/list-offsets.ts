import { ApiKey } from "../protocol/generated/apis.ts";
import type { ListOffsetsRequest, ListOffsetsResponse } from "../protocol/generated/list-offsets.ts";
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from "../protocol/generated/offset-for-leader-epoch.ts";
import type { DeleteRecordsRequest, DeleteRecordsResponse } from "../protocol/generated/delete-records.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { decodeRecordBatch, TimestampType, timestampTypeOf } from "../protocol/record-batch.ts";
import type { Storage, TopicPartition } from "../storage/storage.ts";
import { errorCodeOf } from "./error-mapping.ts";
import { defineApi } from "./handler.ts";
import { LEADER_EPOCH } from "./metadata.ts";
import { hasPartition, lookupAuthorizedTopic } from "./topic-lookup.ts";
import { AclOperation } from "../protocol/acl-codes.ts";

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

/** Looks inside the batch at `batchOffset` for the first record satisfying `match`. */
async function findRecord(
  storage: Storage,
  tp: TopicPartition,
  batchOffset: bigint,
  match: (timestamp: bigint, offset: bigint) => boolean,
): Promise<{ offset: bigint; timestamp: bigint } | null> {
  const { batches } = await storage.fetch(tp, { fetchOffset: batchOffset, maxBytes: 1, isolation: "read_uncommitted" });
  if (batches.length === 0) return null;
  const batch = decodeRecordBatch(batches[0]!);
  for (const record of batch.records) {
    const offset = batch.baseOffset + BigInt(record.offsetDelta);
    const timestamp = timestampTypeOf(batch.attributes) === TimestampType.logAppendTime ? batch.maxTimestamp : batch.baseTimestamp + record.timestampDelta;
    if (offset >= batchOffset && match(timestamp, offset)) return { offset, timestamp };
  }
  return null;
}

async function offsetFor(storage: Storage, tp: TopicPartition, timestamp: bigint, readCommitted: boolean) {
  switch (timestamp) {
    case LATEST:
    case LATEST_TIERED: {
      const offsets = await storage.offsets(tp);
      return { offset: readCommitted ? offsets.lastStableOffset : offsets.highWatermark, timestamp: -1n };
    }
    case EARLIEST:
    case EARLIEST_LOCAL:
      return { offset: (await storage.offsets(tp)).logStartOffset, timestamp: -1n };
    case MAX_TIMESTAMP: {
      const max = await storage.maxTimestamp(tp);
      if (!max) return { offset: -1n, timestamp: -1n };
      return (await findRecord(storage, tp, max.offset, (ts) => ts === max.timestamp)) ?? max;
    }
    default: {
      const found = await storage.offsetForTimestamp(tp, timestamp);
      if (!found) return { offset: -1n, timestamp: -1n };
      return (await findRecord(storage, tp, found.offset, (ts) => ts >= timestamp)) ?? found;
    }
  }
}

export const listOffsetsApi = defineApi<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 10,
  async handle(ctx, request, rc) {
    const readCommitted = (request.isolationLevel ?? 0) === 1;
    const topics: ListOffsetsResponse["topics"] = [];
    for (const t of request.topics) {
      const partitions: ListOffsetsResponse["topics"][number]["partitions"] = [];
      const { topic, errorCode } = await lookupAuthorizedTopic(ctx, rc, AclOperation.DESCRIBE, t.name, "list offsets");
      for (const p of t.partitions) {
        const base = { partitionIndex: p.partitionIndex, oldStyleOffsets: [], leaderEpoch: LEADER_EPOCH };
        if (!hasPartition(topic, p.partitionIndex)) {
          partitions.push({ ...base, errorCode: errorCode || ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1n, offset: -1n, leaderEpoch: -1 });
          continue;
        }
        try {
          const found = await offsetFor(ctx.storage, { topic: t.name, partition: p.partitionIndex }, p.timestamp, readCommitted);
          // v0 answers with a list of up to maxNumOffsets offsets; only v0 encodes it.
          const oldStyleOffsets = found.offset >= 0n && (p.maxNumOffsets ?? 1) > 0 ? [found.offset] : [];
          partitions.push({ ...base, errorCode: ErrorCode.NONE, ...found, oldStyleOffsets });
        } catch (error) {
          partitions.push({ ...base, errorCode: errorCodeOf(error, `list offsets ${t.name}-${p.partitionIndex}`), timestamp: -1n, offset: -1n });
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});

export const offsetForLeaderEpochApi = defineApi<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request, rc) {
    const topics: OffsetForLeaderEpochResponse["topics"] = [];
    for (const t of request.topics) {
      const partitions: OffsetForLeaderEpochResponse["topics"][number]["partitions"] = [];
      const { topic, errorCode } = await lookupAuthorizedTopic(ctx, rc, AclOperation.DESCRIBE, t.topic, "offset for leader epoch");
      for (const p of t.partitions) {
        if (!hasPartition(topic, p.partition)) {
          partitions.push({ errorCode: errorCode || ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition: p.partition, leaderEpoch: -1, endOffset: -1n });
          continue;
        }
        if ((p.currentLeaderEpoch ?? -1) > LEADER_EPOCH) {
          partitions.push({ errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, partition: p.partition, leaderEpoch: -1, endOffset: -1n });
          continue;
        }
        try {
          // Leadership never moves, so epoch 0 spans the whole log: its end is the high watermark.
          const { highWatermark } = await ctx.storage.offsets({ topic: t.topic, partition: p.partition });
          const known = p.leaderEpoch <= LEADER_EPOCH;
          partitions.push({
            errorCode: ErrorCode.NONE,
            partition: p.partition,
            leaderEpoch: known ? LEADER_EPOCH : -1,
            endOffset: known ? highWatermark : -1n,
          });
        } catch (error) {
          partitions.push({ errorCode: errorCodeOf(error, "offset for leader epoch"), partition: p.partition, leaderEpoch: -1, endOffset: -1n });
        }
      }
      topics.push({ topic: t.topic, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});

export const deleteRecordsApi = defineApi<DeleteRecordsRequest, DeleteRecordsResponse>({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request, rc) {
    const topics: DeleteRecordsResponse["topics"] = [];
    for (const t of request.topics) {
      const partitions: DeleteRecordsResponse["topics"][number]["partitions"] = [];
      const { topic, errorCode } = await lookupAuthorizedTopic(ctx, rc, AclOperation.DELETE, t.name, "delete records");
      for (const p of t.partitions) {
        if (!hasPartition(topic, p.partitionIndex)) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: errorCode || ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
          continue;
        }
        try {
          const lowWatermark = await ctx.storage.deleteRecords({ topic: t.name, partition: p.partitionIndex }, p.offset);
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark, errorCode: ErrorCode.NONE });
        } catch (error) {
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(error, "delete records") });
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});
