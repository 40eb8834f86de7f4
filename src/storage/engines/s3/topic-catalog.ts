// The topic catalog: one compare-and-set object listing every topic, so that name and id
// uniqueness, partition growth and config changes are each a single conditional write, and
// listing topics (every full Metadata request, every consumer-group heartbeat) is one GET.
// Topic changes are rare, so contention on this one object stays low.

import type { Topic, Uuid } from "../../storage.ts";

export interface CatalogTopic extends Topic {
  /** Names this creation's log objects (ObjectKeys.log); fresh for every createTopic. */
  logId: string;
}

export interface Catalog {
  topics: CatalogTopic[];
}

export function findTopic(catalog: Catalog | null, by: { name: string } | { id: Uuid }): CatalogTopic | undefined {
  return catalog?.topics.find("name" in by ? (t) => t.name === by.name : (t) => t.id === by.id);
}

/** The topic as callers see it: a copy, without the storage-internal log id. */
export function topicView(topic: CatalogTopic): Topic {
  return { name: topic.name, id: topic.id, partitions: topic.partitions, configs: { ...topic.configs } };
}

/** The catalog with `topic` (matched by log id) replaced by `next`, or removed when `next` is null. */
export function withTopic(catalog: Catalog, logId: string, next: CatalogTopic | null): Catalog {
  const topics = catalog.topics.filter((t) => t.logId !== logId);
  return { topics: next ? [...topics, next] : topics };
}
