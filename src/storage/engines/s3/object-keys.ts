// Where each kind of object lives under the store's prefix. Logs are keyed by the topic's
// log id, a fresh random id per topic creation, so a deleted and re-created topic (even one
// re-created with the same topic id) can never see, or be disturbed by, the old one's objects.

export class ObjectKeys {
  constructor(readonly prefix: string) {}

  /** The topic catalog: every topic, one compare-and-set object. */
  topics(): string {
    return `${this.prefix}topics.json`;
  }

  /** The next producer id, a compare-and-set counter. */
  producerIds(): string {
    return `${this.prefix}producer-ids.json`;
  }

  /** Everything of one topic's log; deleteTopic removes this prefix. */
  log(logId: string): string {
    return `${this.prefix}logs/${logId}/`;
  }

  /** A partition's head: offsets, producer state and the batch index (compare-and-set). */
  head(logId: string, partition: number): string {
    return `${this.log(logId)}${partition}/head.json`;
  }

  /** One batch's bytes, immutable, written before the head refers to it. */
  batch(logId: string, partition: number, object: string): string {
    return `${this.log(logId)}${partition}/batches/${object}`;
  }

  /** An immutable chunk of older index entries the head moved out. */
  indexChunk(logId: string, partition: number, object: string): string {
    return `${this.log(logId)}${partition}/index/${object}.json`;
  }

  /** The committed offsets of one consumer group (compare-and-set). */
  groupOffsets(group: string): string {
    return `${this.groupOffsetsPrefix()}${encodeURIComponent(group)}.json`;
  }

  groupOffsetsPrefix(): string {
    return `${this.prefix}offsets/`;
  }

  /** One compare-and-set record; its ETag is its version. */
  record(namespace: string, key: string): string {
    return `${this.recordsPrefix(namespace)}${encodeURIComponent(key)}.json`;
  }

  recordsPrefix(namespace: string): string {
    return `${this.prefix}records/${encodeURIComponent(namespace)}/`;
  }

  /** The record key of an object listed under recordsPrefix(namespace). */
  recordKeyOf(namespace: string, objectKey: string): string {
    return decodeURIComponent(objectKey.slice(this.recordsPrefix(namespace).length, -".json".length));
  }
}

/** A fresh object name: random, so that concurrent writers never pick the same one. */
export function freshObjectName(): string {
  return crypto.randomUUID().replaceAll("-", "");
}
