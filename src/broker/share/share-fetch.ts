// ShareFetch (KIP-932): opens, continues or closes the member's share session on this broker,
// applies the acknowledgements it carries, then acquires records from every partition of the
// session, waiting up to MaxWaitMs for MinBytes. Acquired records are locked to the member in the
// store until it acknowledges them or the lock lapses.

import { AclOperation, ResourceType } from "../../protocol/acl-codes.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import type { ShareFetchRequest, ShareFetchResponse } from "../../protocol/generated/share-fetch.ts";
import { EMPTY_BYTES } from "../../protocol/reader.ts";
import type { BrokerContext, RequestContext } from "../context.ts";
import { errorCodeOf } from "../error-mapping.ts";
import { shareGroupConfig, type ShareGroupConfig } from "../groups/group-configs.ts";
import { LogNotifier } from "../log-notifier.ts";
import { acquireRecords } from "./share-acquire.ts";
import {
  acknowledgeIn,
  byTopic,
  continueSession,
  GROUP_REFUSED,
  NO_LEADER_CHANGE,
  resolvePartition,
  releaseIn,
  requestedPartitions,
  sessions,
  topicsById,
  type PartitionOutcome,
  type TopicOf,
} from "./share-delivery.ts";
import type { AcquiredRange } from "./share-partition.ts";
import { sharePartitionWakeKey } from "./share-partition-store.ts";
import { FINAL_EPOCH, INITIAL_EPOCH, partitionId, type ShareSession, type TopicIdPartition } from "./share-sessions.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import { defineApi } from "../handler.ts";

type PartitionData = ShareFetchResponse["responses"][number]["partitions"][number];

/** What one partition gathered over the passes of a long poll. */
interface Gathered {
  problem: PartitionOutcome | null;
  ranges: AcquiredRange[];
  batches: Map<bigint, Uint8Array>;
}

function failed(errorCode: number, errorMessage: string): ShareFetchResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] };
}

/** The batches in offset order, as one records field (never null: share consumers read an empty one). */
function concat(batches: Map<bigint, Uint8Array>): Uint8Array {
  const ordered = [...batches].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, bytes]) => bytes);
  if (ordered.length === 0) return EMPTY_BYTES;
  return ordered.length === 1 ? ordered[0]! : Buffer.concat(ordered);
}

function rangesOrdered(ranges: AcquiredRange[]): AcquiredRange[] {
  return [...ranges].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
}

interface FetchPlan {
  ctx: BrokerContext;
  rc: RequestContext;
  session: ShareSession;
  config: ShareGroupConfig;
  request: ShareFetchRequest;
  topicOf: TopicOf;
}

/** Acquires from every session partition until MinBytes are gathered, the wait is over, or a partition fails. */
async function gather(plan: FetchPlan): Promise<Map<string, Gathered>> {
  const { ctx, rc, session, config, request, topicOf } = plan;
  const gathered = new Map<string, Gathered>();
  const deadline = Date.now() + Math.max(0, request.maxWaitMs);
  let bytes = 0;
  let records = 0;
  let firstAcquiredAt: number | null = null;
  for (;;) {
    let nextLapse = Infinity;
    const wake: string[] = [];
    for (const tp of session.partitions.values()) {
      const id = partitionId(tp);
      let entry = gathered.get(id);
      if (!entry) gathered.set(id, (entry = { problem: null, ranges: [], batches: new Map() }));
      if (entry.problem) continue;
      const resolved = await resolvePartition(topicOf, tp, "ShareFetch");
      if ("problem" in resolved) {
        entry.problem = resolved.problem;
        continue;
      }
      const topic = resolved.topic;
      wake.push(LogNotifier.key(topic.name, tp.partition), sharePartitionWakeKey({ groupId: session.groupId, ...tp }));
      const budget = request.maxBytes - bytes;
      if ((bytes > 0 && budget <= 0) || (request.maxRecords > 0 && records >= request.maxRecords)) continue;
      try {
        const got = await acquireRecords(ctx, {
          groupId: session.groupId,
          memberId: session.memberId,
          topic,
          ...tp,
          config,
          maxRecords: request.maxRecords > 0 ? request.maxRecords - records : 0,
          maxBytes: bytes === 0 ? request.maxBytes : budget,
        });
        if (got.nextLockDeadline !== null) nextLapse = Math.min(nextLapse, got.nextLockDeadline);
        if (got.ranges.length === 0) continue;
        session.held.set(id, tp);
        entry.ranges.push(...got.ranges);
        for (const [base, batch] of got.batches) {
          if (!entry.batches.has(base)) bytes += batch.byteLength;
          entry.batches.set(base, batch);
        }
        for (const r of got.ranges) records += Number(r.lastOffset - r.firstOffset + 1n);
        firstAcquiredAt ??= Date.now();
      } catch (error) {
        entry.problem = { errorCode: errorCodeOf(error, `ShareFetch ${session.groupId} ${tp.topicId}-${tp.partition}`), errorMessage: null };
      }
    }
    const anyProblem = [...gathered.values()].some((g) => g.problem);
    if (bytes >= Math.max(1, request.minBytes) || anyProblem || rc.signal.aborted || wake.length === 0) return gathered;
    // Acquired records are locked while the poll waits for more: wait no longer than half the lock.
    const until = firstAcquiredAt === null ? deadline : Math.min(deadline, firstAcquiredAt + config.recordLockDurationMs / 2);
    const now = Date.now();
    if (until <= now) return gathered;
    // Appends and share-partition changes on this broker wake the poll; those through other brokers,
    // and locks lapsing, are found by reading the store again.
    await ctx.notifier.wait(wake, Math.min(until - now, ctx.config.fetchPollMs, Math.max(1, nextLapse - now)), rc.signal);
  }
}

async function handleShareFetch(ctx: BrokerContext, request: ShareFetchRequest, rc: RequestContext): Promise<ShareFetchResponse> {
  const groupId = request.groupId ?? "";
  const memberId = request.memberId ?? "";
  // READ on the group first, as Kafka; READ on each topic is checked per partition.
  if (!rc.authz.allows(AclOperation.READ, ResourceType.GROUP, groupId)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED, GROUP_REFUSED);
  if (groupId === "") return failed(ErrorCode.INVALID_REQUEST, "GroupId can't be empty.");
  if (memberId === "") return failed(ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
  const requested = requestedPartitions(request.topics);
  const acked = [...requested.values()].filter((p) => p.acks.length > 0);
  const epoch = request.shareSessionEpoch;
  const all = sessions(ctx);

  let session: ShareSession;
  if (epoch === INITIAL_EPOCH) {
    if (acked.length > 0) return failed(ErrorCode.INVALID_REQUEST, "Acknowledge data present in initial fetch request.");
    const opened = all.open(groupId, memberId, rc.signal);
    if (!opened) return failed(ErrorCode.SHARE_SESSION_LIMIT_REACHED, "The limit of share sessions has been reached.");
    session = opened;
  } else {
    if (epoch === FINAL_EPOCH && acked.length < requested.size) return failed(ErrorCode.INVALID_REQUEST, "A share fetch closing its session cannot fetch.");
    const checked = continueSession(all, groupId, memberId, epoch);
    if (!("session" in checked)) return failed(checked.errorCode, checked.errorMessage ?? "");
    session = checked.session;
  }
  if (epoch !== FINAL_EPOCH) {
    for (const { tp } of requested.values()) session.partitions.set(partitionId(tp), tp);
    for (const t of request.forgottenTopicsData) for (const partition of t.partitions) session.partitions.delete(partitionId({ topicId: t.topicId, partition }));
  }

  let config: ShareGroupConfig;
  try {
    config = await shareGroupConfig(ctx, groupId);
  } catch (error) {
    return failed(errorCodeOf(error, `ShareFetch ${groupId}`), "Reading the group's configs failed.");
  }
  const topicOf = topicsById(ctx, rc.authz);
  const ackOutcomes = new Map<string, PartitionOutcome>();
  for (const { tp, acks } of acked) {
    ackOutcomes.set(partitionId(tp), await acknowledgeIn(ctx, groupId, memberId, tp, topicOf, acks, config));
  }

  let gathered = new Map<string, Gathered>();
  if (epoch === FINAL_EPOCH) await all.close(session);
  else if (session.partitions.size > 0) {
    gathered = await gather({ ctx, rc, session, config, request, topicOf });
    // A session that ended meanwhile (its connection closed) already gave back what it held; what this request took goes too.
    if (all.get(groupId, memberId) !== session) {
      const taken = [...gathered].filter(([, g]) => g.ranges.length > 0).map(([id]) => session.partitions.get(id)!);
      await releaseIn(ctx, groupId, memberId, taken);
    }
  }

  // A new session answers for all its partitions; later requests only for those with news.
  const entries: Array<{ tp: TopicIdPartition; data: PartitionData }> = [];
  const answered = new Set<string>();
  const add = (tp: TopicIdPartition) => {
    const id = partitionId(tp);
    if (answered.has(id)) return;
    answered.add(id);
    const g = gathered.get(id);
    const ack = ackOutcomes.get(id);
    entries.push({
      tp,
      data: {
        partitionIndex: tp.partition,
        errorCode: g?.problem?.errorCode ?? ErrorCode.NONE,
        errorMessage: g?.problem?.errorMessage ?? null,
        acknowledgeErrorCode: ack?.errorCode ?? ErrorCode.NONE,
        acknowledgeErrorMessage: ack?.errorMessage ?? null,
        currentLeader: NO_LEADER_CHANGE,
        records: g ? concat(g.batches) : EMPTY_BYTES,
        acquiredRecords: g ? rangesOrdered(g.ranges) : [],
      },
    });
  };
  for (const { tp } of acked) add(tp);
  for (const tp of session.partitions.values()) {
    const g = gathered.get(partitionId(tp));
    if (epoch === INITIAL_EPOCH || g?.problem || (g && g.ranges.length > 0)) add(tp);
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    acquisitionLockTimeoutMs: config.recordLockDurationMs,
    responses: byTopic(entries),
    nodeEndpoints: [],
  };
}

export const shareFetchApi = defineApi({ apiKey: ApiKey.ShareFetch, minVersion: 1, maxVersion: 1, handle: handleShareFetch });
