// A minimal producer over one connection, shaped like Kafka's: records accumulate into a batch
// per partition (the sticky partitioner for keyless records: one partition's batch fills, then
// the next partition's), a batch is sent once it holds batch.size bytes or linger.ms has passed,
// up to max.in.flight requests at once, each carrying the ready batches of several partitions,
// and appending waits while buffer.memory bytes are unacknowledged. No retries and no
// idempotence: each batch's outcome is reported once, to `onDelivery`.
import { ErrorCode } from "../protocol/error-codes.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { encodeRecordBatch, type RecordInput } from "../protocol/record-batch.ts";
import type { KafkaConnection } from "./kafka-connection.ts";

export interface ProducerOptions {
  /** -1 (all), 1 (leader) or 0 (no response). */
  acks: number;
  /** Codec id (record-batch.ts Compression). */
  compression: number;
  /** batch.size: a batch is sent once it holds this many bytes of records. */
  batchSize: number;
  /** linger.ms: a batch that is not full is sent this long after its first record. */
  lingerMs: number;
  /** max.in.flight.requests.per.connection */
  maxInFlight: number;
  /** buffer.memory: appending waits while this many bytes are not yet acknowledged. */
  bufferBytes: number;
  /** max.request.size */
  maxRequestBytes: number;
  /** request.timeout.ms, sent as the Produce timeout. */
  requestTimeoutMs: number;
}

export const DEFAULT_PRODUCER_OPTIONS: ProducerOptions = {
  acks: -1,
  compression: 0,
  batchSize: 16_384,
  lingerMs: 5,
  maxInFlight: 5,
  bufferBytes: 32 * 1024 * 1024,
  maxRequestBytes: 1_048_576,
  requestTimeoutMs: 30_000,
};

/** One batch's outcome. */
export interface DeliveredBatch {
  partition: number;
  /** The tag each record was appended with, in order. */
  tags: number[];
  /** Key and value bytes of its records, uncompressed. */
  bytes: number;
  /** NONE, the broker's error for the partition, or NETWORK_EXCEPTION when the connection failed. */
  errorCode: number;
  /** Offset of the first record; -1 with acks=0 or an error. */
  baseOffset: bigint;
}

/** Record framing a batch adds around keys and values, for deciding when it is full: varints and attributes. */
const RECORD_OVERHEAD_BYTES = 8;
const BATCH_OVERHEAD_BYTES = 61;

interface Batch {
  partition: number;
  records: RecordInput[];
  tags: number[];
  /** Key and value bytes. */
  bytes: number;
  /** Estimated size on the wire, uncompressed. */
  size: number;
  /** Sendable although not full: its linger time passed, or everything is being flushed. */
  due: boolean;
}

export class Producer {
  readonly #connection: KafkaConnection;
  readonly #topic: string;
  readonly #partitions: number;
  readonly #options: ProducerOptions;
  readonly #onDelivery: (batch: DeliveredBatch) => void;
  #open: Batch | null = null;
  #lingerTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #ready: Batch[] = [];
  #nextPartition: number;
  #inFlight = 0;
  /** Bytes appended and not yet delivered. */
  #buffered = 0;
  #spaceWaiters: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  #failure: Error | null = null;

  constructor(
    connection: KafkaConnection,
    topic: string,
    partitions: number,
    options: Partial<ProducerOptions>,
    onDelivery: (batch: DeliveredBatch) => void,
  ) {
    this.#connection = connection;
    this.#topic = topic;
    this.#partitions = partitions;
    this.#options = { ...DEFAULT_PRODUCER_OPTIONS, ...options };
    this.#onDelivery = onDelivery;
    this.#nextPartition = Math.floor(Math.random() * partitions);
  }

  /** The connection's failure, once it failed; every batch after it is delivered with NETWORK_EXCEPTION. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** True while appending more would exceed buffer.memory; wait with `whenNotFull`. */
  get full(): boolean {
    return this.#buffered >= this.#options.bufferBytes;
  }

  whenNotFull(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /** Adds a record to the current batch; `tag` comes back with its delivery (e.g. when it was sent). */
  append(key: Uint8Array | null, value: Uint8Array | null, tag: number): void {
    const batch = this.#open ?? this.#startBatch();
    const bytes = (key?.byteLength ?? 0) + (value?.byteLength ?? 0);
    batch.records.push({ offsetDelta: batch.records.length, timestampDelta: 0n, key, value, headers: [] });
    batch.tags.push(tag);
    batch.bytes += bytes;
    batch.size += bytes + RECORD_OVERHEAD_BYTES;
    this.#buffered += bytes;
    if (batch.size >= this.#options.batchSize) {
      this.#closeOpen();
      this.#pump();
    }
  }

  /** Sends everything appended so far and resolves once every batch has been delivered. */
  async flush(): Promise<void> {
    if (this.#open) this.#closeOpen();
    for (const batch of this.#ready) batch.due = true;
    this.#pump();
    if (this.#inFlight === 0 && this.#ready.length === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #startBatch(): Batch {
    const batch: Batch = { partition: this.#nextPartition, records: [], tags: [], bytes: 0, size: BATCH_OVERHEAD_BYTES, due: this.#options.lingerMs <= 0 };
    this.#nextPartition = (this.#nextPartition + 1) % this.#partitions;
    this.#open = batch;
    if (!batch.due) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = null;
        if (this.#open !== batch) return;
        batch.due = true;
        this.#pump();
      }, this.#options.lingerMs);
    }
    return batch;
  }

  #closeOpen(): void {
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
    this.#ready.push(this.#open!);
    this.#open = null;
  }

  /** Sends requests while there is room in flight and something to send. */
  #pump(): void {
    while (this.#inFlight < this.#options.maxInFlight) {
      // A due open batch goes too: with linger.ms 0 a batch is sent whenever the connection has room.
      if (this.#open?.due && this.#open.records.length > 0) this.#closeOpen();
      const batches = this.#takeSendable();
      if (batches.length === 0) return;
      this.#inFlight++;
      void this.#send(batches).finally(() => {
        this.#inFlight--;
        this.#pump();
        if (this.#inFlight === 0 && this.#ready.length === 0 && !this.#open) for (const wake of this.#idleWaiters.splice(0)) wake();
      });
    }
  }

  /** Ready batches for one request: one per partition, within max.request.size (at least one). */
  #takeSendable(): Batch[] {
    const taken: Batch[] = [];
    const partitions = new Set<number>();
    let size = 0;
    for (let i = 0; i < this.#ready.length; ) {
      const batch = this.#ready[i]!;
      const sendable = batch.due || batch.size >= this.#options.batchSize;
      if (!sendable || partitions.has(batch.partition) || (taken.length > 0 && size + batch.size > this.#options.maxRequestBytes)) {
        i++;
        continue;
      }
      taken.push(batch);
      partitions.add(batch.partition);
      size += batch.size;
      this.#ready.splice(i, 1);
    }
    return taken;
  }

  async #send(batches: Batch[]): Promise<void> {
    const now = BigInt(Date.now());
    const request = {
      transactionalId: null,
      acks: this.#options.acks,
      timeoutMs: this.#options.requestTimeoutMs,
      topicData: [
        {
          name: this.#topic,
          partitionData: batches.map((b) => ({
            index: b.partition,
            records: encodeRecordBatch({ baseTimestamp: now, compression: this.#options.compression, records: b.records }),
          })),
        },
      ],
    };
    const outcome = new Map<number, { errorCode: number; baseOffset: bigint }>();
    try {
      if (this.#failure) throw this.#failure;
      if (this.#options.acks === 0) {
        await this.#connection.send(ApiKey.Produce, 9, request);
      } else {
        const response = await this.#connection.request(ApiKey.Produce, 9, request);
        for (const p of response.responses.flatMap((t) => t.partitionResponses)) outcome.set(p.index, p);
      }
    } catch (error) {
      this.#failure ??= error as Error;
    }
    for (const batch of batches) {
      const result = this.#failure
        ? { errorCode: ErrorCode.NETWORK_EXCEPTION, baseOffset: -1n }
        : (outcome.get(batch.partition) ?? { errorCode: this.#options.acks === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_SERVER_ERROR, baseOffset: -1n });
      this.#buffered -= batch.bytes;
      this.#onDelivery({ partition: batch.partition, tags: batch.tags, bytes: batch.bytes, errorCode: result.errorCode, baseOffset: result.baseOffset });
    }
    if (!this.full) for (const wake of this.#spaceWaiters.splice(0)) wake();
  }
}
