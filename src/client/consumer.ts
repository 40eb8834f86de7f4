// A minimal consumer over one connection: every partition of one topic assigned to it (no
// group), read from its log start with one Fetch at a time for all of them, as a Kafka consumer
// fetches from one broker; records are decoded (decompressed, CRC-checked) as an application
// would see them.
import { ErrorCode, errorName } from "../protocol/error-codes.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { ZERO_UUID } from "../protocol/reader.ts";
import { decodeRecordBatches, isControl } from "../protocol/record-batch.ts";
import type { KafkaConnection } from "./kafka-connection.ts";

export interface ConsumerOptions {
  /** fetch.max.bytes */
  fetchMaxBytes: number;
  /** max.partition.fetch.bytes */
  partitionMaxBytes: number;
  /** fetch.max.wait.ms */
  maxWaitMs: number;
  /** fetch.min.bytes */
  minBytes: number;
  /** 0 read_uncommitted, 1 read_committed */
  isolationLevel: number;
}

export const DEFAULT_CONSUMER_OPTIONS: ConsumerOptions = {
  fetchMaxBytes: 50 * 1024 * 1024,
  partitionMaxBytes: 1024 * 1024,
  maxWaitMs: 500,
  minBytes: 1,
  isolationLevel: 0,
};

/** What one poll read. */
export interface Polled {
  records: number;
  /** Key and value bytes of those records. */
  bytes: number;
}

export class ConsumerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConsumerError";
  }
}

export class Consumer {
  readonly #connection: KafkaConnection;
  readonly #topic: string;
  readonly #options: ConsumerOptions;
  /** Next offset to read, per partition. */
  readonly #positions: bigint[];

  constructor(connection: KafkaConnection, topic: string, partitions: number, options: Partial<ConsumerOptions> = {}) {
    this.#connection = connection;
    this.#topic = topic;
    this.#options = { ...DEFAULT_CONSUMER_OPTIONS, ...options };
    this.#positions = Array.from({ length: partitions }, () => 0n);
  }

  /** Positions every partition at its log start offset (ListOffsets EARLIEST). */
  async seekToBeginning(): Promise<void> {
    const response = await this.#connection.request(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: this.#options.isolationLevel,
      topics: [{ name: this.#topic, partitions: this.#positions.map((_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -2n })) }],
    });
    for (const p of response.topics.flatMap((t) => t.partitions)) {
      if (p.errorCode !== ErrorCode.NONE) throw new ConsumerError(`list offsets of ${this.#topic}-${p.partitionIndex}: ${errorName(p.errorCode)}`);
      this.#positions[p.partitionIndex] = p.offset ?? 0n;
    }
  }

  /** One Fetch of every partition from its position; counts the records returned and moves past them. */
  async poll(): Promise<Polled> {
    const response = await this.#connection.request(ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: this.#options.maxWaitMs,
      minBytes: this.#options.minBytes,
      maxBytes: this.#options.fetchMaxBytes,
      isolationLevel: this.#options.isolationLevel,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: this.#topic,
          topicId: ZERO_UUID,
          partitions: this.#positions.map((fetchOffset, partition) => ({
            partition,
            currentLeaderEpoch: -1,
            fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: this.#options.partitionMaxBytes,
          })),
        },
      ],
      forgottenTopicsData: [],
      rackId: "",
    });
    const errorCode = response.errorCode ?? ErrorCode.NONE;
    if (errorCode !== ErrorCode.NONE) throw new ConsumerError(`fetch ${this.#topic}: ${errorName(errorCode)}`);
    const polled: Polled = { records: 0, bytes: 0 };
    for (const data of response.responses.flatMap((t) => t.partitions)) {
      if (data.errorCode !== ErrorCode.NONE) throw new ConsumerError(`fetch ${this.#topic}-${data.partitionIndex}: ${errorName(data.errorCode)}`);
      if (!data.records || data.records.byteLength === 0) continue;
      const position = this.#positions[data.partitionIndex]!;
      let next = position;
      // A batch cut off at the size limit is read again, whole, by the next fetch.
      for (const batch of decodeRecordBatches(data.records, { allowPartialTail: true })) {
        next = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
        if (isControl(batch.attributes)) continue;
        for (const record of batch.records) {
          if (batch.baseOffset + BigInt(record.offsetDelta) < position) continue;
          polled.records++;
          polled.bytes += (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0);
        }
      }
      if (next > position) this.#positions[data.partitionIndex] = next;
    }
    return polled;
  }
}
