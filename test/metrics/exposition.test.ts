// Our exposition read back by the Prometheus Python client's parsers, in both formats.
import { expect, test } from "bun:test";
import { expose, negotiateFormat } from "../../src/metrics/exposition.ts";
import { Registry } from "../../src/metrics/registry.ts";
import { parseExposition, sampleValue } from "../harness/prometheus.ts";

function sampleRegistry(): Registry {
  const r = new Registry();
  const requests = r.counter("demo_requests", "Requests by API.", ["api"]);
  requests.inc(["Produce"], 3);
  requests.inc(["Fetch"]);
  r.gauge("demo_open", "Open things.", ["listener"]).set(['tricky "quoted" \\ value\nnewline'], 2);
  const latency = r.histogram("demo_duration_seconds", "Latency.", ["api"], [0.01, 0.1, 1]);
  for (const v of [0.005, 0.05, 0.5, 5]) latency.observe(["Produce"], v);
  r.counter("demo_unlabelled", "No labels.").inc([], 1.5);
  return r;
}

for (const format of ["prometheus", "openmetrics"] as const) {
  test(`the ${format} exposition parses with prometheus_client and keeps every value`, async () => {
    const families = await parseExposition(expose(await sampleRegistry().collect(), format), format);
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get("demo_requests")?.type).toBe("counter");
    expect(sampleValue(families, "demo_requests_total", { api: "Produce" })).toBe(3);
    expect(sampleValue(families, "demo_requests_total", { api: "Fetch" })).toBe(1);
    expect(sampleValue(families, "demo_unlabelled_total")).toBe(1.5);
    expect(sampleValue(families, "demo_open", { listener: 'tricky "quoted" \\ value\nnewline' })).toBe(2);
    expect(byName.get("demo_duration_seconds")?.type).toBe("histogram");
    expect(sampleValue(families, "demo_duration_seconds_bucket", { api: "Produce", le: "0.01" })).toBe(1);
    expect(sampleValue(families, "demo_duration_seconds_bucket", { api: "Produce", le: "1" })).toBe(3);
    expect(sampleValue(families, "demo_duration_seconds_bucket", { api: "Produce", le: "+Inf" })).toBe(4);
    expect(sampleValue(families, "demo_duration_seconds_count", { api: "Produce" })).toBe(4);
    expect(sampleValue(families, "demo_duration_seconds_sum", { api: "Produce" })).toBeCloseTo(5.555, 9);
  });
}

test("the Accept header chooses the format as Prometheus negotiates it", () => {
  expect(negotiateFormat(null)).toBe("prometheus");
  expect(negotiateFormat("*/*")).toBe("prometheus");
  expect(negotiateFormat("text/plain;version=0.0.4")).toBe("prometheus");
  // What Prometheus 2.x sends.
  expect(negotiateFormat("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")).toBe("openmetrics");
  expect(negotiateFormat("text/plain;q=0.9, application/openmetrics-text;q=0.5")).toBe("prometheus");
  expect(negotiateFormat("application/openmetrics-text;q=0")).toBe("prometheus");
});

test("a counter refuses to go down and labels must match the declared names", () => {
  const r = new Registry();
  const c = r.counter("x", "x", ["a"]);
  expect(() => c.inc(["1"], -1)).toThrow();
  expect(() => c.inc(["1", "2"])).toThrow();
  expect(() => r.counter("x", "again")).toThrow();
  expect(() => r.counter("y_total", "suffix")).toThrow();
});
