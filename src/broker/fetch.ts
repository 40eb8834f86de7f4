import { ApiKey } from "../protocol/generated/apis.ts";
import type { FetchRequest, FetchResponse } from "../protocol/generated/fetch.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { EMPTY_BYTES, ZERO_UUID } from "../protocol/reader.ts";
import { downconvertBatches } from "../protocol/legacy-message-set.ts";
import type { Topic } from "../storage/storage.ts";
import { recordCountOf } from "../protocol/record-batch.ts";
import type { BrokerMetrics } from "./broker-metrics.ts";
import type { BrokerContext, RequestContext } from "./context.ts";
import { errorCodeOf } from "./error-mapping.ts";
import { defineApi } from "./handler.ts";
import { LogNotifier } from "./log-notifier.ts";
import { hasPartition, lookupAuthorizedTopic } from "./topic-lookup.ts";
import { AclOperation } from "../protocol/acl-codes.ts";
import { isLakeSink } from "./topic-config.ts";
import { consola } from "../log.ts";

type PartitionData = FetchResponse["responses"][number]["partitions"][number];

interface Wanted {
  topic: Topic | null;
  /** Error for the whole topic: unknown name or id. */
  topicError: number;
  /** The request named the topic by id (v13+): a topic deleted since is UNKNOWN_TOPIC_ID, as Kafka answers. */
  byId: boolean;
  partition: FetchRequest["topics"][number]["partitions"][number];
}

function failed(partitionIndex: number, errorCode: number): PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY_BYTES,
  };
}

function concat(batches: Uint8Array[], size: number): Uint8Array {
  if (batches.length === 1) return batches[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const b of batches) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

/**
 * One pass over every wanted partition; returns the partitions' data, the stored batches
 * behind each (for down-conversion) and the bytes gathered.
 */
async function readOnce(ctx: BrokerContext, wanted: Wanted[], request: FetchRequest, readCommitted: boolean) {
  let budget = request.maxBytes ?? 0x7fffffff;
  let total = 0;
  let anyError = false;
  const data: PartitionData[] = [];
  const batches: Uint8Array[][] = [];
  for (const w of wanted) {
    const { partition } = w.partition;
    batches.push([]);
    if (!hasPartition(w.topic, partition)) {
      data.push(failed(partition, w.topic ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : w.topicError));
      anyError = true;
      continue;
    }
    try {
      const tp = { topic: w.topic.name, partition };
      const isolation = readCommitted ? "read_committed" : "read_uncommitted";
      // KIP-74: the first partition with data may exceed the limits so that progress is always
      // possible; once the response is full, later partitions report offsets only.
      const result =
        total > 0 && budget <= 0
          ? { ...(await ctx.storage.offsets(tp)), batches: [], abortedTransactions: [] }
          : await ctx.storage.fetch(tp, {
              fetchOffset: w.partition.fetchOffset,
              // The store returns the first batch whole whatever the limit: that is the KIP-74 exception.
              maxBytes: Math.min(w.partition.partitionMaxBytes, budget),
              isolation,
              topicId: w.topic.id,
            });
      if (isLakeSink(w.topic.configs)) {
        // Its records are only in its table; a batch waiting for its commit is in the log briefly, unseen.
        consola.debug(`fetch ${tp.topic}-${partition} returns no records: ${tp.topic} is a sink topic (tansu.lake.sink=true), its records are only in its table`);
        result.batches = [];
      }
      const size = result.batches.reduce((n, b) => n + b.byteLength, 0);
      batches[batches.length - 1] = result.batches;
      total += size;
      budget -= size;
      data.push({
        partitionIndex: partition,
        errorCode: ErrorCode.NONE,
        highWatermark: result.highWatermark,
        lastStableOffset: result.lastStableOffset,
        logStartOffset: result.logStartOffset,
        abortedTransactions: readCommitted ? result.abortedTransactions : null,
        preferredReadReplica: -1,
        records: size === 0 ? EMPTY_BYTES : concat(result.batches, size),
      });
    } catch (error) {
      const code = errorCodeOf(error, `fetch ${w.topic.name}-${partition}`);
      data.push(failed(partition, w.byId && code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? ErrorCode.UNKNOWN_TOPIC_ID : code));
      anyError = true;
    }
  }
  return { data, batches, total, anyError };
}

/** Fetch v0-3 predate record batches: v0-1 read magic-0 message sets, v2-3 magic 1. Rewrites `data` in place. */
function toMessageSets(data: PartitionData[], batches: Uint8Array[][], wanted: Wanted[], magic: 0 | 1): void {
  data.forEach((p, i) => {
    if (batches[i]!.length === 0) return;
    const w = wanted[i]!;
    try {
      p.records = downconvertBatches(batches[i]!, magic, { fromOffset: w.partition.fetchOffset });
    } catch (error) {
      data[i] = failed(p.partitionIndex, errorCodeOf(error, `down-convert ${w.topic?.name}-${p.partitionIndex}`));
    }
  });
}

/** Bytes and records of the stored batches a fetch sends (before any down-conversion), per partition. */
function countFetched(metrics: BrokerMetrics, wanted: Wanted[], batches: Uint8Array[][]): void {
  batches.forEach((sent, i) => {
    if (sent.length === 0) return;
    let bytes = 0;
    let records = 0;
    for (const batch of sent) {
      bytes += batch.byteLength;
      records += recordCountOf(batch);
    }
    metrics.fetched(wanted[i]!.topic!.name, bytes, records);
  });
}

async function resolveTopics(ctx: BrokerContext, request: FetchRequest, rc: RequestContext): Promise<Wanted[]> {
  const wanted: Wanted[] = [];
  for (const t of request.topics) {
    // v13+ names topics by id.
    const byId = rc.apiVersion >= 13;
    const nameOrId = byId ? { id: t.topicId ?? ZERO_UUID } : (t.topic ?? "");
    // A long-polling consumer fetches again and again: the store may answer from its last look at the
    // topic list, as each partition's read passes the topic's id and notices a deleted topic, unless
    // that copy lacks a wanted partition (added through another broker).
    let partitions = 0;
    for (const p of t.partitions) partitions = Math.max(partitions, p.partition + 1);
    const { topic, errorCode: topicError } = await lookupAuthorizedTopic(ctx, rc, AclOperation.READ, nameOrId, "fetch", { reuse: true, partitions });
    for (const partition of t.partitions) {
      wanted.push({ topic, topicError, byId, partition });
    }
  }
  return wanted;
}

export const fetchApi = defineApi<FetchRequest, FetchResponse>({
  apiKey: ApiKey.Fetch,
  minVersion: 0,
  maxVersion: 17,
  async handle(ctx, request, rc) {
    // Fetch sessions (KIP-227) are optional for a broker: sessionId 0 answers sessionless,
    // and clients fall back to full fetch requests.
    if ((request.sessionId ?? 0) !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    // Never more than the client's fetch quota allows over its windows: a bigger response would be
    // throttled whatever else the client did, and a throttled Fetch is answered empty (Kafka caps it too).
    const quotaCap = (await ctx.security?.quotas?.fetchBytesCap({ principal: rc.principal, clientId: rc.clientId ?? "" })) ?? Infinity;
    if (quotaCap < (request.maxBytes ?? Infinity)) request = { ...request, maxBytes: quotaCap, minBytes: Math.min(request.minBytes, quotaCap) };
    const wanted = await resolveTopics(ctx, request, rc);
    const readCommitted = (request.isolationLevel ?? 0) === 1;
    const deadline = Date.now() + Math.max(0, request.maxWaitMs);
    const keys = wanted.filter((w) => w.topic).map((w) => LogNotifier.key(w.topic!.name, w.partition.partition));

    let pass = await readOnce(ctx, wanted, request, readCommitted);
    let readAt = Date.now();
    // Long poll: wake on appends through this broker, and re-read the store periodically to
    // see appends made through other brokers, at most once per poll interval: on s3:// every
    // read is a billed request (a fetch that times out sooner just answers empty, and the
    // client's next fetch reads the store again).
    while (pass.total < Math.max(1, request.minBytes) && !pass.anyError && !rc.signal.aborted && wanted.length > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const appended = await ctx.notifier.wait(keys, Math.min(remaining, ctx.config.fetchPollMs), rc.signal);
      if (!appended && (rc.signal.aborted || Date.now() - readAt < ctx.config.fetchPollMs)) break;
      pass = await readOnce(ctx, wanted, request, readCommitted);
      readAt = Date.now();
    }

    if (ctx.metrics) countFetched(ctx.metrics, wanted, pass.batches);
    if (rc.apiVersion < 4) toMessageSets(pass.data, pass.batches, wanted, rc.apiVersion < 2 ? 0 : 1);

    const responses: FetchResponse["responses"] = [];
    let i = 0;
    for (const t of request.topics) {
      const partitions = pass.data.slice(i, i + t.partitions.length);
      i += t.partitions.length;
      responses.push({ topic: t.topic ?? "", topicId: t.topicId ?? ZERO_UUID, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
  },
});
