// Wire-level requests for the transaction tests: thin wrappers so each test reads as the
// protocol conversation a producer has with the coordinator.
import type { KafkaConnection } from "../../../src/client/kafka-connection.ts";
import { ApiKey } from "../../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import { decodeRecordBatches, encodeRecordBatch, isControl, isTransactional } from "../../../src/protocol/record-batch.ts";

const text = new TextEncoder();
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

export interface Producer {
  producerId: bigint;
  producerEpoch: number;
}

export async function initProducerId(
  c: KafkaConnection,
  transactionalId: string | null,
  options: { timeoutMs?: number; version?: number; expected?: Producer } = {},
) {
  return c.request(ApiKey.InitProducerId, options.version ?? 4, {
    transactionalId,
    transactionTimeoutMs: options.timeoutMs ?? 60_000,
    producerId: options.expected?.producerId ?? -1n,
    producerEpoch: options.expected?.producerEpoch ?? -1,
  });
}

/** InitProducerId that must succeed. */
export async function newProducer(c: KafkaConnection, transactionalId: string | null, timeoutMs = 60_000): Promise<Producer> {
  const r = await initProducerId(c, transactionalId, { timeoutMs });
  if (r.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId(${transactionalId}) failed with ${r.errorCode}`);
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/** AddPartitionsToTxn v3; the per-partition codes in request order. */
export async function addPartitions(c: KafkaConnection, transactionalId: string, p: Producer, topic: string, partitions: number[], version = 3) {
  const r = await c.request(ApiKey.AddPartitionsToTxn, version, {
    v3AndBelowTransactionalId: transactionalId,
    v3AndBelowProducerId: p.producerId,
    v3AndBelowProducerEpoch: p.producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions }],
  });
  return r.resultsByTopicV3AndBelow!.flatMap((t) => t.resultsByPartition.map((x) => x.partitionErrorCode));
}

export async function addOffsets(c: KafkaConnection, transactionalId: string, p: Producer, groupId: string, version = 3) {
  const r = await c.request(ApiKey.AddOffsetsToTxn, version, { transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId });
  return r.errorCode;
}

export async function txnOffsetCommit(
  c: KafkaConnection,
  transactionalId: string,
  p: Producer,
  groupId: string,
  topic: string,
  offsets: Array<[partition: number, offset: bigint]>,
) {
  const r = await c.request(ApiKey.TxnOffsetCommit, 3, {
    transactionalId,
    groupId,
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    topics: [{ name: topic, partitions: offsets.map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: null })) }],
  });
  return r.topics.flatMap((t) => t.partitions.map((x) => x.errorCode));
}

export async function endTxn(c: KafkaConnection, transactionalId: string, p: Producer, committed: boolean, version = 3) {
  const r = await c.request(ApiKey.EndTxn, version, { transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed });
  return r.errorCode;
}

export function batch(
  values: string[],
  options: { producer?: Producer; baseSequence?: number; transactional?: boolean } = {},
): Uint8Array {
  return encodeRecordBatch({
    baseTimestamp: BigInt(Date.now()),
    producerId: options.producer?.producerId ?? -1n,
    producerEpoch: options.producer?.producerEpoch ?? -1,
    baseSequence: options.baseSequence ?? (options.producer ? 0 : -1),
    transactional: options.transactional ?? false,
    records: values.map((v, i) => ({ offsetDelta: i, key: null, value: text.encode(v), headers: [] })),
  });
}

/** Produce one batch to one partition; the partition response. */
export async function produce(c: KafkaConnection, topic: string, partition: number, records: Uint8Array, transactionalId: string | null = null) {
  const r = await c.request(ApiKey.Produce, 11, {
    transactionalId,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  return r.responses[0]!.partitionResponses[0]!;
}

/** A non-waiting fetch of one partition from `offset`. */
export async function fetchPartition(c: KafkaConnection, topic: string, partition: number, readCommitted: boolean, offset = 0n) {
  const r = await c.request(ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1024 * 1024,
    isolationLevel: readCommitted ? 1 : 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 }] }],
    forgottenTopicsData: [],
    rackId: "",
  });
  return r.responses[0]!.partitions[0]!;
}

/**
 * What a read_committed consumer delivers from a fetch: data records below the last stable
 * offset, minus those of aborted transactions, as clients filter them (by producer id and
 * the aborted list's first offsets, until that producer's ABORT marker).
 */
export function visibleValues(p: Awaited<ReturnType<typeof fetchPartition>>): string[] {
  const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const abortedProducers = new Set<bigint>();
  const values: string[] = [];
  for (const b of decodeRecordBatches(p.records ?? new Uint8Array(0))) {
    while (aborted.length > 0 && aborted[0]!.firstOffset <= b.baseOffset) abortedProducers.add(aborted.shift()!.producerId);
    if (isControl(b.attributes)) {
      abortedProducers.delete(b.producerId);
      continue;
    }
    if (isTransactional(b.attributes) && abortedProducers.has(b.producerId)) continue;
    for (const r of b.records) values.push(new TextDecoder().decode(r.value!));
  }
  return values;
}

export async function createTopic(c: KafkaConnection, name: string, partitions = 1) {
  const r = await c.request(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  if (r.topics[0]!.errorCode !== ErrorCode.NONE) throw new Error(`CreateTopics ${name}: ${r.topics[0]!.errorCode}`);
}
