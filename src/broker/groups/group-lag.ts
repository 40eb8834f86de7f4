// A group's consumer lag, read from the store as OffsetFetch and ListOffsets would: its committed
// offset and the partition's high watermark, for every partition the group has committed. Any
// broker computes the same figures.
import { UnknownTopicError } from "../../storage/errors.ts";
import type { CommittedOffset, TopicPartition } from "../../storage/storage.ts";
import type { BrokerContext } from "../context.ts";

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: bigint;
  highWatermark: bigint;
  /** highWatermark - committedOffset, never below 0. */
  lag: bigint;
}

/** High watermarks read once per partition for any number of groups; null for a partition that no longer exists. */
export class HighWatermarks {
  readonly #read = new Map<string, Promise<bigint | null>>();

  constructor(private readonly ctx: BrokerContext) {}

  get size(): number {
    return this.#read.size;
  }

  /** How many of `partitions` have not been read yet. */
  unread(partitions: TopicPartition[]): number {
    return new Set(partitions.map(keyOf).filter((key) => !this.#read.has(key))).size;
  }

  get(tp: TopicPartition): Promise<bigint | null> {
    const key = keyOf(tp);
    let hwm = this.#read.get(key);
    if (!hwm) {
      hwm = this.ctx.storage.offsets(tp).then(
        (o) => o.highWatermark,
        (error: unknown) => {
          if (error instanceof UnknownTopicError) return null;
          throw error;
        },
      );
      this.#read.set(key, hwm);
    }
    return hwm;
  }
}

function keyOf(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

/** Lag per committed partition of `groupId`, sorted by topic and partition; partitions of deleted topics are left out. */
export async function groupLag(ctx: BrokerContext, groupId: string): Promise<PartitionLag[]> {
  return lagOf(await ctx.storage.fetchOffsets(groupId), new HighWatermarks(ctx));
}

/** Lag of a group's `committed` offsets, reading high watermarks through `highWatermarks`. */
export async function lagOf(committed: CommittedOffset[], highWatermarks: HighWatermarks): Promise<PartitionLag[]> {
  const lags: PartitionLag[] = [];
  for (const c of committed) {
    const highWatermark = await highWatermarks.get(c);
    if (highWatermark === null) continue;
    const lag = highWatermark > c.offset ? highWatermark - c.offset : 0n;
    lags.push({ topic: c.topic, partition: c.partition, committedOffset: c.offset, highWatermark, lag });
  }
  return lags.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}
