// What metrics cost the produce path, measured without a separate client process (whose
// scheduling on a shared machine swamps small differences): two in-process brokers on memory://,
// one with metrics off and one with metrics on (requests, traffic and every storage call counted,
// and /metrics rendered after every burst, as a scrape would), take turns answering bursts of
// Produce requests over loopback from this process's own client. Medians over the bursts.
//
//   bun scripts/bench/metrics-overhead.ts [bursts] [requests per burst]
import type { BrokerContext } from "../../src/broker/context.ts";
import { LogNotifier } from "../../src/broker/log-notifier.ts";
import { listen } from "../../src/broker/server.ts";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { PrometheusBrokerMetrics } from "../../src/metrics/broker-metrics.ts";
import { expose } from "../../src/metrics/exposition.ts";
import { instrumentStorage } from "../../src/metrics/instrumented-storage.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { encodeRecordBatch } from "../../src/protocol/record-batch.ts";
import { openStorage } from "../../src/storage/open.ts";
import { writeBenchmarkSection } from "./report.ts";

const BURSTS = Number(process.argv[2] ?? 20);
const REQUESTS = Number(process.argv[3] ?? 2000);
const IN_FLIGHT = 16;
const RECORDS_PER_BATCH = 10;

// Small records: the memory store keeps every one, and a large heap would make GC the thing measured.
const VALUE_BYTES = 100;
const value = new Uint8Array(VALUE_BYTES).fill(120);
const batch = () =>
  encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ offsetDelta: i, value })) });

async function broker(metrics: PrometheusBrokerMetrics | undefined) {
  const opened = await openStorage("memory://");
  const storage = metrics ? instrumentStorage(opened, metrics) : opened;
  const ctx: BrokerContext = {
    storage,
    metrics,
    notifier: new LogNotifier(),
    config: {
      nodeId: 1, clusterId: "bench", advertisedHost: "127.0.0.1", advertisedPort: 0, defaultPartitions: 1, autoCreateTopics: true,
      maxRequestBytes: 100 << 20, fetchPollMs: 250, cleanerIntervalMs: 3_600_000, transactionSweepIntervalMs: 3_600_000, transactionMaxTimeoutMs: 900_000,
    },
  };
  await storage.createTopic({ name: "bench", partitions: 1, configs: {} });
  const running = listen(ctx, "127.0.0.1", 0);
  const client = await KafkaConnection.connect(`127.0.0.1:${running.port}`, "bench");
  return { running, client, metrics };
}

/** Requests per second over one burst, IN_FLIGHT requests pipelined on one connection. */
async function burst(client: KafkaConnection): Promise<number> {
  const records = batch();
  let sent = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < REQUESTS) {
      sent++;
      const response = await client.request(ApiKey.Produce, 9, {
        transactionalId: null, acks: -1, timeoutMs: 5000,
        topicData: [{ name: "bench", partitionData: [{ index: 0, records }] }],
      });
      if (response.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error("produce failed");
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return REQUESTS / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const off = await broker(undefined);
const on = await broker(new PrometheusBrokerMetrics("bench"));
await burst(off.client); // warm-up: JIT and allocation for both paths
await burst(on.client);
const offRates: number[] = [];
const onRates: number[] = [];
for (let i = 0; i < BURSTS; i++) {
  offRates.push(await burst(off.client));
  onRates.push(await burst(on.client));
  expose(await on.metrics!.registry.collect(), "prometheus");
}
for (const b of [off, on]) {
  b.client.close();
  await b.running.stop();
}

const offMedian = median(offRates);
const onMedian = median(onRates);
const spread = (rates: number[]) => (Math.max(...rates) / Math.min(...rates)).toFixed(2);
const table = [
  `Command: \`bun scripts/bench/metrics-overhead.ts ${BURSTS} ${REQUESTS}\` (${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}).`,
  `Two in-process brokers on memory://, metrics off and on, alternate ${BURSTS} bursts of ${REQUESTS} Produce v9 requests`,
  `(${IN_FLIGHT} in flight on one connection, one batch of ${RECORDS_PER_BATCH} records of ${VALUE_BYTES} B each, acks=all) from a client in the same`,
  "process; with metrics on, every request, append and storage call is counted and /metrics is rendered after each burst.",
  "",
  "| broker | Produce requests/s (median) | records/s | max/min over the bursts |",
  "| --- | ---: | ---: | ---: |",
  `| metrics off | ${Math.round(offMedian).toLocaleString("en")} | ${Math.round(offMedian * RECORDS_PER_BATCH).toLocaleString("en")} | ${spread(offRates)} |`,
  `| metrics on | ${Math.round(onMedian).toLocaleString("en")} | ${Math.round(onMedian * RECORDS_PER_BATCH).toLocaleString("en")} | ${spread(onRates)} |`,
  "",
  `Metrics on ÷ off: ${(onMedian / offMedian).toFixed(3)} (1.000 = no cost).`,
].join("\n");
console.log(table);
writeBenchmarkSection("metrics-overhead", `## Metrics overhead on the produce path\n\n${table}`);
