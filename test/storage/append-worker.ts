// Child process of concurrent-appends.ts: one "broker" appending through a shared store
// (any storage URL: it opens it the way a broker does).
// Prints "ready" once the store is open, waits for stdin to close (the start signal, so
// that all workers append at once), then appends and prints one JSON line per
// acknowledged append. S3 settings come from the AWS_* environment, as for a broker.
//
// usage: bun append-worker.ts STORAGE_URL WORKER_NAME COUNT

import { openStorage } from "../../src/storage/open.ts";
import { fakeBatch } from "./contract.ts";

const [url, name, count] = process.argv.slice(2);
const store = await openStorage(url);
const producerId = await store.allocateProducerId();
console.log("ready");
await Bun.stdin.text();

const tp = { topic: "shared", partition: 0 };
let sequence = 0;
for (let i = 0; i < Number(count); i++) {
  const offsetCount = (i % 3) + 1;
  const batch = () => fakeBatch(`${name}-${i}`, { producerId, producerEpoch: 0, baseSequence: sequence, offsetCount });
  const result = await store.append(tp, batch());
  console.log(JSON.stringify({ payload: `${name}-${i}`, producerId: String(producerId), offsetCount, ...json(result) }));
  // A producer retrying its last batch must get the same offset back, however the others interleave.
  if (i % 10 === 9) {
    const retry = await store.append(tp, batch());
    console.log(JSON.stringify({ retryOf: `${name}-${i}`, ...json(retry) }));
  }
  sequence += offsetCount;
}
await store.close();

function json(result: { baseOffset: bigint; duplicate: boolean }) {
  return { baseOffset: String(result.baseOffset), duplicate: result.duplicate };
}
