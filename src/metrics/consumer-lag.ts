// Consumer lag as metric families, from a snapshot of the store refreshed at most once every
// `refreshMs` and by bounded work: one listing of the groups, then committed offsets of at most
// `maxGroups` groups (plus one read for the group found to exceed the next cap) and high watermarks
// of at most `maxPartitions` partitions. With more than
// that, each refresh carries on where the previous one stopped (groups in name order, wrapping
// round), and the groups not reached keep their previous figures. Scrapes in between are served
// from the snapshot, so a scrape's cost does not grow with the number of groups beyond exposing them.
import type { BrokerContext } from "../broker/context.ts";
import { HighWatermarks, lagOf, type PartitionLag } from "../broker/groups/group-lag.ts";
import { readAllGroups } from "../broker/groups/group-store.ts";
import { consola } from "../log.ts";
import type { Registry } from "./registry.ts";

export interface LagSettings {
  /** A scrape older snapshot than this refreshes it first (CONSUMER_LAG_REFRESH_MS). */
  refreshMs: number;
  /** Groups whose offsets one refresh reads (CONSUMER_LAG_MAX_GROUPS). */
  maxGroups: number;
  /** Partitions whose high watermark one refresh reads (CONSUMER_LAG_MAX_PARTITIONS). */
  maxPartitions: number;
}


export class ConsumerLagSnapshot {
  readonly #byGroup = new Map<string, PartitionLag[]>();
  /** The last group the previous refresh reached; the next one starts after it. */
  #cursor = "";
  #refreshedAt = -Infinity;
  #refreshing: Promise<void> | null = null;
  refreshedAtMs = 0;
  failures = 0;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly settings: LagSettings,
  ) {}

  /** The figures, refreshed first when older than refreshMs; a failed refresh keeps the previous ones. */
  async current(): Promise<ReadonlyMap<string, PartitionLag[]>> {
    if (performance.now() - this.#refreshedAt >= this.settings.refreshMs) {
      this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = null));
      await this.#refreshing;
    }
    return this.#byGroup;
  }

  async #refresh(): Promise<void> {
    try {
      await this.#refreshOnce();
    } catch (error) {
      this.failures++;
      consola.warn(`consumer lag: reading the store failed, serving the previous figures: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Also after a failure: a store that is down is asked again only after refreshMs.
    this.#refreshedAt = performance.now();
  }

  async #refreshOnce(): Promise<void> {
    const ids = (await readAllGroups(this.ctx)).map((g) => g.groupId).sort();
    const listed = new Set(ids);
    for (const id of this.#byGroup.keys()) if (!listed.has(id)) this.#byGroup.delete(id);
    if (ids.length === 0) {
      this.refreshedAtMs = Date.now();
      return;
    }
    const start = Math.max(0, ids.findIndex((id) => id > this.#cursor));
    const highWatermarks = new HighWatermarks(this.ctx);
    let done = 0;
    while (done < ids.length && done < this.settings.maxGroups) {
      const id = ids[(start + done) % ids.length]!;
      const committed = await this.ctx.storage.fetchOffsets(id);
      // Every refresh gets through at least one group, however many partitions it has; after that a
      // group whose partitions would take the reads past the cap waits for the next refresh.
      if (done > 0 && highWatermarks.size + highWatermarks.unread(committed) > this.settings.maxPartitions) break;
      this.#byGroup.set(id, await lagOf(committed, highWatermarks));
      this.#cursor = id;
      done++;
    }
    if (done === ids.length) this.#cursor = "";
    this.refreshedAtMs = Date.now();
  }
}

/** Adds the lag families to `registry`, filled from a snapshot at each collection. */
export function registerConsumerLag(registry: Registry, ctx: BrokerContext, settings: LagSettings): void {
  const snapshot = new ConsumerLagSnapshot(ctx, settings);
  const labels = ["group", "topic", "partition"];
  const committed = registry.gauge("tansu_consumer_group_committed_offset", "Offset the group has committed, by group, topic and partition (from the store).", labels);
  const lag = registry.gauge("tansu_consumer_group_lag", "High watermark minus the committed offset, by group, topic and partition (from the store).", labels);
  const hwm = registry.gauge("tansu_partition_high_watermark", "Offset of the next record to be written, for partitions some group has committed.", ["topic", "partition"]);
  const age = registry.gauge("tansu_consumer_lag_snapshot_timestamp_seconds", "When the consumer lag figures were last refreshed from the store, in seconds since the Unix epoch.");
  const failures = registry.counter("tansu_consumer_lag_refresh_errors", "Consumer lag refreshes that could not read the store.");
  registry.onCollect(async () => {
    const byGroup = await snapshot.current();
    committed.clear();
    lag.clear();
    hwm.clear();
    for (const [group, partitions] of byGroup) {
      for (const p of partitions) {
        const values = [group, p.topic, String(p.partition)];
        committed.set(values, Number(p.committedOffset));
        lag.set(values, Number(p.lag));
        hwm.set([p.topic, String(p.partition)], Number(p.highWatermark));
      }
    }
    age.set([], snapshot.refreshedAtMs / 1000);
    failures.setTotal([], snapshot.failures);
  });
}
