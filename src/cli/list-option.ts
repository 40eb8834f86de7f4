/**
 * The items of an option that lists several (`a, b,c`): split at `separator`, trimmed, empty ones dropped.
 * A loop rather than split().map().filter(): the broker's start-up path calls none of the Array methods that
 * take a callback, as JavaScriptCore compiles each of them on its first call (docs/BENCHMARKS.md, Startup).
 */
export function listOption(value: string | undefined, separator = ","): string[] {
  const items: string[] = [];
  if (!value) return items;
  let start = 0;
  for (;;) {
    const end = value.indexOf(separator, start);
    const item = value.slice(start, end < 0 ? undefined : end).trim();
    if (item) items.push(item);
    if (end < 0) return items;
    start = end + separator.length;
  }
}
