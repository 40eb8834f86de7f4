// A Storage that times every operation of the one it wraps and counts failures, by engine and
// operation. The CLI wraps the opened store with it when metrics are on, so engines stay unaware.
import type { Storage } from "../storage/storage.ts";
import type { StorageMetrics } from "./broker-metrics.ts";

type Operation = Exclude<keyof Storage, "kind" | "intervals" | "appendsInCallOrder" | "watchAppends">;

/** Every operation of the contract; the type makes a new one in Storage fail to compile until listed here. */
const OPERATIONS: Record<Operation, true> = {
  createTopic: true,
  deleteTopic: true,
  getTopic: true,
  listTopics: true,
  createPartitions: true,
  setTopicConfigs: true,
  append: true,
  fetch: true,
  offsets: true,
  offsetForTimestamp: true,
  maxTimestamp: true,
  deleteRecords: true,
  batchSummaries: true,
  replaceBatch: true,
  commitOffsets: true,
  fetchOffsets: true,
  deleteOffsets: true,
  getRecord: true,
  putRecord: true,
  deleteRecord: true,
  listRecords: true,
  allocateProducerId: true,
  close: true,
};

export function instrumentStorage(inner: Storage, metrics: StorageMetrics): Storage {
  const engine = inner.kind;
  // Calls go to `inner` synchronously, so its call order is kept.
  const wrapped: Record<string, unknown> = { kind: engine, intervals: inner.intervals, appendsInCallOrder: inner.appendsInCallOrder };
  for (const operation of Object.keys(OPERATIONS) as Operation[]) {
    const call = (inner[operation] as (...args: unknown[]) => Promise<unknown>).bind(inner);
    const duration = metrics.storageDuration.child([engine, operation]);
    const failed = (error: unknown) => {
      metrics.storageErrors.inc([engine, operation, error instanceof Error ? error.name : "Error"]);
      throw error;
    };
    wrapped[operation] = (...args: unknown[]) => {
      const started = performance.now();
      const timed = <T>(value: T) => {
        duration.observe((performance.now() - started) / 1000);
        return value;
      };
      let pending: Promise<unknown>;
      try {
        pending = call(...args);
      } catch (error) {
        pending = Promise.reject(error);
      }
      return pending.then(timed, (error: unknown) => failed(timed(error)));
    };
  }
  // A subscription, not a call on the store: passed through untimed, so that appends made through
  // other brokers still wake this broker's long polls with metrics on.
  if (inner.watchAppends) wrapped.watchAppends = inner.watchAppends.bind(inner);
  return wrapped as unknown as Storage;
}
