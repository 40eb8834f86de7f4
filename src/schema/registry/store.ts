// The Schema Registry's state in the broker's store, as compare-and-set records, so that every broker sharing
// the store serves and enforces the same subjects:
//   schema-subjects/{subject}   the subject's versions: {version, id, deleted}
//   schema-ids/{id}             the schema text, type and references under a global id (never changes)
//   schema-fingerprints/{hash}  the id of each distinct schema, so registering it again finds the same id
//   schema-config/{subject}     a subject's compatibility level; schema-meta/config the global one
//   schema-meta/next-id         the next global id, advanced by compare-and-set
import { createHash } from "node:crypto";
import type { Storage, Versioned } from "../../storage/storage.ts";
import type { SchemaType } from "../types.ts";

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

export interface StoredSchema {
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

export interface SubjectVersion {
  version: number;
  id: number;
  deleted: boolean;
}

export interface SubjectRecord {
  versions: SubjectVersion[];
}

const SUBJECTS = "schema-subjects";
const SCHEMAS = "schema-ids";
const FINGERPRINTS = "schema-fingerprints";
const CONFIGS = "schema-config";
const META = "schema-meta";
const NEXT_ID = "next-id";
const GLOBAL_CONFIG = "config";

/** Compare-and-set loops give up after this many lost races (another broker keeps winning). */
const MAX_ATTEMPTS = 100;

export class ConcurrentUpdateError extends Error {
  constructor(what: string) {
    super(`${what}: lost ${MAX_ATTEMPTS} compare-and-set races in a row`);
    this.name = "ConcurrentUpdateError";
  }
}

/** Runs `attempt` until it returns a value (not undefined); undefined means another writer won, so re-read. */
export async function retryCas<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const result = await attempt();
    if (result !== undefined) return result;
  }
  throw new ConcurrentUpdateError(what);
}

/** Identifies a schema by type, canonical text and references: the same schema always hashes the same. */
export function fingerprint(schemaType: SchemaType, canonical: string, references: SchemaReference[]): string {
  return createHash("sha256").update(JSON.stringify([schemaType, canonical, references.map((r) => [r.name, r.subject, r.version])])).digest("hex");
}

export class RegistryStore {
  /** Schemas by id never change once written, so they are kept. */
  readonly #schemas = new Map<number, StoredSchema>();

  constructor(private readonly storage: Storage) {}

  subject(name: string): Promise<Versioned<SubjectRecord> | null> {
    return this.storage.getRecord<SubjectRecord>(SUBJECTS, name);
  }

  putSubject(name: string, value: SubjectRecord, expected: string | null): Promise<string | null> {
    return this.storage.putRecord(SUBJECTS, name, value, expected);
  }

  deleteSubject(name: string, expected: string): Promise<boolean> {
    return this.storage.deleteRecord(SUBJECTS, name, expected);
  }

  async subjects(): Promise<Array<{ name: string; record: SubjectRecord }>> {
    return (await this.storage.listRecords<SubjectRecord>(SUBJECTS)).map((r) => ({ name: r.key, record: r.value }));
  }

  async schema(id: number): Promise<StoredSchema | null> {
    const cached = this.#schemas.get(id);
    if (cached) return cached;
    const stored = await this.storage.getRecord<StoredSchema>(SCHEMAS, String(id));
    if (stored) this.#schemas.set(id, stored.value);
    return stored?.value ?? null;
  }

  /** The id of the schema with this fingerprint, allocating a new one (atomically across brokers) the first time. */
  async idFor(hash: string, schema: StoredSchema): Promise<number> {
    return retryCas(`register schema ${hash.slice(0, 12)}`, async () => {
      const existing = await this.storage.getRecord<{ id: number }>(FINGERPRINTS, hash);
      if (existing) return existing.value.id;
      const id = await this.#allocateId();
      // The schema goes in first: once the fingerprint names the id, readers of the id must find it.
      await this.storage.putRecord(SCHEMAS, String(id), schema, null);
      if ((await this.storage.putRecord(FINGERPRINTS, hash, { id }, null)) !== null) {
        this.#schemas.set(id, schema);
        return id;
      }
      // Someone registered the same schema first: theirs is the id; ours was never handed out.
      const orphan = await this.storage.getRecord(SCHEMAS, String(id));
      if (orphan) await this.storage.deleteRecord(SCHEMAS, String(id), orphan.version);
      return undefined;
    });
  }

  /** Every id of a schema with this fingerprint, or null. */
  async idOf(hash: string): Promise<number | null> {
    return (await this.storage.getRecord<{ id: number }>(FINGERPRINTS, hash))?.value.id ?? null;
  }

  #allocateId(): Promise<number> {
    return retryCas("allocate a schema id", async () => {
      const current = await this.storage.getRecord<{ next: number }>(META, NEXT_ID);
      const id = current?.value.next ?? 1;
      const written = await this.storage.putRecord(META, NEXT_ID, { next: id + 1 }, current?.version ?? null);
      return written === null ? undefined : id;
    });
  }

  /** The compatibility level set for `subject` (null: the global one), or null when none is set. */
  async config(subject: string | null): Promise<string | null> {
    const record = subject === null ? await this.storage.getRecord<{ compatibility: string }>(META, GLOBAL_CONFIG) : await this.storage.getRecord<{ compatibility: string }>(CONFIGS, subject);
    return record?.value.compatibility ?? null;
  }

  async setConfig(subject: string | null, compatibility: string): Promise<void> {
    const [namespace, key] = subject === null ? [META, GLOBAL_CONFIG] : [CONFIGS, subject];
    await retryCas(`set compatibility of ${subject ?? "the registry"}`, async () => {
      const current = await this.storage.getRecord(namespace, key);
      return (await this.storage.putRecord(namespace, key, { compatibility }, current?.version ?? null)) ?? undefined;
    });
  }

  /** Removes a subject's level; returns what it was, or null when none was set. */
  async deleteConfig(subject: string): Promise<string | null> {
    return retryCas(`delete compatibility of ${subject}`, async () => {
      const current = await this.storage.getRecord<{ compatibility: string }>(CONFIGS, subject);
      if (!current) return null;
      return (await this.storage.deleteRecord(CONFIGS, subject, current.version)) ? current.value.compatibility : undefined;
    });
  }
}
