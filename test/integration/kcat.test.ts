// librdkafka (kcat) against the compiled broker on each store, with Debian's librdkafka and the current build
// (test/harness/librdkafka.ts: librdkafkasFor): keys, headers, every codec each build has (every codec on
// each store); and the `tansu topic` CLI.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BROKER_BINARY, startBroker, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { LIBRDKAFKAS, librdkafkasFor, type Librdkafka } from "../harness/librdkafka.ts";
import { runCommand } from "../harness/run.ts";
import { describeStores } from "../harness/stores.ts";

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"];
const hasCodec = (lib: Librdkafka, codec: string) => codec === "none" || lib.features.includes(codec);

describeStores((fresh, engine) => {
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await startBroker(await fresh());
  });
  afterAll(() => broker.stop());

  const tansu = (...args: string[]) => runCommand([BROKER_BINARY, ...args, "--broker", broker.url]);

  const builds = librdkafkasFor(engine);
  for (const lib of LIBRDKAFKAS) {
    // A codec the builds run on this store lack (a current build configured without it) is covered by
    // the other build.
    const codecs = CODECS.filter((c) => hasCodec(lib, c) && (builds.includes(lib) || !builds.some((b) => hasCodec(b, c))));
    if (codecs.length === 0) continue;
    describe(`kcat with ${lib.name}`, () => {
      for (const codec of codecs) {
        test(`produce and consume with keys, headers and ${codec} compression`, async () => {
          const topic = `kcat-${codec}-${lib.version}`;
          const lines = Array.from({ length: 50 }, (_, i) => `key-${i}:value-${i}-${"x".repeat(i * 10)}`);
          const produced = await kcat(["-b", broker.url, "-t", topic, "-P", "-K:", "-z", codec, "-H", "source=kcat", "-H", `codec=${codec}`], {
            input: `${lines.join("\n")}\n`,
            env: lib.env,
          });
          expect(produced.stderr).not.toContain("ERROR");
          expect(produced.exitCode).toBe(0);
          const consumed = await kcat(["-b", broker.url, "-t", topic, "-C", "-e", "-o", "beginning", "-f", "%k|%s|%h|%o\n"], { env: lib.env });
          expect(consumed.exitCode).toBe(0);
          const expected = lines.map((line, i) => {
            const [k, v] = line.split(":");
            return `${k}|${v}|source=kcat,codec=${codec}|${i}`;
          });
          expect(consumed.stdout.trim().split("\n")).toEqual(expected);
        });
      }

      if (builds.includes(lib)) {
        test("metadata of every topic (-L), which the current build asks for with bytes past the request's fields", async () => {
          const listed = await kcat(["-b", broker.url, "-L", "-J"], { env: lib.env });
          expect(listed.exitCode, listed.stderr).toBe(0);
          expect(JSON.parse(listed.stdout).topics.map((t: { topic: string }) => t.topic)).toContain(`kcat-none-${lib.version}`);
        });
      }
    });
  }

  describe("tansu topic", () => {
    test("create, describe, list, delete, with clear errors and exit codes", async () => {
      const created = await tansu("topic", "create", "cli-topic", "--partitions", "3", "--config", "retention.ms=60000");
      expect(created.exitCode).toBe(0);
      const again = await tansu("topic", "create", "cli-topic");
      expect(again.exitCode).toBe(1);
      expect(again.stdout + again.stderr).toContain("TOPIC_ALREADY_EXISTS");

      const described = await tansu("topic", "describe", "cli-topic");
      expect(described.exitCode).toBe(0);
      expect(described.stdout).toContain("PartitionCount: 3");
      expect(described.stdout).toContain("retention.ms=60000");
      expect(described.stdout).toContain("cleanup.policy=delete (default)");

      expect((await tansu("topic", "list")).stdout.split("\n")).toContain("cli-topic");
      expect((await tansu("topic", "delete", "cli-topic")).exitCode).toBe(0);
      expect((await tansu("topic", "list")).stdout.split("\n")).not.toContain("cli-topic");
      const missing = await tansu("topic", "delete", "cli-topic");
      expect(missing.exitCode).toBe(1);
      expect(missing.stdout + missing.stderr).toContain("UNKNOWN_TOPIC_OR_PARTITION");
    });
  });
});

test("tansu --version and --help", async () => {
  const version = await runCommand([BROKER_BINARY, "--version"]);
  expect(version.exitCode).toBe(0);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  for (const args of [["--help"], ["broker", "--help"], ["topic", "--help"], ["topic", "create", "--help"]]) {
    const help = await runCommand([BROKER_BINARY, ...args]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("USAGE");
  }
});
