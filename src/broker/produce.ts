import { ApiKey } from "../protocol/generated/apis.ts";
import type { ProduceRequest, ProduceResponse } from "../protocol/generated/produce.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../protocol/acl-codes.ts";
import { upconvertMessageSet } from "../protocol/legacy-message-set.ts";
import {
  decodeRecordBatch,
  isControl,
  isTransactional,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  splitBatches,
  type RecordBatchHeader,
} from "../protocol/record-batch.ts";
import type { Topic } from "../storage/storage.ts";
import { takeTurn, type AppendTurn } from "./append-order.ts";
import type { BrokerContext } from "./context.ts";
import { errorCodeOf, messageOf } from "./error-mapping.ts";
import { defineApi } from "./handler.ts";
import { LEADER_EPOCH } from "./metadata.ts";
import { lazyRecords, RECORD_VALIDATORS, recordErrorsSummary, validateRecords } from "./record-validation.ts";
import { isLakeSink, topicConfig } from "./topic-config.ts";
import { transactionalProduceCheck, type TransactionalProduceCheck } from "./transactions/index.ts";
import { hasPartition, lookupAuthorizedTopic, topicPartitionKey } from "./topic-lookup.ts";

type PartitionResponse = ProduceResponse["responses"][number]["partitionResponses"][number];

function failure(index: number, errorCode: number, errorMessage: string | null = null): PartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage };
}

/** Kafka's per-batch checks before anything is written. Returns a failure, or null when acceptable. */
function validateBatch(topic: Topic, index: number, header: RecordBatchHeader, bytes: Uint8Array): PartitionResponse | null {
  const maxMessageBytes = Number(topicConfig(topic.configs, "max.message.bytes"));
  if (bytes.byteLength > maxMessageBytes) {
    return failure(index, ErrorCode.MESSAGE_TOO_LARGE, `The batch is ${bytes.byteLength} bytes, larger than max.message.bytes ${maxMessageBytes}`);
  }
  if (isControl(header.attributes)) {
    return failure(index, ErrorCode.INVALID_RECORD, `Clients are not allowed to write control records in topic partition ${topic.name}-${index}`);
  }
  return null;
}

/**
 * Why a batch cannot go to a sink topic's table, or null: its records would be acknowledged without ever being
 * committed to one. Transactions are refused because a sink acknowledges only committed rows, and rows cannot
 * be committed before their transaction is.
 */
function sinkRefusal(ctx: BrokerContext, topic: Topic, hasSchema: boolean, header: RecordBatchHeader): string | null {
  const name = `${topic.name} is a sink topic (tansu.lake.sink=true)`;
  if (!ctx.lake) return `${name}, but this broker has no lake (--lake-location)`;
  if (topicConfig(topic.configs, "tansu.lake.enable") === "false") return `${name}, but tansu.lake.enable=false keeps it out of the lake`;
  if (!hasSchema) return `${name} without a schema: its records have no table`;
  if (isTransactional(header.attributes)) return `${name}: transactional produce is not supported there`;
  return null;
}

/** The per-record checks (RECORD_VALIDATORS): a failure listing every refused record, or null. */
async function validateBatchRecords(ctx: BrokerContext, topic: Topic, index: number, bytes: Uint8Array): Promise<PartitionResponse | null> {
  // splitBatches has verified the CRC.
  const records = lazyRecords(() => decodeRecordBatch(bytes, { verifyCrc: false }).records);
  const errors = await validateRecords(RECORD_VALIDATORS, { ctx, topic, partition: index, records });
  if (errors.length === 0) return null;
  return {
    ...failure(index, ErrorCode.INVALID_RECORD, recordErrorsSummary(errors)),
    recordErrors: errors.map((e) => ({ batchIndex: e.index, batchIndexErrorMessage: e.message })),
  };
}

/** A partition's record batches, CRC-checked; why they cannot be read; or null when there are none. */
type SplitRecords = { batches: ReturnType<typeof splitBatches> } | { error: unknown } | null;

function splitRecords(records: Uint8Array | null, apiVersion: number): SplitRecords {
  if (!records || records.byteLength === 0) return null;
  try {
    // v0-2 carry a legacy message set; it is stored as one magic-2 batch like any other.
    return { batches: splitBatches(apiVersion < 3 ? upconvertMessageSet(records) : records) };
  } catch (error) {
    return { error };
  }
}

/** Checks and appends one partition's batch; the append waits for its turn (append-order.ts). */
async function producePartition(
  ctx: BrokerContext,
  topic: Topic,
  index: number,
  split: SplitRecords,
  checkTransaction: TransactionalProduceCheck | null,
  turn: AppendTurn,
): Promise<PartitionResponse> {
  if (!hasPartition(topic, index)) return failure(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (split === null) return failure(index, ErrorCode.INVALID_RECORD, "No record batch");
  if ("error" in split) throw split.error;
  const { batches } = split;
  if (batches.length !== 1) {
    return failure(index, ErrorCode.INVALID_RECORD, "Produce requests of version 3 or later must contain exactly one record batch");
  }
  const { header, bytes } = batches[0]!;
  const rejected = validateBatch(topic, index, header, bytes) ?? (await validateBatchRecords(ctx, topic, index, bytes));
  if (rejected) return rejected;
  // Topics with a schema: every record checked, the batch refused whole when any fails (src/schema).
  const schemaCheck = ctx.schemas ? await ctx.schemas.validate(topic, bytes) : null;
  if (schemaCheck?.rejected) {
    ctx.metrics?.validationRejected(topic.name);
    return {
      ...failure(index, ErrorCode.INVALID_RECORD, schemaCheck.rejected.message),
      recordErrors: schemaCheck.rejected.records.map((e) => ({ batchIndex: e.index, batchIndexErrorMessage: e.message })),
    };
  }
  const sink = isLakeSink(topic.configs);
  const refusal = sink ? sinkRefusal(ctx, topic, schemaCheck !== null, header) : null;
  if (refusal) return failure(index, ErrorCode.POLICY_VIOLATION, refusal);
  if (isTransactional(header.attributes)) {
    if (checkTransaction === null) return failure(index, ErrorCode.INVALID_REQUEST, "Transactional batch without a transactional id");
    const refused = await checkTransaction({ topic: topic.name, partition: index }, header.producerId, header.producerEpoch);
    if (refused !== null) return failure(index, refused);
  }

  await turn.ready;
  setPartitionLeaderEpoch(bytes, LEADER_EPOCH);
  let logAppendTimeMs = -1n;
  if (topicConfig(topic.configs, "message.timestamp.type") === "LogAppendTime") {
    logAppendTimeMs = BigInt(Date.now());
    setLogAppendTime(bytes, logAppendTimeMs);
  }
  // A batch without timestamps (magic 0, up-converted) ages from its arrival for retention, as Kafka falls back
  // to the segment's modification time.
  const maxTimestamp = logAppendTimeMs >= 0n ? logAppendTimeMs : header.maxTimestamp >= 0n ? header.maxTimestamp : BigInt(Date.now());
  const appending = ctx.storage.append(
    { topic: topic.name, partition: index },
    {
      bytes,
      offsetCount: header.lastOffsetDelta + 1,
      maxTimestamp,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      transactional: isTransactional(header.attributes),
      control: null,
    },
  );
  // A store that keeps call order takes the next append before this one is done (and may
  // commit them together); any other gets it only afterwards.
  if (ctx.storage.appendsInCallOrder) turn.end();
  const result = await appending;
  if (!result.duplicate) {
    ctx.notifier.notify(topic.name, index);
    ctx.metrics?.produced(topic.name, bytes.byteLength, header.recordCount);
    if (schemaCheck?.accepted) ctx.schemas!.appended(schemaCheck.accepted, topic.name, index, result.baseOffset);
  }
  if (ctx.lake && schemaCheck?.accepted) {
    const appended = { topic, partition: index, baseOffset: result.baseOffset, bytes, batch: schemaCheck.accepted, duplicate: result.duplicate };
    const written = ctx.lake.appended(appended);
    // A sink topic's produce is answered once its rows are in the table.
    const refused = sink ? await written : null;
    if (refused) return failure(index, refused.errorCode, refused.message);
  }
  return {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: result.baseOffset,
    logAppendTimeMs,
    logStartOffset: result.logStartOffset,
    recordErrors: [],
    errorMessage: null,
  };
}

export const produceApi = defineApi<ProduceRequest, ProduceResponse>({
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 11,
  async handle(ctx, request, rc) {
    const refuseAll = (errorCode: number) => ({
      responses: request.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => failure(p.index, errorCode)) })),
      throttleTimeMs: 0,
    });
    if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1) return refuseAll(ErrorCode.INVALID_REQUIRED_ACKS);
    const transactionalId = request.transactionalId ?? null;
    if (transactionalId !== null && !rc.authz.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) {
      return request.acks === 0 ? null : refuseAll(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    // Read the transaction at most once for the whole request.
    const checkTransaction = transactionalId === null ? null : transactionalProduceCheck(ctx, transactionalId);
    const lookups = new Map<string, ReturnType<typeof lookupAuthorizedTopic>>();
    for (const { name } of request.topicData) {
      if (!lookups.has(name)) lookups.set(name, lookupAuthorizedTopic(ctx, rc, AclOperation.WRITE, name, "produce to"));
    }
    // Partitions are appended concurrently, so a request waits for its slowest partition, not
    // for the sum of them (each append is a store round trip on s3:// and postgres://). Each
    // callback takes its turn and splits its records before its first await, so turns are taken
    // while handle() runs: each partition is appended in the order requests arrived on the
    // connection, however the checks of requests handled side by side interleave
    // (append-order.ts); a partition named twice is appended in request order.
    const responses: ProduceResponse["responses"] = await Promise.all(
      request.topicData.map(async (topicData) => ({
        name: topicData.name,
        partitionResponses: await Promise.all(
          topicData.partitionData.map(async (partition) => {
            const turn = takeTurn(rc.appendTurns, topicPartitionKey(topicData.name, partition.index));
            try {
              const split = splitRecords(partition.records, rc.apiVersion);
              const { topic, errorCode } = await lookups.get(topicData.name)!;
              if (!topic) return failure(partition.index, errorCode);
              return await producePartition(ctx, topic, partition.index, split, checkTransaction, turn).catch((error) =>
                failure(partition.index, errorCodeOf(error, `produce to ${topicData.name}-${partition.index}`), messageOf(error)),
              );
            } finally {
              turn.end();
            }
          }),
        ),
      })),
    );
    return request.acks === 0 ? null : { responses, throttleTimeMs: 0 };
  },
});
