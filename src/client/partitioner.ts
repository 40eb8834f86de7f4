// Where a producer puts a record when it names no partition, as Kafka's Java producer does: a keyed record
// goes to murmur2(key) mod the partition count, so every client (and tansu.produce() in SQL) agrees on a key's
// partition; keyless records are spread round-robin.

/** Kafka's Utils.murmur2: MurmurHash2, seed 0x9747b28c, over the key's bytes (a signed 32-bit result). */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The last 1-3 bytes, as the reference implementation's fall-through switch takes them.
  const tail = length & 3;
  if (tail >= 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's choice for a keyed record: toPositive(murmur2(key)) % partitions. */
export function keyPartition(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** Partitions for records that may lack a partition: by key when they have one, round-robin when not. */
export class Partitioner {
  #next = 0;

  constructor(readonly partitions: number) {}

  partitionOf(key: Uint8Array | null): number {
    if (key !== null) return keyPartition(key, this.partitions);
    const partition = this.#next;
    this.#next = (this.#next + 1) % this.partitions;
    return partition;
  }
}
