// The broker's Prometheus metric families: what GET /metrics exposes. One instance per process,
// created by the CLI when the HTTP listener is on and handed to the broker as BrokerMetrics.
import type { BrokerMetrics } from "../broker/broker-metrics.ts";
import { apiSpec } from "../protocol/generated/apis.ts";
import { errorName } from "../protocol/error-codes.ts";
import { registerProcessMetrics } from "./process-metrics.ts";
import { Registry, type Counter, type CounterChild, type Gauge, type Histogram, type HistogramChild } from "./registry.ts";

/** Seconds; request and storage latencies from sub-millisecond appends to long-polling fetches. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function apiName(apiKey: number): string {
  return apiSpec(apiKey)?.name ?? `ApiKey${apiKey}`;
}

/** Storage operation latency and failures by engine and operation, recorded by instrumentStorage. */
export interface StorageMetrics {
  readonly storageDuration: Histogram;
  readonly storageErrors: Counter;
}

export class PrometheusBrokerMetrics implements BrokerMetrics, StorageMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter;
  readonly #requestDuration: Histogram;
  readonly #producedBytes: Counter;
  readonly #producedRecords: Counter;
  readonly #fetchedBytes: Counter;
  readonly #fetchedRecords: Counter;
  readonly #connectionsAccepted: Counter;
  readonly #connectionsOpen: Gauge;
  readonly #rebalances: Counter;
  readonly #transactions: Counter;
  readonly #validationRejections: Counter;
  readonly storageDuration: Histogram;
  readonly storageErrors: Counter;
  // Resolved series for the per-request path, so a request costs no label strings or joins.
  readonly #requestSeries = new Map<number, CounterChild>();
  readonly #durationSeries = new Map<number, HistogramChild>();

  constructor(version: string) {
    const r = this.registry;
    r.gauge("tansu_build_info", "The running tansu version; always 1.", ["version"]).set([version], 1);
    this.#requests = r.counter("tansu_requests", "Kafka requests answered, by API, version and the first error code the response carries (NONE when none).", ["api", "version", "error"]);
    this.#requestDuration = r.histogram("tansu_request_duration_seconds", "Time from taking a Kafka request off the connection's queue to answering it, by API.", ["api"], LATENCY_BUCKETS);
    this.#producedBytes = r.counter("tansu_produced_bytes", "Record batch bytes appended for producers, by topic.", ["topic"]);
    this.#producedRecords = r.counter("tansu_produced_records", "Records appended for producers, by topic.", ["topic"]);
    this.#fetchedBytes = r.counter("tansu_fetched_bytes", "Record batch bytes sent to fetching consumers, by topic.", ["topic"]);
    this.#fetchedRecords = r.counter("tansu_fetched_records", "Records in the batches sent to fetching consumers, by topic.", ["topic"]);
    this.#connectionsAccepted = r.counter("tansu_connections_accepted", "Kafka client connections accepted, by listener.", ["listener"]);
    this.#connectionsOpen = r.gauge("tansu_connections_open", "Kafka client connections open now, by listener.", ["listener"]);
    this.storageDuration = r.histogram("tansu_storage_operation_duration_seconds", "Latency of storage operations, by engine and operation.", ["engine", "operation"], LATENCY_BUCKETS);
    this.storageErrors = r.counter("tansu_storage_operation_errors", "Storage operations that failed, by engine, operation and error.", ["engine", "operation", "error"]);
    this.#rebalances = r.counter("tansu_group_rebalances", "Consumer group rebalances this broker coordinated: new classic generations and KIP-848 group epochs.", ["protocol"]);
    this.#transactions = r.counter("tansu_transactions", "Transactions this broker completed, by outcome (committed, aborted).", ["outcome"]);
    this.#validationRejections = r.counter("tansu_validation_rejections", "Produced batches refused by schema validation, by topic.", ["topic"]);
    registerProcessMetrics(r);
  }

  request(apiKey: number, apiVersion: number, errorCode: number, seconds: number): void {
    // Error codes run from -1 to a few hundred, versions below a hundred.
    const key = (apiKey * 128 + apiVersion) * 4096 + errorCode + 1;
    let count = this.#requestSeries.get(key);
    if (!count) this.#requestSeries.set(key, (count = this.#requests.child([apiName(apiKey), String(apiVersion), errorName(errorCode)])));
    count.inc();
    let duration = this.#durationSeries.get(apiKey);
    if (!duration) this.#durationSeries.set(apiKey, (duration = this.#requestDuration.child([apiName(apiKey)])));
    duration.observe(seconds);
  }

  produced(topic: string, bytes: number, records: number): void {
    this.#producedBytes.inc([topic], bytes);
    this.#producedRecords.inc([topic], records);
  }

  fetched(topic: string, bytes: number, records: number): void {
    this.#fetchedBytes.inc([topic], bytes);
    this.#fetchedRecords.inc([topic], records);
  }

  connectionOpened(listener: string): void {
    this.#connectionsAccepted.inc([listener]);
    this.#connectionsOpen.inc([listener]);
  }

  connectionClosed(listener: string): void {
    this.#connectionsOpen.inc([listener], -1);
  }

  groupRebalanced(protocol: "classic" | "consumer" | "share"): void {
    this.#rebalances.inc([protocol]);
  }

  transactionEnded(outcome: "committed" | "aborted"): void {
    this.#transactions.inc([outcome]);
  }

  validationRejected(topic: string): void {
    this.#validationRejections.inc([topic]);
  }
}
