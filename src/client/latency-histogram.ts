// Latencies of many operations in bounded memory, for percentiles: microsecond values in
// log-linear buckets (exact below 128 µs, then 64 buckets per power of two, so a percentile is
// within 1.6% of the true value), as HdrHistogram does. Count, mean and max are exact.

const LINEAR = 128;
const SUB_BUCKET_BITS = 6;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
/** Powers of two above LINEAR up to 2^40 µs (12 days): anything longer lands in the last bucket. */
const OCTAVES = 40 - 7;

export class LatencyHistogram {
  readonly #counts = new Float64Array(LINEAR + OCTAVES * SUB_BUCKETS);
  #count = 0;
  #sumMs = 0;
  #maxMs = 0;

  record(ms: number): void {
    const us = Math.max(0, Math.round(ms * 1000));
    this.#counts[bucketOf(us)]++;
    this.#count++;
    this.#sumMs += ms;
    if (ms > this.#maxMs) this.#maxMs = ms;
  }

  /** Adds `other`'s values to this one. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i] += other.#counts[i];
    this.#count += other.#count;
    this.#sumMs += other.#sumMs;
    this.#maxMs = Math.max(this.#maxMs, other.#maxMs);
  }

  get count(): number {
    return this.#count;
  }

  get meanMs(): number {
    return this.#count === 0 ? 0 : this.#sumMs / this.#count;
  }

  get maxMs(): number {
    return this.#maxMs;
  }

  /** The value at quantile `q` (0.5 for the median) in ms; 0 when empty. */
  percentileMs(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return Math.min(valueOf(i), this.#maxMs * 1000) / 1000;
    }
    return this.#maxMs;
  }
}

function bucketOf(us: number): number {
  if (us < LINEAR) return us;
  const exponent = Math.min(Math.floor(Math.log2(us)), 7 + OCTAVES - 1);
  const sub = Math.floor(us / 2 ** (exponent - SUB_BUCKET_BITS)) - SUB_BUCKETS;
  return LINEAR + (exponent - 7) * SUB_BUCKETS + Math.min(sub, SUB_BUCKETS - 1);
}

/** A bucket's representative value in µs: its middle. */
function valueOf(bucket: number): number {
  if (bucket < LINEAR) return bucket;
  const exponent = 7 + Math.floor((bucket - LINEAR) / SUB_BUCKETS);
  const sub = (bucket - LINEAR) % SUB_BUCKETS;
  const width = 2 ** (exponent - SUB_BUCKET_BITS);
  return (SUB_BUCKETS + sub) * width + width / 2;
}
