// `tansu perf produce`: what kafka-producer-perf-test measures, with the project's own client:
// records of a fixed size (one random payload, as Kafka's tool uses), sent at a target rate or as
// fast as the producers go, each record's latency from being handed to its producer to its
// acknowledgement, reported every few seconds and as a summary with percentiles.
import { KafkaConnection, type ConnectOptions } from "../../client/kafka-connection.ts";
import { LatencyHistogram } from "../../client/latency-histogram.ts";
import { Producer, type DeliveredBatch, type ProducerOptions } from "../../client/producer.ts";
import { partitionCount } from "../../client/topic-metadata.ts";
import { ErrorCode, errorName } from "../../protocol/error-codes.ts";

export interface ProducePerfOptions {
  /** Bootstrap brokers; producers connect to them in turn. */
  brokers: string[];
  /** TLS and SASL settings (-X, --command-config). */
  connect?: ConnectOptions;
  topic: string;
  records: number;
  recordSize: number;
  /** Records per second over all producers; -1 for as fast as they go. */
  throughput: number;
  producers: number;
  producer: Partial<ProducerOptions>;
  /** Every this many ms a progress line; 0 for none. */
  reportIntervalMs: number;
  print(line: string): void;
}

export interface ProducePerfResult {
  records: number;
  /** Records whose batch was refused or lost. */
  errors: number;
  /** The first error seen, by name. */
  firstError: string | null;
  seconds: number;
  recordsPerSecond: number;
  /** MB of record values per second, MB being 2^20 bytes as Kafka's tool counts. */
  mbPerSecond: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

const MB = 1024 * 1024;
/** Appending yields to the event loop this often, so acknowledgements are handled while it runs. */
const YIELD_EVERY_RECORDS = 1024;

/** A..Z, as kafka-producer-perf-test fills its payload. */
function randomPayload(size: number): Uint8Array {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
  return payload;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Counts over one reporting window. */
class Window {
  records = 0;
  latencySumMs = 0;
  maxLatencyMs = 0;
  startedAt = performance.now();
}

export async function producePerf(options: ProducePerfOptions): Promise<ProducePerfResult> {
  const connections = await Promise.all(
    Array.from({ length: options.producers }, (_, i) => KafkaConnection.connect(options.brokers[i % options.brokers.length]!, `tansu-perf-producer-${i}`, options.connect)),
  );
  try {
    const partitions = await partitionCount(connections[0]!, options.topic, true);
    const payload = randomPayload(options.recordSize);
    const histogram = new LatencyHistogram();
    let window = new Window();
    let errors = 0;
    let firstError: string | null = null;
    const onDelivery = (batch: DeliveredBatch) => {
      const now = performance.now();
      if (batch.errorCode !== ErrorCode.NONE) {
        errors += batch.tags.length;
        firstError ??= errorName(batch.errorCode);
        return;
      }
      for (const sentAt of batch.tags) {
        const latency = now - sentAt;
        histogram.record(latency);
        window.latencySumMs += latency;
        if (latency > window.maxLatencyMs) window.maxLatencyMs = latency;
      }
      window.records += batch.tags.length;
    };
    const reporter =
      options.reportIntervalMs > 0
        ? setInterval(() => {
            const seconds = (performance.now() - window.startedAt) / 1000;
            const w = window;
            window = new Window();
            const rate = w.records / seconds;
            options.print(
              `${w.records} records sent, ${rate.toFixed(1)} records/sec (${((rate * options.recordSize) / MB).toFixed(2)} MB/sec), ` +
                `${(w.records ? w.latencySumMs / w.records : 0).toFixed(1)} ms avg latency, ${w.maxLatencyMs.toFixed(1)} ms max latency.`,
            );
          }, options.reportIntervalMs)
        : null;

    const started = performance.now();
    const share = (i: number) => Math.floor(options.records / options.producers) + (i < options.records % options.producers ? 1 : 0);
    const rate = options.throughput > 0 ? options.throughput / options.producers : Infinity;
    await Promise.all(
      connections.map(async (connection, i) => {
        const producer = new Producer(connection, options.topic, partitions, options.producer, onDelivery);
        await runProducer(producer, payload, share(i), rate, started);
        await producer.flush();
        if (producer.failure) throw producer.failure;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    if (reporter) clearInterval(reporter);
    const recordsPerSecond = options.records / seconds;
    return {
      records: options.records,
      errors,
      firstError,
      seconds,
      recordsPerSecond,
      mbPerSecond: (recordsPerSecond * options.recordSize) / MB,
      avgLatencyMs: histogram.meanMs,
      maxLatencyMs: histogram.maxMs,
      p50Ms: histogram.percentileMs(0.5),
      p95Ms: histogram.percentileMs(0.95),
      p99Ms: histogram.percentileMs(0.99),
      p999Ms: histogram.percentileMs(0.999),
    };
  } finally {
    for (const connection of connections) connection.close();
  }
}

/**
 * Hands `count` records to `producer`, at `rate` records/s (Infinity: whenever its buffer has
 * room), each tagged with the time it was handed over.
 */
async function runProducer(producer: Producer, payload: Uint8Array, count: number, rate: number, started: number): Promise<void> {
  let sent = 0;
  while (sent < count) {
    if (producer.full) await producer.whenNotFull();
    let due = count - sent;
    if (rate !== Infinity) {
      due = Math.min(due, Math.floor(((performance.now() - started) / 1000) * rate) - sent);
      if (due <= 0) {
        // Ahead of schedule: wait until the next record is due.
        await Bun.sleep(Math.max(1, ((sent + 1) / rate) * 1000 - (performance.now() - started)));
        continue;
      }
    }
    for (let n = Math.min(due, YIELD_EVERY_RECORDS); n > 0 && !producer.full; n--) {
      producer.append(null, payload, performance.now());
      sent++;
    }
    await nextTurn();
  }
}

/** The summary line, as kafka-producer-perf-test prints it. */
export function produceSummary(r: ProducePerfResult): string {
  return (
    `${r.records} records sent, ${r.recordsPerSecond.toFixed(1)} records/sec (${r.mbPerSecond.toFixed(2)} MB/sec), ` +
    `${r.avgLatencyMs.toFixed(2)} ms avg latency, ${r.maxLatencyMs.toFixed(2)} ms max latency, ` +
    `${r.p50Ms.toFixed(2)} ms 50th, ${r.p95Ms.toFixed(2)} ms 95th, ${r.p99Ms.toFixed(2)} ms 99th, ${r.p999Ms.toFixed(2)} ms 99.9th.` +
    (r.errors > 0 ? ` ${r.errors} records failed (first: ${r.firstError}).` : "")
  );
}
