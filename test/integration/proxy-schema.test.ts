// Schema validation at the proxy (--schema-registry): records that do not match a topic's schema file are
// refused by the proxy with INVALID_RECORD and never reach the upstream, which validates nothing itself.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { LIBRDKAFKAS, type Librdkafka } from "../harness/librdkafka.ts";
import { startProxy, type RunningProxy } from "../harness/proxy.ts";

// Tansu's schema file convention: properties.key and properties.value are the key's and the value's schemas.
const ORDER = {
  type: "object",
  properties: {
    value: { type: "object", properties: { id: { type: "integer" }, amount: { type: "number", minimum: 0 } }, required: ["id"] },
  },
};

/** One topic per library build, each with the same schema file. */
const topicFor = (lib: Librdkafka) => `orders-${lib.version.replaceAll(".", "-")}`;

let upstream: RunningBroker;
let proxy: RunningProxy;

beforeAll(async () => {
  const schemas = join(tempDir("tansu-proxy-schemas-"), "schemas");
  mkdirSync(schemas);
  for (const lib of LIBRDKAFKAS) writeFileSync(join(schemas, `${topicFor(lib)}.json`), JSON.stringify(ORDER));
  // The upstream has no schemas: whatever reaches it is written.
  upstream = await startBroker({ storage: "memory://" });
  proxy = await startProxy([upstream.url], { args: ["--schema-registry", `file://${schemas}`] });
});

afterAll(async () => {
  await proxy?.stop();
  await upstream?.stop();
});

/** Every value the upstream holds for `topic`, read from the upstream directly. */
async function upstreamValues(topic: string): Promise<string[]> {
  const consumed = await kcat(["-b", upstream.url, "-t", topic, "-C", "-e", "-o", "beginning", "-f", "%s\n"]);
  expect(consumed.exitCode).toBe(0);
  return consumed.stdout.trim().split("\n").filter((l) => l !== "");
}

for (const lib of LIBRDKAFKAS) describe(`kcat through the proxy (${lib.name})`, () => {
  test("valid records reach the upstream; an invalid one is refused by the proxy and never does", async () => {
    const topic = topicFor(lib);
    const before: string[] = [];
    const good = ['{"id":1,"amount":9.5}', '{"id":2}'];
    const ok = await kcat(["-b", proxy.url, "-t", topic, "-P", "-z", "gzip"], { input: `${good.join("\n")}\n`, env: lib.env });
    expect(ok.stderr).not.toContain("ERROR");
    expect(ok.exitCode).toBe(0);
    expect(await upstreamValues(topic)).toEqual([...before, ...good]);

    const bad = await kcat(["-b", proxy.url, "-t", topic, "-P"], { input: '{"id":3,"amount":-1}\n', env: lib.env });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain("Broker failed to validate record");
    expect(await upstreamValues(topic)).toEqual([...before, ...good]);
    // The proxy itself logs nothing alarming and keeps serving: a topic without a schema passes untouched.
    const free = await kcat(["-b", proxy.url, "-t", "free-form", "-P"], { input: "not json at all\n", env: lib.env });
    expect(free.exitCode).toBe(0);
  });
});

test("a bad --schema-registry URL is a one-line start-up error", async () => {
  await expect(startProxy([upstream.url], { args: ["--schema-registry", "ftp://nowhere/"] })).rejects.toThrow(/schema-registry|file:\/\/|s3:\/\//);
});
