// `tansu perf consume`: what kafka-consumer-perf-test measures, with the project's own client:
// read a topic from its beginning until N records have arrived (or none came for a while), and
// report records/s and MB/s (key and value bytes, MB being 2^20 bytes as Kafka's tool counts),
// with the latency of each Fetch round trip.
import { Consumer, type ConsumerOptions } from "../../client/consumer.ts";
import { KafkaConnection, type ConnectOptions } from "../../client/kafka-connection.ts";
import { LatencyHistogram } from "../../client/latency-histogram.ts";
import { partitionCount } from "../../client/topic-metadata.ts";

export interface ConsumePerfOptions {
  broker: string;
  /** TLS and SASL settings (-X, --command-config). */
  connect?: ConnectOptions;
  topic: string;
  records: number;
  /** Give up after this long without a record (kafka-consumer-perf-test --timeout). */
  timeoutMs: number;
  consumer: Partial<ConsumerOptions>;
}

export interface ConsumePerfResult {
  records: number;
  /** Key and value bytes consumed. */
  bytes: number;
  seconds: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  fetches: number;
  fetchP50Ms: number;
  fetchP95Ms: number;
  fetchP99Ms: number;
  fetchP999Ms: number;
  /** True when it stopped for lack of records before reaching the count asked for. */
  timedOut: boolean;
}

const MB = 1024 * 1024;

export async function consumePerf(options: ConsumePerfOptions): Promise<ConsumePerfResult> {
  const connection = await KafkaConnection.connect(options.broker, "tansu-perf-consumer", options.connect);
  try {
    const consumer = new Consumer(connection, options.topic, await partitionCount(connection, options.topic, false), options.consumer);
    await consumer.seekToBeginning();
    const latencies = new LatencyHistogram();
    let records = 0;
    let bytes = 0;
    let timedOut = false;
    const started = performance.now();
    let lastProgress = started;
    while (records < options.records) {
      const asked = performance.now();
      const polled = await consumer.poll();
      const now = performance.now();
      latencies.record(now - asked);
      records += polled.records;
      bytes += polled.bytes;
      if (polled.records > 0) lastProgress = now;
      else if (now - lastProgress >= options.timeoutMs) {
        timedOut = true;
        break;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      records,
      bytes,
      seconds,
      recordsPerSecond: records / seconds,
      mbPerSecond: bytes / MB / seconds,
      fetches: latencies.count,
      fetchP50Ms: latencies.percentileMs(0.5),
      fetchP95Ms: latencies.percentileMs(0.95),
      fetchP99Ms: latencies.percentileMs(0.99),
      fetchP999Ms: latencies.percentileMs(0.999),
      timedOut,
    };
  } finally {
    connection.close();
  }
}

/** kafka-consumer-perf-test's columns (without its group rebalance times: no group here), then fetch latencies. */
export function consumeSummary(r: ConsumePerfResult): string[] {
  return [
    "data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, fetches, fetch.ms.50th, fetch.ms.95th, fetch.ms.99th, fetch.ms.99.9th",
    [
      (r.bytes / MB).toFixed(4),
      r.mbPerSecond.toFixed(4),
      r.records,
      r.recordsPerSecond.toFixed(4),
      r.fetches,
      r.fetchP50Ms.toFixed(2),
      r.fetchP95Ms.toFixed(2),
      r.fetchP99Ms.toFixed(2),
      r.fetchP999Ms.toFixed(2),
    ].join(", "),
  ];
}
