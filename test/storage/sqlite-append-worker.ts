// Child process of sqlite-multiprocess.test.ts: one "broker" appending to a shared SQLite
// file. Prints "ready" once the store is open, waits for stdin to close (the start signal,
// so that all workers append at once), then appends and prints one JSON line per
// acknowledged append.
//
// usage: bun sqlite-append-worker.ts FILE WORKER_NAME COUNT

import { SqliteStorage } from "../../src/storage/engines/sqlite/sqlite-storage.ts";
import { fakeBatch } from "./contract.ts";

const [file, name, count] = process.argv.slice(2);
const store = SqliteStorage.open(file);
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
