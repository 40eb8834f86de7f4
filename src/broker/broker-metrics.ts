// What the broker reports as it works. The broker only calls these methods; src/metrics
// implements them (Prometheus families) and src/cli wires an implementation in when the HTTP
// listener is on. With no implementation (ctx.metrics absent) nothing is counted.

export interface BrokerMetrics {
  /** One answered (or refused) request; `errorCode` is the first error its response carries, NONE when none. */
  request(apiKey: number, apiVersion: number, errorCode: number, seconds: number): void;
  /** A batch appended for a client (duplicates of an idempotent retry excluded). */
  produced(topic: string, bytes: number, records: number): void;
  /** Batches sent to a fetching client from one partition. */
  fetched(topic: string, bytes: number, records: number): void;
  connectionOpened(listener: string): void;
  connectionClosed(listener: string): void;
  /** A group moved to a new generation (classic) or group epoch (KIP-848 consumer). */
  groupRebalanced(protocol: "classic" | "consumer" | "share"): void;
  /** This broker wrote the transaction's Complete* state. */
  transactionEnded(outcome: "committed" | "aborted"): void;
  /** A produced batch refused by schema validation. */
  validationRejected(topic: string): void;
}

