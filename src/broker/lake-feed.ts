// A broker's lake writer (--lake-location): the records of every topic with a schema go to the table
// <namespace>.<topic>. The log is the source of truth and tables follow it, exactly once:
//
// - Live: each batch this broker appends is handed to the lake, which commits rows by the topic's
//   commit policy (tansu.lake.commit.records / .interval.ms). Transactional batches are left to
//   catch-up, since they may still abort.
// - Catch-up: on start and every catch-up interval, each broker reads from the log what the table
//   lacks (the offset runs its commits record, less what this broker is writing) and writes it: the
//   rows of a broker killed before its commit, of a commit that failed, of committed transactions.
//   It only reads below the last stable offset it saw two commit intervals ago, so it does not race
//   live writers about to commit the same rows; if it does (a slow broker), Iceberg and Delta commits
//   drop the rows the table holds by then, so no row is in it twice.
// - Sink topics (tansu.lake.sink=true): a batch is appended to the log first (offsets unique and
//   increasing per partition, idempotent-producer checks, a copy that outlives a crash), the produce
//   is answered once its rows are committed, and then the batch is removed from the log. A broker
//   that dies in between leaves the batch in the log: catch-up commits and removes it, and the
//   producer's retry (a duplicate to the log) waits for the rows to be in the table.

import { consola } from "../log.ts";
import { coveringRun, mergeRuns, type Runs } from "../lake/offsets.ts";
import { LakeSchemaError, LakeValueError, type Lake } from "../lake/lake.ts";
import type { TopicLakeSettings } from "../lake/topic-settings.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { isTransactional, readBatchHeader, type RecordBatchHeader } from "../protocol/record-batch.ts";
import type { SchemaValidator } from "../schema/schema-validation.ts";
import type { ValidatedBatch } from "../schema/types.ts";
import { OffsetOutOfRangeError } from "../storage/errors.ts";
import type { Storage, Topic, TopicPartition } from "../storage/storage.ts";
import { committedBatches, type StoredBatch } from "./committed-log.ts";
import type { AppendedToLog, BrokerLake } from "./context.ts";
import { LakeRecords } from "./lake-records.ts";
import { PeriodicTask } from "./periodic-task.ts";

/** Rows being written by this broker: offsets first..last of one partition, settled once committed. */
interface Writing {
  first: bigint;
  last: bigint;
  done: Promise<unknown>;
}

interface PartitionFeed {
  writing: Set<Writing>;
  /** Below this offset every record is in the table, being written, or never will be (aborted, refused). */
  checked: bigint;
  /** Failed commits so far: a pass that saw writes in flight moves `checked` only if none of them failed. */
  failures: number;
  /** The last stable offset each catch-up pass saw, oldest first. */
  seen: Array<{ at: number; end: bigint }>;
}

/** Catch-up reads only what was appended this many commit intervals ago. */
const GRACE_INTERVALS = 2;
/** Catch-up waits for its rows to commit once it has this many commits' worth outstanding. */
const OUTSTANDING_COMMITS = 2;

export interface LakeFeedOptions {
  storage: Storage;
  schemas: SchemaValidator;
  lake: Lake;
  catchUpIntervalMs: number;
}

export class LakeFeed implements BrokerLake {
  readonly #storage: Storage;
  readonly #schemas: SchemaValidator;
  readonly #lake: Lake;
  readonly #records = new LakeRecords();
  readonly #partitions = new Map<string, PartitionFeed>();
  readonly #task: PeriodicTask;

  constructor(options: LakeFeedOptions) {
    this.#storage = options.storage;
    this.#schemas = options.schemas;
    this.#lake = options.lake;
    this.#task = new PeriodicTask("lake catch-up pass", options.catchUpIntervalMs, () => this.catchUp());
  }

  /** Starts catch-up: a first pass now (it notes where each log ends), then one per interval. */
  start(): void {
    this.#task.start(0);
  }

  async appended(appended: AppendedToLog): Promise<{ errorCode: number; message: string } | null> {
    const { topic, partition } = appended;
    const settings = this.#lake.settings(topic.configs);
    if (!settings.enabled) return null;
    const tp = { topic: topic.name, partition };
    const header = readBatchHeader(appended.bytes);
    const last = appended.baseOffset + BigInt(header.lastOffsetDelta);
    try {
      if (appended.duplicate) {
        if (settings.sink) await this.#ensure(topic, partition, appended.baseOffset, last);
        return null;
      }
      if (isTransactional(header.attributes)) return null;
      const { done } = this.#write(topic, partition, appended.batch, header, appended.baseOffset, () => true);
      if (!settings.sink) {
        done.catch(() => undefined);
        return null;
      }
      await done;
      await this.#dropFromLog(tp, appended.baseOffset);
      return null;
    } catch (error) {
      const message = `${topic.name}-${partition} offsets ${appended.baseOffset}-${last} not committed to the table: ${(error as Error).message}`;
      if (!settings.sink) {
        // No rows for this batch (its schema has no columns); commit failures are logged where they happen.
        consola.error(`lake: ${message}`);
        return null;
      }
      if (error instanceof LakeValueError || error instanceof LakeSchemaError) {
        // These records can never be rows: a sink keeps nothing of them.
        await this.#dropFromLog(tp, appended.baseOffset);
        return { errorCode: ErrorCode.INVALID_RECORD, message };
      }
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, message };
    }
  }

  /** Commits what is buffered now (a stopping broker's in-flight sink produces are waiting for it). */
  flush(): Promise<void> {
    return this.#lake.flush();
  }

  /** Stops catch-up and commits everything buffered. */
  async close(): Promise<void> {
    this.#task.stop();
    await this.#task.idle();
    await this.#lake.close();
  }

  /** One catch-up pass over every topic with a table. */
  async catchUp(): Promise<void> {
    const live = new Set<string>();
    for (const topic of await this.#storage.listTopics()) {
      const settings = this.#lake.settings(topic.configs);
      for (let partition = 0; partition < topic.partitions; partition++) live.add(this.#key(topic, partition));
      try {
        if (!settings.enabled || !(await this.#schemas.schemaFor(topic.name))) continue;
        let written: Promise<Runs> | null = null;
        const tableRuns = () => (written ??= this.#lake.written(topic.name, topic.configs));
        for (let partition = 0; partition < topic.partitions; partition++) {
          if (this.#task.stopped) return;
          await this.#catchUpPartition(topic, partition, settings, tableRuns);
        }
      } catch (error) {
        consola.warn(`lake: catching up ${topic.name} failed; retrying next pass:`, error);
      }
    }
    for (const key of this.#partitions.keys()) if (!live.has(key)) this.#partitions.delete(key);
  }

  async #catchUpPartition(topic: Topic, partition: number, settings: TopicLakeSettings, tableRuns: () => Promise<Runs>): Promise<void> {
    const state = this.#state(topic, partition);
    const offsets = await this.#storage.offsets({ topic: topic.name, partition });
    const now = Date.now();
    state.seen.push({ at: now, end: offsets.lastStableOffset });
    let until: bigint | null = null;
    while (state.seen.length > 0 && state.seen[0]!.at <= now - GRACE_INTERVALS * settings.commitIntervalMs) until = state.seen.shift()!.end;
    if (until === null) return;
    const from = state.checked > offsets.logStartOffset ? state.checked : offsets.logStartOffset;
    if (from >= until) return;
    const failures = state.failures;
    const { writes, rows } = await this.#fill(topic, partition, settings, from, until, await tableRuns());
    const end = until;
    void Promise.all(writes).then(
      () => {
        if (rows > 0) consola.info(`lake: catch-up wrote ${rows} records of ${topic.name}-${partition} from the log (offsets ${from} to ${end - 1n})`);
        if (state.failures === failures && state.checked < end) state.checked = end;
      },
      () => undefined,
    );
  }

  /** An idempotent producer's retry of a sink batch: resolves once its rows are in the table and the batch is out of the log. */
  async #ensure(topic: Topic, partition: number, first: bigint, last: bigint): Promise<void> {
    const state = this.#state(topic, partition);
    await Promise.all([...state.writing].filter((w) => w.first <= last && w.last >= first).map((w) => w.done.catch(() => undefined)));
    const settings = this.#lake.settings(topic.configs);
    await Promise.all((await this.#fill(topic, partition, settings, first, last + 1n, await this.#lake.written(topic.name, topic.configs))).writes);
  }

  /**
   * Writes the records of [from, until) that neither the table (`written`) holds nor this broker is writing,
   * read from the log; resolves once they are handed to the lake, with their commits. Batches of a sink topic
   * are removed from the log once the table has all their rows.
   */
  async #fill(
    topic: Topic,
    partition: number,
    settings: TopicLakeSettings,
    from: bigint,
    until: bigint,
    written: Runs,
  ): Promise<{ writes: Promise<unknown>[]; rows: number }> {
    const state = this.#state(topic, partition);
    const tp = { topic: topic.name, partition };
    const held = mergeRuns(written, new Map([[partition, [...state.writing].map((w): [bigint, bigint] => [w.first, w.last])]]));
    const skip = (offset: bigint) => {
      const run = coveringRun(held, partition, offset);
      return run ? run[1] + 1n : offset;
    };
    const writes: Promise<unknown>[] = [];
    let total = 0;
    let outstanding: Array<{ rows: number; done: Promise<unknown> }> = [];
    for await (const stored of committedBatches(this.#storage, tp, from, until, skip)) {
      const keep = (offset: bigint) => offset >= from && offset < until && skip(offset) === offset;
      const wholeBatchWritten = () => {
        const run = coveringRun(written, partition, stored.header.baseOffset);
        return run !== null && run[1] >= stored.lastOffset;
      };
      if (settings.sink && wholeBatchWritten()) {
        writes.push(this.#dropFromLog(tp, stored.header.baseOffset));
        continue;
      }
      const batch = await this.#decode(topic, stored);
      if (!batch) continue;
      const { done, rows } = this.#write(topic, partition, batch, stored.header, stored.header.baseOffset, keep);
      total += rows;
      const settled = settings.sink ? done.then(() => this.#dropFromLog(tp, stored.header.baseOffset)) : done;
      writes.push(settled);
      outstanding.push({ rows, done: settled });
      // Backpressure: a long backlog is read no faster than it is committed.
      if (outstanding.reduce((n, o) => n + o.rows, 0) > OUTSTANDING_COMMITS * settings.commitRecords) {
        await outstanding[0]!.done.catch(() => undefined);
        outstanding = outstanding.slice(1);
      }
    }
    return { writes, rows: total };
  }

  /** A stored batch checked and decoded with the topic's schema; null (and logged) when it no longer matches. */
  async #decode(topic: Topic, stored: StoredBatch): Promise<ValidatedBatch | null> {
    const validation = await this.#schemas.validate(topic, stored.bytes);
    if (validation?.accepted) return validation.accepted;
    consola.warn(
      `lake: ${topic.name} batch at offset ${stored.header.baseOffset} is not written to its table: ` +
        (validation?.rejected ? validation.rejected.message : "the topic no longer has a schema"),
    );
    return null;
  }

  /** Hands the records `keep` accepts to the lake: how many, and a promise that settles once they are committed. */
  #write(
    topic: Topic,
    partition: number,
    batch: ValidatedBatch,
    header: RecordBatchHeader,
    baseOffset: bigint,
    keep: (offset: bigint) => boolean,
  ): { rows: number; done: Promise<unknown> } {
    const groups = this.#records.groups(batch, header, partition, baseOffset, keep);
    const offsets = groups.flatMap((group) => group.records.map((record) => record.offset));
    if (offsets.length === 0) return { rows: 0, done: Promise.resolve() };
    const first = offsets.reduce((a, b) => (b < a ? b : a));
    const last = offsets.reduce((a, b) => (b > a ? b : a));
    const state = this.#state(topic, partition);
    const done = Promise.all(groups.map((group) => this.#lake.write(topic.name, group.schema, group.records, topic.configs)));
    const writing: Writing = { first, last, done };
    state.writing.add(writing);
    done.then(
      () => state.writing.delete(writing),
      (error: unknown) => {
        state.writing.delete(writing);
        if (error instanceof LakeValueError) {
          consola.error(`lake: ${topic.name}-${partition} offsets ${first}-${last} cannot be rows of its table:`, error.message);
          return;
        }
        // Catch-up reads them from the log again.
        state.failures++;
        if (state.checked > first) state.checked = first;
        consola.error(`lake: ${topic.name}-${partition} offsets ${first}-${last} not committed to its table (catch-up retries from the log):`, error);
      },
    );
    return { rows: offsets.length, done };
  }

  /**
   * Removes a sink topic's batch from the log once its rows are in the table (gone already is fine), and moves
   * the log start up to the oldest batch still waiting for its commit, so that consumers see an empty log.
   */
  async #dropFromLog(tp: TopicPartition, baseOffset: bigint): Promise<void> {
    try {
      await this.#storage.replaceBatch(tp, baseOffset, null).catch((error: unknown) => {
        if (!(error instanceof OffsetOutOfRangeError)) throw error;
      });
      // The high watermark first: a batch appended after it is read starts at or above it and stays.
      const { highWatermark } = await this.#storage.offsets(tp);
      const [waiting] = await this.#storage.batchSummaries(tp);
      await this.#storage.deleteRecords(tp, waiting && waiting.baseOffset < highWatermark ? waiting.baseOffset : highWatermark);
    } catch (error) {
      // Catch-up removes it on a later pass: its rows are in the table.
      consola.warn(`lake: ${tp.topic}-${tp.partition} batch at ${baseOffset} is in its table but could not be removed from the log:`, error);
    }
  }

  /** Per table: a topic whose tansu.lake.format changes starts a new table, filled from the log. */
  #key(topic: Topic, partition: number): string {
    return `${topic.id}/${this.#lake.settings(topic.configs).format}/${partition}`;
  }

  #state(topic: Topic, partition: number): PartitionFeed {
    const key = this.#key(topic, partition);
    let state = this.#partitions.get(key);
    if (!state) this.#partitions.set(key, (state = { writing: new Set(), checked: 0n, failures: 0, seen: [] }));
    return state;
  }
}
