// Wire-level share-group requests for the protocol tests: thin wrappers so each test reads as the
// conversation a share consumer (or an admin) has with the brokers.
import type { KafkaConnection } from "../../../src/client/kafka-connection.ts";
import { ApiKey } from "../../../src/protocol/generated/apis.ts";
import { decodeRecordBatches } from "../../../src/protocol/record-batch.ts";
import type { ShareFetchResponse } from "../../../src/protocol/generated/share-fetch.ts";

export const GROUP_RESOURCE = 32;

export function heartbeat(c: KafkaConnection, groupId: string, memberId: string, memberEpoch: number, subscribedTopicNames: string[] | null = null) {
  return c.request(ApiKey.ShareGroupHeartbeat, 1, { groupId, memberId, memberEpoch, rackId: null, subscribedTopicNames });
}

/** Joins and returns the member's epoch. */
export async function join(c: KafkaConnection, groupId: string, memberId: string, topics: string[]): Promise<number> {
  const r = await heartbeat(c, groupId, memberId, 0, topics);
  if (r.errorCode !== 0) throw new Error(`join ${groupId}/${memberId}: error ${r.errorCode} ${r.errorMessage}`);
  return r.memberEpoch;
}

export interface Ack {
  firstOffset: bigint;
  lastOffset: bigint;
  acknowledgeTypes: number[];
}

export const ack = (first: number, last: number, ...acknowledgeTypes: number[]): Ack => ({ firstOffset: BigInt(first), lastOffset: BigInt(last), acknowledgeTypes });

export function shareFetch(
  c: KafkaConnection,
  groupId: string,
  memberId: string,
  epoch: number,
  topicId: string,
  options: { partitions?: number[]; acks?: Record<number, Ack[]>; maxWaitMs?: number; maxRecords?: number; forget?: number[] } = {},
) {
  const partitions = new Set([...(options.partitions ?? [0]), ...Object.keys(options.acks ?? {}).map(Number)]);
  return c.request(ApiKey.ShareFetch, 1, {
    groupId,
    memberId,
    shareSessionEpoch: epoch,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    maxRecords: options.maxRecords ?? 500,
    batchSize: 500,
    topics: [{ topicId, partitions: [...partitions].map((partitionIndex) => ({ partitionIndex, acknowledgementBatches: options.acks?.[partitionIndex] ?? [] })) }],
    forgottenTopicsData: options.forget ? [{ topicId, partitions: options.forget }] : [],
  });
}

export function shareAcknowledge(c: KafkaConnection, groupId: string, memberId: string, epoch: number, topicId: string, acks: Record<number, Ack[]> = {}) {
  const topics = Object.keys(acks).length === 0 ? [] : [{ topicId, partitions: Object.entries(acks).map(([p, batches]) => ({ partitionIndex: Number(p), acknowledgementBatches: batches })) }];
  return c.request(ApiKey.ShareAcknowledge, 1, { groupId, memberId, shareSessionEpoch: epoch, topics });
}

type FetchedPartition = ShareFetchResponse["responses"][number]["partitions"][number];

export function partitionOf(r: ShareFetchResponse, topicId: string, partition = 0): FetchedPartition | undefined {
  return r.responses.find((t) => t.topicId === topicId)?.partitions.find((p) => p.partitionIndex === partition);
}

/** Acquired records as [offset, value, delivery count], what a share consumer hands its application. */
export function acquired(p: FetchedPartition | undefined): Array<[number, string, number]> {
  if (!p) return [];
  const out: Array<[number, string, number]> = [];
  for (const b of decodeRecordBatches(p.records ?? new Uint8Array(0))) {
    b.records.forEach((r, i) => {
      const offset = b.baseOffset + BigInt(r.offsetDelta ?? i);
      const range = p.acquiredRecords.find((a) => a.firstOffset <= offset && offset <= a.lastOffset);
      if (range) out.push([Number(offset), new TextDecoder().decode(r.value!), range.deliveryCount]);
    });
  }
  return out;
}

export async function setGroupConfig(c: KafkaConnection, groupId: string, configs: Record<string, string | null>) {
  const r = await c.request(ApiKey.IncrementalAlterConfigs, 1, {
    resources: [{ resourceType: GROUP_RESOURCE, resourceName: groupId, configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: value === null ? 1 : 0, value })) }],
    validateOnly: false,
  });
  return r.responses[0]!;
}
