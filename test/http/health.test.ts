// The HTTP listener through the compiled broker: health answers, unknown paths are Confluent-style 404s.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { freePort, startBroker, type RunningBroker } from "../harness/broker.ts";

let broker: RunningBroker;
let base: string;

beforeAll(async () => {
  const httpPort = freePort();
  base = `http://127.0.0.1:${httpPort}`;
  broker = await startBroker({ storage: "memory://", args: ["--http-listener-url", base] });
});

afterAll(async () => {
  await broker?.stop();
});

test("GET /health answers 200 while the broker runs", async () => {
  const response = await fetch(`${base}/health`);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe("ok\n");
});

test("an unknown endpoint is a 404 with a Confluent error body", async () => {
  const response = await fetch(`${base}/no/such/endpoint`);
  expect(response.status).toBe(404);
  expect(await response.json()).toEqual({ error_code: 404, message: "HTTP 404 Not Found" });
});

test("a bad --http-listener-url is a clear start-up error", async () => {
  const proc = Bun.spawn([`${import.meta.dir}/../../dist/tansu`, "broker", "--storage-engine", "memory://", "--http-listener-url", "tcp://127.0.0.1:1"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(code).not.toBe(0);
  expect(out + err).toContain("--http-listener-url");
});
