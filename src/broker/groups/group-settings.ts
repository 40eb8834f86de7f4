// Coordinator tunables, with Apache Kafka's defaults. Pure transitions take them as a
// parameter so tests can shorten the delays without touching the clock.

export interface GroupSettings {
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long a first rebalance waits for more members. */
  initialRebalanceDelayMs: number;
  /** group.consumer.session.timeout.ms (KIP-848) */
  consumerSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms (KIP-848) */
  consumerHeartbeatIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
}

export const DEFAULT_GROUP_SETTINGS: GroupSettings = {
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3_000,
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5_000,
  offsetMetadataMaxBytes: 4_096,
};
