// Several broker processes appending to one partition through one bucket at the same time:
// only S3's conditional writes stand between them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ObjectStore } from "../../src/storage/engines/s3/object-store.ts";
import { s3Location } from "../../src/storage/engines/s3/s3-location.ts";
import { S3Storage } from "../../src/storage/engines/s3/s3-storage.ts";
import { startS3, type RunningS3 } from "../harness/s3.ts";
import { checkConcurrentAppends } from "./concurrent-appends.ts";
import { fetchAll, s3Env } from "./s3-fixtures.ts";

const URL = "s3://tansu-mp/shared/";

let s3: RunningS3;
let env: Record<string, string>;
beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket("tansu-mp");
  env = s3Env(s3);
}, 300_000);
afterAll(async () => {
  await s3?.stop();
});

test("concurrent appends from several processes get contiguous, unique offsets and all persist", async () => {
  const acknowledged = await checkConcurrentAppends({
    url: URL,
    env,
    workers: 3,
    appendsPerWorker: 60,
    open: () => S3Storage.open(URL, { env }),
    readAll: fetchAll,
  });
  // No batch object is left over from a lost race or a retry.
  const location = s3Location(URL, env);
  const objects = new ObjectStore(location.bucket, location.endpoint, location.client, location.headers);
  const stored = (await objects.list(`${location.prefix}logs/`)).filter((key) => key.includes("/batches/"));
  expect(stored.length).toBe(acknowledged);
  objects.close();
}, 300_000);
