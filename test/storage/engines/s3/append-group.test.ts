import { describe, expect, test } from "bun:test";
import { AppendGroup, type HeadAccess, type Upload } from "../../../../src/storage/engines/s3/append-group.ts";
import { emptyHead, type PartitionHead } from "../../../../src/storage/engines/s3/partition-head.ts";
import { OutOfOrderSequenceError } from "../../../../src/storage/errors.ts";
import { fakeBatch } from "../../contract.ts";

interface Location {
  logId: string;
}

/** A head in memory behind the same compare-and-set contract the engine gives the group. */
class HeadInMemory implements HeadAccess<Location> {
  head: PartitionHead = emptyHead();
  version = 0;
  writes = 0;
  /** Versions other writers slip in before the group's next write, one per write attempt. */
  interference: Array<(head: PartitionHead) => PartitionHead> = [];
  uploads: string[] = [];
  discarded: string[] = [];
  failUpload = new Set<string>();
  /** A version the group remembers from earlier, offered when it does not ask for a fresh read. */
  remembered: { value: PartitionHead; etag: string } | null = null;
  freshReads = 0;
  async writableHead(location: Location, fresh: boolean) {
    if (!fresh && this.remembered) return { location, head: this.remembered, fresh: false };
    this.freshReads++;
    return { location, head: { value: this.head, etag: String(this.version) }, fresh: true };
  }
  async writeHead(_location: Location, etag: string, head: PartitionHead) {
    const interfere = this.interference.shift();
    if (interfere) {
      this.head = interfere(this.head);
      this.version++;
    }
    // As the engine does: a lost race forgets the remembered version, a win remembers its own.
    if (etag !== String(this.version)) {
      this.remembered = null;
      return false;
    }
    this.head = head;
    this.version++;
    this.writes++;
    if (this.remembered) this.remembered = { value: head, etag: String(this.version) };
    return true;
  }
  upload(location: Location, object: string): Upload {
    this.uploads.push(object);
    const written = this.failUpload.has(object) ? Promise.reject(new Error(`upload of ${object} failed`)) : Promise.resolve("etag");
    written.catch(() => undefined);
    return { logId: location.logId, key: object, written };
  }
  async discard(upload: Upload) {
    this.discarded.push(upload.key);
  }
}

function groupOn(access: HeadInMemory) {
  let drained: (writes: number) => void;
  /** Head writes done when the group first went idle. */
  const idle = new Promise<number>((resolve) => (drained = resolve));
  const group = new AppendGroup(access, { logId: "log" }, "t-0", () => drained(access.writes));
  return { group, idle };
}

describe("append group", () => {
  test("appends arriving during a head write share the next one", async () => {
    const access = new HeadInMemory();
    const { group, idle } = groupOn(access);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => group.append(fakeBatch(`m${i}`, { offsetCount: 2 }), `o${i}`)));
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(2 * i)));
    // The first append goes alone; the nine queued behind it go in one write.
    expect(access.writes).toBe(2);
    expect(access.head.entries.map((e) => e.object)).toEqual(Array.from({ length: 10 }, (_, i) => `o${i}`));
    expect(await idle).toBe(2);
    expect(access.discarded).toEqual([]);
  });

  test("a lost race decides the whole group again on the winner's head", async () => {
    const access = new HeadInMemory();
    const { group } = groupOn(access);
    const producer = { producerId: 1n, producerEpoch: 0 };
    await group.append(fakeBatch("a", { ...producer, baseSequence: 0 }), "a");
    // Another broker appends the producer's next batch first.
    access.interference.push((head) => ({
      ...head,
      highWatermark: 2n,
      producers: new Map([
        [1n, { ...head.producers.get(1n)!, batches: [...head.producers.get(1n)!.batches, { baseSequence: 1, lastSequence: 1, baseOffset: 1n }] }],
      ]),
    }));
    const [retry, next] = await Promise.all([
      group.append(fakeBatch("b", { ...producer, baseSequence: 1 }), "b-here"),
      group.append(fakeBatch("c", { ...producer, baseSequence: 2 }), "c"),
    ]);
    expect(retry).toEqual({ baseOffset: 1n, logStartOffset: 0n, duplicate: true });
    expect(next).toEqual({ baseOffset: 2n, logStartOffset: 0n, duplicate: false });
    expect(access.discarded).toEqual(["b-here"]);
  });

  test("a refusal decided on a remembered head is decided again on the current one", async () => {
    const access = new HeadInMemory();
    const { group } = groupOn(access);
    const producer = { producerId: 2n, producerEpoch: 0 };
    await group.append(fakeBatch("a", { ...producer, baseSequence: 0 }), "a");
    access.remembered = { value: access.head, etag: String(access.version) };
    await group.append(fakeBatch("b", { ...producer, baseSequence: 1 }), "b");
    // The remembered head predates b: against it, sequence 2 is a gap and b's retry is new.
    expect((await group.append(fakeBatch("c", { ...producer, baseSequence: 2 }), "c")).baseOffset).toBe(2n);
    expect(await group.append(fakeBatch("b", { ...producer, baseSequence: 1 }), "b-again")).toEqual({
      baseOffset: 1n,
      logStartOffset: 0n,
      duplicate: true,
    });
    expect(access.head.entries.map((e) => e.object)).toEqual(["a", "b", "c"]);
  });

  test("a refused or failed append settles alone; the rest are written", async () => {
    const access = new HeadInMemory();
    const { group } = groupOn(access);
    access.failUpload.add("broken");
    const outcomes = await Promise.allSettled([
      group.append(fakeBatch("first"), "first"),
      group.append(fakeBatch("gap", { producerId: 3n, producerEpoch: 0, baseSequence: 4 }), "gap"),
      group.append(fakeBatch("broken"), "broken"),
      group.append(fakeBatch("last"), "last"),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(OutOfOrderSequenceError);
    expect(((outcomes[2] as PromiseRejectedResult).reason as Error).message).toContain("upload of broken failed");
    expect((outcomes[3] as PromiseFulfilledResult<{ baseOffset: bigint }>).value.baseOffset).toBe(1n);
    expect(access.head.entries.map((e) => e.object)).toEqual(["first", "last"]);
    expect(access.discarded.sort()).toEqual(["broken", "gap"]);
  });

  test("when the store fails every queued append gets the error and its bytes are removed", async () => {
    const access = new HeadInMemory();
    access.writableHead = async () => {
      throw new Error("store down");
    };
    const { group, idle } = groupOn(access);
    const outcomes = await Promise.allSettled([group.append(fakeBatch("a"), "a"), group.append(fakeBatch("b"), "b")]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(access.discarded.sort()).toEqual(["a", "b"]);
    expect(await idle).toBe(0);
  });
});
