// GET /ready follows the store: a broker on s3:// answers 503 with the reason while its S3
// server (a real Ceph RGW) is down, and 200 again once it is back. GET /health stays 200 throughout.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { freePort, startBroker, type RunningBroker } from "../harness/broker.ts";
import { startS3, type RunningS3 } from "../harness/s3.ts";
import { s3Env } from "../storage/s3-fixtures.ts";

let s3: RunningS3;
let broker: RunningBroker;
let http: string;

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket("ready");
  http = `http://127.0.0.1:${freePort()}`;
  broker = await startBroker({ storage: "s3://ready/", env: s3Env(s3), args: ["--http-listener-url", http] });
}, 120_000);

afterAll(async () => {
  await broker?.stop();
  await s3?.stop();
});

test("/ready is 503 with a reason while the store is away and 200 when it is back", async () => {
  const ready = async () => {
    const response = await fetch(`${http}/ready`);
    return { status: response.status, body: await response.text() };
  };
  expect(await ready()).toEqual({ status: 200, body: "ready: s3 store answers\n" });

  await s3.stopGateway();
  const away = await ready();
  expect(away.status).toBe(503);
  expect(away.body).toStartWith("not ready: the store");
  // Liveness is not readiness: the process is still up.
  expect((await fetch(`${http}/health`)).status).toBe(200);

  await s3.startGateway();
  expect(await ready()).toEqual({ status: 200, body: "ready: s3 store answers\n" });
}, 120_000);
