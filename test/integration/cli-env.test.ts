// Broker options come from flags, the environment, or a .env file in the working directory.
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BROKER_BINARY, freePort, tempDir } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { spawnListening } from "../harness/listening-process.ts";

test("a .env file in the working directory configures the broker", async () => {
  const dir = tempDir("tansu-dotenv-");
  const port = freePort();
  writeFileSync(
    join(dir, ".env"),
    [`LISTENER_URL=tcp://127.0.0.1:${port}`, `ADVERTISED_LISTENER_URL=tcp://127.0.0.1:${port}`, "STORAGE_ENGINE=sqlite://from-dotenv.db", "DEFAULT_PARTITIONS=4"].join("\n"),
  );
  const broker = await spawnListening([BROKER_BINARY, "broker"], { cwd: dir });
  try {
    expect(broker.logs()).toContain(`listening on 127.0.0.1:${port}`);
    // DEFAULT_PARTITIONS from .env applies to auto-created topics.
    const metadata = await kcat(["-b", `127.0.0.1:${port}`, "-L", "-t", "dotenv-topic", "-J"]);
    expect(metadata.exitCode).toBe(0);
    const topic = JSON.parse(metadata.stdout).topics.find((t: { topic: string }) => t.topic === "dotenv-topic");
    expect(topic.partitions.length).toBe(4);
  } finally {
    expect(await broker.stop()).toBe(0);
  }
  // The relative sqlite path resolved against the working directory.
  expect(await Bun.file(join(dir, "from-dotenv.db")).exists()).toBe(true);
});

test("flags win over the environment", async () => {
  const dir = tempDir("tansu-flags-");
  const port = freePort();
  const broker = await spawnListening(
    [BROKER_BINARY, "broker", "--listener-url", `tcp://127.0.0.1:${port}`, "--storage-engine", "memory://"],
    { cwd: dir, env: { LISTENER_URL: "tcp://127.0.0.1:1", STORAGE_ENGINE: "sqlite://never.db" } },
  );
  try {
    expect(broker.logs()).toContain(`listening on 127.0.0.1:${port}`);
    expect(broker.logs()).toContain("storage memory");
  } finally {
    await broker.stop();
  }
  expect(await Bun.file(join(dir, "never.db")).exists()).toBe(false);
});

test("bad options are clear errors with a non-zero exit", async () => {
  for (const [args, message] of [
    [["--storage-engine", "mysql://x"], "unknown storage URL"],
    [["--listener-url", "http://0.0.0.0:1"], "tcp://"],
    [["--default-partitions", "0"], "--default-partitions"],
  ] as const) {
    const proc = Bun.spawn([BROKER_BINARY, "broker", ...args], { stdout: "pipe", stderr: "pipe", cwd: tempDir("tansu-bad-") });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(code).not.toBe(0);
    expect(out + err).toContain(message);
  }
});

test("a port in use is a clear error", async () => {
  const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const proc = Bun.spawn([BROKER_BINARY, "broker", "--listener-url", `tcp://127.0.0.1:${holder.port}`, "--storage-engine", "memory://"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(code).not.toBe(0);
    expect(out + err).toContain(`cannot listen on 127.0.0.1:${holder.port}`);
  } finally {
    holder.stop(true);
  }
});
