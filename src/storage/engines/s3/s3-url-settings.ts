// Settings of an s3:// store given in its URL's query, named as Tansu (Rust) names them:
//
//   s3://BUCKET/PREFIX/?batch_max_delay=100ms&batch_min_size=1MiB
//
// batch_max_delay: how long an append may wait for more appends to the same partition, so that
//   they share one head write (one conditional PUT) instead of paying one each. Without it an
//   append never waits: it shares a head write only with appends that arrive while one is in flight.
// batch_min_size: with batch_max_delay, a partition's waiting appends are written as soon as
//   they hold more than this many bytes.

export interface S3UrlSettings {
  /** 0: never wait. */
  batchMaxDelayMs: number;
  /** Infinity: wait the whole delay. */
  batchMinBytes: number;
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

function quantity(url: string, name: string, text: string, units: Record<string, number>, defaultUnit: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match?.[2]?.toLowerCase() || defaultUnit;
  const factor = units[unit];
  if (!match || factor === undefined) {
    throw new Error(`s3 storage URL ${JSON.stringify(url)}: ${name}=${text} is not a number with one of the units ${Object.keys(units).join(", ")}`);
  }
  return Number(match[1]) * factor;
}

/**
 * The settings in an s3:// URL's query; defaults for those it does not give.
 * @throws Error for an unknown setting or a malformed value
 */
export function s3UrlSettings(url: string): S3UrlSettings {
  const query = url.includes("?") ? url.slice(url.indexOf("?") + 1).replace(/#.*$/, "") : "";
  const settings: S3UrlSettings = { batchMaxDelayMs: 0, batchMinBytes: Infinity };
  for (const [name, value] of new URLSearchParams(query)) {
    if (name === "batch_max_delay") settings.batchMaxDelayMs = quantity(url, name, value, DURATION_UNITS_MS, "ms");
    else if (name === "batch_min_size") settings.batchMinBytes = quantity(url, name, value, SIZE_UNITS, "b");
    else throw new Error(`s3 storage URL ${JSON.stringify(url)}: unknown setting ${name} (known: batch_max_delay, batch_min_size)`);
  }
  return settings;
}
