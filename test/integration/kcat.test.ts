// librdkafka (kcat) against the compiled broker on each engine: keys, headers, every codec,
// and the `tansu topic` CLI.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BROKER_BINARY, startBroker, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { runCommand } from "../harness/run.ts";
import { describeStores } from "../harness/stores.ts";

describeStores((fresh) => {
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await startBroker(await fresh());
  });
  afterAll(() => broker.stop());

  const tansu = (...args: string[]) => runCommand([BROKER_BINARY, ...args, "--broker", broker.url]);

  describe("kcat", () => {
    for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
      test(`produce and consume with keys, headers and ${codec} compression`, async () => {
        const topic = `kcat-${codec}`;
        const lines = Array.from({ length: 50 }, (_, i) => `key-${i}:value-${i}-${"x".repeat(i * 10)}`);
        const produced = await kcat(["-b", broker.url, "-t", topic, "-P", "-K:", "-z", codec, "-H", "source=kcat", "-H", `codec=${codec}`], {
          input: `${lines.join("\n")}\n`,
        });
        expect(produced.stderr).not.toContain("ERROR");
        expect(produced.exitCode).toBe(0);
        const consumed = await kcat(["-b", broker.url, "-t", topic, "-C", "-e", "-o", "beginning", "-f", "%k|%s|%h|%o\n"]);
        expect(consumed.exitCode).toBe(0);
        const expected = lines.map((line, i) => {
          const [k, v] = line.split(":");
          return `${k}|${v}|source=kcat,codec=${codec}|${i}`;
        });
        expect(consumed.stdout.trim().split("\n")).toEqual(expected);
      });
    }
  });

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

    test("--version and --help", async () => {
      const version = await runCommand([BROKER_BINARY, "--version"]);
      expect(version.exitCode).toBe(0);
      expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
      for (const args of [["--help"], ["broker", "--help"], ["topic", "--help"], ["topic", "create", "--help"]]) {
        const help = await runCommand([BROKER_BINARY, ...args]);
        expect(help.exitCode).toBe(0);
        expect(help.stdout).toContain("USAGE");
      }
    });
  });
});
