import { expect, test } from "bun:test";
import { LatencyHistogram } from "../../src/client/latency-histogram.ts";

test("percentiles are within 1.6% of the exact ones; count, mean and max are exact", () => {
  const h = new LatencyHistogram();
  const values = Array.from({ length: 100_000 }, (_, i) => (i + 1) / 100); // 0.01 .. 1000 ms
  for (const v of values) h.record(v);
  expect(h.count).toBe(100_000);
  expect(h.meanMs).toBeCloseTo(500.005, 6);
  expect(h.maxMs).toBe(1000);
  for (const q of [0.5, 0.95, 0.99, 0.999]) {
    const exact = values[Math.ceil(q * values.length) - 1]!;
    expect(Math.abs(h.percentileMs(q) - exact) / exact).toBeLessThan(0.016);
  }
});

test("sub-128 µs values are exact; merging adds counts", () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  for (let us = 0; us < 100; us++) (us % 2 ? a : b).record(us / 1000);
  a.merge(b);
  expect(a.count).toBe(100);
  expect(a.percentileMs(0.5)).toBe(0.049);
  expect(a.percentileMs(1)).toBe(0.099);
  expect(new LatencyHistogram().percentileMs(0.99)).toBe(0);
});
