import { ErrorCode } from "../../protocol/error-codes.ts";
import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import type {
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnRequestAddPartitionsToTxnTransaction as TransactionRequest,
  AddPartitionsToTxnResponse,
  AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult as TopicResult,
} from "../../protocol/generated/add-partitions-to-txn.ts";
import type { TopicPartition } from "../../storage/storage.ts";
import type { BrokerContext, RequestContext } from "../context.ts";
import { defineApi } from "../handler.ts";
import { missingPartitions, topicPartitionKey } from "../topic-lookup.ts";
import { coordinatorErrorCode, refusalCode } from "./txn-errors.ts";
import { addPartitions, checkTransactionalWrite } from "./txn-state.ts";
import { readTxn } from "./txn-store.ts";
import { updateTxn } from "./txn-update.ts";

/** AddPartitionsToTxn answers PRODUCER_FENCED from this version on (KIP-588). */
const PRODUCER_FENCED_SINCE = 2;

/** A result for every requested partition, with the code `code` gives it. */
function resultsFor(topics: TransactionRequest["topics"], code: (tp: TopicPartition) => number): TopicResult[] {
  return topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((partition) => ({ partitionIndex: partition, partitionErrorCode: code({ topic: t.name, partition }) })),
  }));
}

/**
 * Partitions of unknown topics fail alone, and then (as in Kafka) nothing is added and the
 * others are OPERATION_NOT_ATTEMPTED. Null when every partition exists.
 */
async function unknownPartitions(ctx: BrokerContext, rc: RequestContext, topics: TransactionRequest["topics"]): Promise<TopicResult[] | null> {
  const failed = await missingPartitions(ctx, topics, "add to a transaction", (name) => rc.authz.allows(AclOperation.WRITE, ResourceType.TOPIC, name));
  if (failed.size === 0) return null;
  return resultsFor(topics, (tp) => failed.get(topicPartitionKey(tp.topic, tp.partition)) ?? ErrorCode.OPERATION_NOT_ATTEMPTED);
}

async function add(ctx: BrokerContext, rc: RequestContext, txn: TransactionRequest): Promise<TopicResult[]> {
  const apiVersion = rc.apiVersion;
  const rejected = await unknownPartitions(ctx, rc, txn.topics);
  if (rejected) return rejected;
  const partitions = txn.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  const refusal = await updateTxn(ctx, txn.transactionalId, "AddPartitionsToTxn", (current, now) =>
    addPartitions(current, txn.producerId, txn.producerEpoch, partitions, now),
  );
  const code = refusal === null ? ErrorCode.NONE : refusalCode(refusal, apiVersion, PRODUCER_FENCED_SINCE);
  return resultsFor(txn.topics, () => code);
}

/** v4+ with verifyOnly (KIP-890): whether each partition is already in the ongoing transaction; nothing changes. */
async function verify(ctx: BrokerContext, txn: TransactionRequest, apiVersion: number): Promise<TopicResult[]> {
  const current = await readTxn(ctx.storage, txn.transactionalId);
  return resultsFor(txn.topics, (tp) => {
    if (current === null) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const refusal = checkTransactionalWrite(current.value, txn.producerId, txn.producerEpoch, tp);
    return refusal === null ? ErrorCode.NONE : refusalCode(refusal, apiVersion, PRODUCER_FENCED_SINCE);
  });
}

async function handleOne(ctx: BrokerContext, rc: RequestContext, txn: TransactionRequest): Promise<TopicResult[]> {
  if (txn.transactionalId === "") return resultsFor(txn.topics, () => ErrorCode.INVALID_REQUEST);
  // Kafka asks v4+ (its brokers' batched form) for CLUSTER_ACTION; clients that send it (see
  // maxVersion) are held to what a v3 request needs instead.
  if (!rc.authz.allows(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, txn.transactionalId)) {
    return resultsFor(txn.topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  }
  try {
    return await (txn.verifyOnly ? verify(ctx, txn, rc.apiVersion) : add(ctx, rc, txn));
  } catch (error) {
    const code = coordinatorErrorCode(error, `AddPartitionsToTxn for ${txn.transactionalId}`);
    return resultsFor(txn.topics, () => code);
  }
}

export const addPartitionsToTxnApi = defineApi<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  // v4+ is Kafka's broker-to-coordinator batched form; some clients (@platformatic/kafka) send
  // it too, with verifyOnly false, so each transaction in it is handled like a v3 request.
  maxVersion: 5,
  async handle(ctx, request, rc) {
    if (rc.apiVersion >= 4) {
      const resultsByTransaction = [];
      for (const txn of request.transactions ?? []) {
        resultsByTransaction.push({ transactionalId: txn.transactionalId, topicResults: await handleOne(ctx, rc, txn) });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
    }
    const txn: TransactionRequest = {
      transactionalId: request.v3AndBelowTransactionalId ?? "",
      producerId: request.v3AndBelowProducerId ?? -1n,
      producerEpoch: request.v3AndBelowProducerEpoch ?? -1,
      verifyOnly: false,
      topics: request.v3AndBelowTopics ?? [],
    };
    return { throttleTimeMs: 0, resultsByTopicV3AndBelow: await handleOne(ctx, rc, txn) };
  },
});
