import type { Storage, Topic } from "../storage/storage.ts";
import type { SchemaValidator } from "../schema/schema-validation.ts";
import type { ValidatedBatch } from "../schema/types.ts";
import type { AppendTurns } from "./append-order.ts";
import type { BrokerMetrics } from "./broker-metrics.ts";
import type { LogNotifier } from "./log-notifier.ts";
import type { BrokerSecurity, RequestAuthorizer } from "./security-hooks.ts";

/** What every API handler may use. Nothing here is state that another broker could change. */
export interface BrokerContext {
  readonly storage: Storage;
  readonly config: BrokerConfig;
  /** Wakes fetch long polls on this broker when a produce here appends. */
  readonly notifier: LogNotifier;
  /** Validates produced records of topics with a schema (src/schema); absent in tests that need none. */
  readonly schemas?: SchemaValidator;
  /** Counts requests, traffic and coordinator events for GET /metrics; absent when metrics are off. */
  readonly metrics?: BrokerMetrics;
  /** SASL, ACLs and quotas; absent on a broker started without security options. */
  readonly security?: BrokerSecurity;
  /** Writes the records of topics with a schema to tables (lake-feed.ts); absent without --lake-location. */
  readonly lake?: BrokerLake;
}

/** A batch Produce appended to the log (or found there already: an idempotent producer's retry). */
export interface AppendedToLog {
  topic: Topic;
  partition: number;
  baseOffset: bigint;
  /** The batch as stored (log append time set), its base offset field aside. */
  bytes: Uint8Array;
  batch: ValidatedBatch;
  duplicate: boolean;
}

export interface BrokerLake {
  /**
   * For a topic kept in the log, starts writing the batch's rows to the table and resolves at once with null.
   * For a sink topic (tansu.lake.sink=true), resolves once its rows are committed to the table (and the batch
   * is dropped from the log) with null, or with the Kafka error to answer the producer with.
   */
  appended(batch: AppendedToLog): Promise<{ errorCode: number; message: string } | null>;
}

export interface BrokerConfig {
  nodeId: number;
  clusterId: string;
  /** Host and port clients are told to connect to (Metadata, FindCoordinator). */
  advertisedHost: string;
  advertisedPort: number;
  /** Partitions of auto-created topics and of CreateTopics with -1. */
  defaultPartitions: number;
  autoCreateTopics: boolean;
  /** socket.request.max.bytes */
  maxRequestBytes: number;
  /** How often a waiting fetch re-reads the store for records produced through another broker. */
  fetchPollMs: number;
  /** How often retention and compaction run over every partition. */
  cleanerIntervalMs: number;
  /** How often each broker looks for transactions that outlived their timeout. */
  transactionSweepIntervalMs: number;
  /** transaction.max.timeout.ms: the longest transaction.timeout.ms InitProducerId accepts. */
  transactionMaxTimeoutMs: number;
  /** group.share.min.record.lock.duration.ms: the shortest share.record.lock.duration.ms a group may set (Kafka's 15000 when absent). */
  shareMinRecordLockDurationMs?: number;
}

export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly clientId: string | null;
  /** Aborted when the connection closes or the broker stops: long polls end early. */
  readonly signal: AbortSignal;
  /** Who is asking ("User:alice"; "User:ANONYMOUS" without authentication), and from where. */
  readonly principal: string;
  readonly clientHost: string;
  /** What the principal may do; allows everything on a broker without an authorizer. */
  readonly authz: RequestAuthorizer;
  /** The connection's order of appends: a Produce takes a turn per partition (append-order.ts). */
  readonly appendTurns: AppendTurns;
}
