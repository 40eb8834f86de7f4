// Committed consumer offsets on S3: one compare-and-set object per group holding all of
// its offsets, so a commit of many partitions is one conditional write.

import type { CommittedOffset, TopicPartition } from "../../storage.ts";
import { readDocument, updateDocument } from "./cas-document.ts";
import { compareText } from "./cas-records.ts";
import type { ObjectKeys } from "./object-keys.ts";
import type { ObjectStore } from "./object-store.ts";

export class GroupOffsets {
  constructor(
    private readonly store: ObjectStore,
    private readonly keys: ObjectKeys,
  ) {}

  async commit(group: string, offsets: CommittedOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await updateDocument<CommittedOffset[], void>(this.store, this.keys.groupOffsets(group), (current) => {
      const byPartition = new Map((current ?? []).map((o) => [offsetKey(o), o]));
      for (const o of offsets) byPartition.set(offsetKey(o), { ...o });
      return { next: [...byPartition.values()], result: undefined };
    });
  }

  async fetch(group: string, partitions?: TopicPartition[]): Promise<CommittedOffset[]> {
    const committed = (await readDocument<CommittedOffset[]>(this.store, this.keys.groupOffsets(group)))?.value ?? [];
    if (!partitions) return committed.sort(byTopicPartition);
    const byPartition = new Map(committed.map((o) => [offsetKey(o), o]));
    return partitions.flatMap((tp) => byPartition.get(offsetKey(tp)) ?? []);
  }

  async delete(group: string, partitions: TopicPartition[]): Promise<void> {
    const doomed = new Set(partitions.map(offsetKey));
    await this.#remove(this.keys.groupOffsets(group), (o) => doomed.has(offsetKey(o)));
  }

  /** Removes a deleted topic's offsets from every group. */
  async deleteTopic(topic: string): Promise<void> {
    const groups = await this.store.list(this.keys.groupOffsetsPrefix());
    await Promise.all(groups.map((key) => this.#remove(key, (o) => o.topic === topic)));
  }

  async #remove(key: string, doomed: (offset: CommittedOffset) => boolean): Promise<void> {
    await updateDocument<CommittedOffset[], void>(this.store, key, (current) => {
      if (!current?.some(doomed)) return { result: undefined };
      return { next: current.filter((o) => !doomed(o)), result: undefined };
    });
  }
}

function offsetKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return compareText(a.topic, b.topic) || a.partition - b.partition;
}
