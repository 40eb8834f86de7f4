// Transaction coordinator defaults the CLI needs without loading the coordinator.

/** Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms default. */
export const TXN_SWEEP_INTERVAL_MS = 10_000;
