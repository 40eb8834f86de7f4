// The consumer lag snapshot's bounded cost: each refresh reads at most the configured number of
// groups and partitions (counted on the storage-timing decorator), later refreshes carry on where
// the previous one stopped until every group is covered, and scrapes in between read nothing.
import { expect, test } from "bun:test";
import type { BrokerContext } from "../../src/broker/context.ts";
import { newClassicGroup } from "../../src/broker/groups/classic-group.ts";
import { LogNotifier } from "../../src/broker/log-notifier.ts";
import { PrometheusBrokerMetrics } from "../../src/metrics/broker-metrics.ts";
import { ConsumerLagSnapshot } from "../../src/metrics/consumer-lag.ts";
import { instrumentStorage } from "../../src/metrics/instrumented-storage.ts";
import { MemoryStorage } from "../../src/storage/engines/memory/memory-storage.ts";
import { batchOf } from "../broker/records.ts";

async function storeWithGroups(groups: number, partitions: number) {
  const metrics = new PrometheusBrokerMetrics("test");
  const storage = instrumentStorage(new MemoryStorage(), metrics);
  const ctx = { storage, notifier: new LogNotifier(), config: {} } as unknown as BrokerContext;
  await storage.createTopic({ name: "t", partitions, configs: {} });
  for (let p = 0; p < partitions; p++) {
    for (let i = 0; i < 10; i++) {
      await storage.append({ topic: "t", partition: p }, { bytes: batchOf([{ value: "x" }]), offsetCount: 1, maxTimestamp: 0n, producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: false, control: null });
    }
  }
  for (let g = 0; g < groups; g++) {
    const id = `g${g}`;
    await storage.putRecord("group", id, newClassicGroup(id), null);
    await storage.commitOffsets(id, Array.from({ length: partitions }, (_, p) => ({ topic: "t", partition: p, offset: BigInt(g), leaderEpoch: -1, metadata: "", commitTimestamp: 0n })));
  }
  /** How many times each storage operation has been called so far. */
  const calls = async (operation: string) => {
    for (const family of await metrics.registry.collect()) {
      if (family.name !== "tansu_storage_operation_duration_seconds" || family.type !== "histogram") continue;
      for (const s of family.samples()) if (s.labels[1] === operation) return s.count;
    }
    return 0;
  };
  return { ctx, calls };
}

test("a refresh reads at most maxGroups groups; the next ones carry on until every group is covered", async () => {
  const { ctx, calls } = await storeWithGroups(5, 2);
  const snapshot = new ConsumerLagSnapshot(ctx, { refreshMs: 0, maxGroups: 2, maxPartitions: 1000 });
  const covered: string[][] = [];
  for (let refresh = 0; refresh < 3; refresh++) {
    const before = await calls("fetchOffsets");
    covered.push([...(await snapshot.current()).keys()].sort());
    expect((await calls("fetchOffsets")) - before).toBeLessThanOrEqual(2);
  }
  expect(covered).toEqual([["g0", "g1"], ["g0", "g1", "g2", "g3"], ["g0", "g1", "g2", "g3", "g4"]]);
  const g3 = (await snapshot.current()).get("g3")!;
  expect(g3.map((p) => [p.partition, p.committedOffset, p.highWatermark, p.lag])).toEqual([
    [0, 3n, 10n, 7n],
    [1, 3n, 10n, 7n],
  ]);
});

test("high watermarks are read once per partition per refresh and capped by maxPartitions", async () => {
  const { ctx, calls } = await storeWithGroups(4, 3);
  const shared = new ConsumerLagSnapshot(ctx, { refreshMs: 0, maxGroups: 100, maxPartitions: 3 });
  const before = await calls("offsets");
  // Every group commits the same three partitions: three reads cover all four groups.
  expect((await shared.current()).size).toBe(4);
  expect((await calls("offsets")) - before).toBe(3);

  // A cap below one group's partitions still gets through that one group per refresh, and no further.
  const capped = new ConsumerLagSnapshot(ctx, { refreshMs: 0, maxGroups: 100, maxPartitions: 2 });
  const start = await calls("offsets");
  expect([...(await capped.current()).keys()]).toEqual(["g0"]);
  expect((await calls("offsets")) - start).toBe(3);
});

test("a scrape within refreshMs reads nothing from the store", async () => {
  const { ctx, calls } = await storeWithGroups(3, 1);
  const snapshot = new ConsumerLagSnapshot(ctx, { refreshMs: 3_600_000, maxGroups: 100, maxPartitions: 100 });
  await snapshot.current();
  const reads = async () => (await calls("listRecords")) + (await calls("fetchOffsets")) + (await calls("offsets"));
  const before = await reads();
  await Promise.all([snapshot.current(), snapshot.current(), snapshot.current()]);
  expect(await reads()).toBe(before);
});

test("a failed refresh keeps the previous figures and counts the failure", async () => {
  const { ctx } = await storeWithGroups(2, 1);
  const snapshot = new ConsumerLagSnapshot(ctx, { refreshMs: 0, maxGroups: 100, maxPartitions: 100 });
  const first = [...(await snapshot.current()).keys()];
  await ctx.storage.close();
  expect([...(await snapshot.current()).keys()]).toEqual(first);
  expect(snapshot.failures).toBe(1);
});
