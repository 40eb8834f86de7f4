import { describe, expect, test } from "bun:test";
import { s3Location } from "../../../../src/storage/engines/s3/s3-location.ts";
import { s3UrlSettings } from "../../../../src/storage/engines/s3/s3-url-settings.ts";

describe("s3 URL settings", () => {
  test("without a query: appends never wait", () => {
    expect(s3UrlSettings("s3://bucket/prefix/")).toEqual({ batchMaxDelayMs: 0, batchMinBytes: Infinity });
  });

  test("batch_max_delay takes ms, s and m (ms without a unit); batch_min_size bytes with decimal or binary units", () => {
    const cases: Array<[string, number]> = [["250", 250], ["100ms", 100], ["1.5s", 1500], ["2m", 120_000]];
    for (const [text, ms] of cases) expect(s3UrlSettings(`s3://b/?batch_max_delay=${text}`).batchMaxDelayMs).toBe(ms);
    const sizes: Array<[string, number]> = [["100", 100], ["100B", 100], ["4KB", 4000], ["512KiB", 524_288], ["1MiB", 1_048_576], ["1MB", 1_000_000], ["2GiB", 2 * 1024 ** 3]];
    for (const [text, bytes] of sizes) expect(s3UrlSettings(`s3://b/p/?batch_min_size=${text}`).batchMinBytes).toBe(bytes);
    expect(s3UrlSettings("s3://b/?batch_max_delay=10ms&batch_min_size=1MiB")).toEqual({ batchMaxDelayMs: 10, batchMinBytes: 1_048_576 });
  });

  test("unknown settings and malformed values are errors naming them", () => {
    expect(() => s3UrlSettings("s3://b/?batch_max_delay=fast")).toThrow("batch_max_delay=fast is not a number with one of the units ms, s, m");
    expect(() => s3UrlSettings("s3://b/?batch_min_size=1TB")).toThrow("batch_min_size=1TB");
    expect(() => s3UrlSettings("s3://b/?linger=1s")).toThrow("unknown setting linger (known: batch_max_delay, batch_min_size)");
  });

  test("the query is not part of the bucket or prefix", () => {
    expect(s3Location("s3://bucket/a/b/?batch_max_delay=1s", {})).toMatchObject({ bucket: "bucket", prefix: "a/b/" });
    expect(s3Location("s3://bucket?batch_max_delay=1s", {})).toMatchObject({ bucket: "bucket", prefix: "" });
  });
});
