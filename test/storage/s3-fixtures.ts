// What the s3:// tests share: the environment pointing a store at the test server, and
// reading a whole partition when fetch caps how many batches one call returns.

import { expect } from "bun:test";
import type { Storage, TopicPartition } from "../../src/storage/storage.ts";
import type { RunningS3 } from "../harness/s3.ts";
import { baseOffsetOf } from "./contract.ts";

/** The AWS_* settings a broker would be given for `s3`. */
export function s3Env(s3: RunningS3): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_S3_FORCE_PATH_STYLE: "true",
  };
}

/** Every batch from the log start to the high watermark, over as many fetches as that takes. */
export async function fetchAll(store: Storage, tp: TopicPartition): Promise<Uint8Array[]> {
  // Fake batches do not carry their record count: the index says where each ends.
  const lastOffsets = new Map((await store.batchSummaries(tp)).map((s) => [s.baseOffset, s.lastOffset]));
  const { logStartOffset, highWatermark } = await store.offsets(tp);
  const batches: Uint8Array[] = [];
  for (let offset = logStartOffset; offset < highWatermark; ) {
    const fetched = (await store.fetch(tp, { fetchOffset: offset, maxBytes: 1 << 30, isolation: "read_uncommitted" })).batches;
    expect(fetched.length).toBeGreaterThan(0);
    batches.push(...fetched);
    offset = lastOffsets.get(baseOffsetOf(fetched.at(-1)!))! + 1n;
  }
  return batches;
}
