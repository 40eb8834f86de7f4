// Confluent Schema Registry semantics over the store: subjects with numbered versions, global ids shared by
// every subject that registers the same schema, soft and permanent deletes, compatibility levels. Errors are
// RegistryError with Confluent's HTTP status and error code; src/http turns them into response bodies.
import { InvalidSchemaError, type CompiledSchema, type SchemaType } from "../types.ts";
import { checkCompatibility, COMPATIBILITY_LEVELS, DEFAULT_COMPATIBILITY, type CompatibilityLevel } from "./compatibility.ts";
import { SchemaCompiler } from "./compiler.ts";
import { fingerprint, retryCas, RegistryStore, type SchemaReference, type StoredSchema, type SubjectRecord, type SubjectVersion } from "./store.ts";
import type { Storage } from "../../storage/storage.ts";
import { RegistryError } from "./errors.ts";


const subjectNotFound = (s: string) => new RegistryError(404, 40401, `Subject '${s}' not found.`);
const versionNotFound = (v: number | string) => new RegistryError(404, 40402, `Version ${v} not found.`);
const schemaNotFound = (id?: number) => new RegistryError(404, 40403, id === undefined ? "Schema not found" : `Schema ${id} not found`);
const invalidSchema = (message: string) => new RegistryError(422, 42201, message);

/** What clients send to register, look up or check a schema. */
export interface SchemaRequest {
  schema?: unknown;
  schemaType?: unknown;
  references?: unknown;
}

/** A subject version as GET /subjects/{s}/versions/{v} returns it (schemaType omitted for Avro, references when there are some). */
export interface VersionView {
  subject: string;
  version: number;
  id: number;
  schemaType?: SchemaType;
  schema: string;
  references?: SchemaReference[];
}

const SCHEMA_TYPES = new Set<SchemaType>(["AVRO", "JSON", "PROTOBUF"]);
const MAX_VERSION = 2 ** 31 - 1;

function parseRequest(request: SchemaRequest): StoredSchema {
  if (typeof request.schema !== "string" || request.schema.trim() === "") throw invalidSchema("Empty schema");
  const schemaType = request.schemaType === undefined || request.schemaType === null ? "AVRO" : String(request.schemaType).toUpperCase();
  if (!SCHEMA_TYPES.has(schemaType as SchemaType)) throw invalidSchema(`Invalid schema type ${String(request.schemaType)}`);
  const references = request.references ?? [];
  if (!Array.isArray(references)) throw invalidSchema("references must be an array");
  const parsed = references.map((r: unknown) => {
    const ref = r as Partial<SchemaReference>;
    if (typeof ref?.name !== "string" || typeof ref.subject !== "string" || !Number.isInteger(ref.version)) {
      throw invalidSchema(`Invalid reference ${JSON.stringify(r)}: needs name, subject and version`);
    }
    return { name: ref.name, subject: ref.subject, version: ref.version as number };
  });
  return { schemaType: schemaType as SchemaType, schema: request.schema, references: parsed };
}

/** "latest", -1 or 1..2^31-1. @throws RegistryError 42202 */
function parseVersion(version: string): number | "latest" {
  if (version === "latest" || version === "-1") return "latest";
  const n = Number(version);
  if (!/^\d+$/.test(version) || n < 1 || n > MAX_VERSION) {
    throw new RegistryError(422, 42202, `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
  }
  return n;
}

const live = (record: SubjectRecord | undefined) => (record?.versions ?? []).filter((v) => !v.deleted);

export class SchemaRegistry {
  readonly store: RegistryStore;
  readonly compiler: SchemaCompiler;

  constructor(storage: Storage) {
    this.store = new RegistryStore(storage);
    this.compiler = new SchemaCompiler(this.store);
  }

  async #compileRequest(stored: StoredSchema): Promise<CompiledSchema> {
    try {
      return await this.compiler.compile(stored);
    } catch (error) {
      if (error instanceof InvalidSchemaError) throw invalidSchema(`Invalid schema of type ${stored.schemaType}: ${error.message}`);
      throw error;
    }
  }

  async #fingerprint(stored: StoredSchema): Promise<string> {
    const language = await this.compiler.language(stored.schemaType);
    return fingerprint(stored.schemaType, language.canonical(stored.schema), stored.references);
  }

  async #view(subject: string, entry: SubjectVersion): Promise<VersionView> {
    const stored = await this.store.schema(entry.id);
    if (!stored) throw schemaNotFound(entry.id);
    return {
      subject,
      version: entry.version,
      id: entry.id,
      ...(stored.schemaType === "AVRO" ? {} : { schemaType: stored.schemaType }),
      schema: stored.schema,
      ...(stored.references.length > 0 ? { references: stored.references } : {}),
    };
  }

  async listSubjects(deleted: boolean): Promise<string[]> {
    const all = await this.store.subjects();
    return all.filter(({ record }) => record.versions.some((v) => deleted || !v.deleted)).map(({ name }) => name);
  }

  async listVersions(subject: string, deleted: boolean): Promise<number[]> {
    const record = (await this.store.subject(subject))?.value;
    const versions = (record?.versions ?? []).filter((v) => deleted || !v.deleted).map((v) => v.version);
    if (versions.length === 0) throw subjectNotFound(subject);
    return versions;
  }

  /** The entry for `version` ("latest": the newest live one; with `deleted`, soft-deleted ones count too). */
  async #entry(subject: string, version: string, deleted: boolean): Promise<SubjectVersion> {
    const wanted = parseVersion(version);
    const record = (await this.store.subject(subject))?.value;
    const candidates = (record?.versions ?? []).filter((v) => deleted || !v.deleted);
    if (candidates.length === 0) throw subjectNotFound(subject);
    const entry = wanted === "latest" ? candidates.at(-1) : candidates.find((v) => v.version === wanted);
    if (!entry) throw versionNotFound(wanted);
    return entry;
  }

  async getVersion(subject: string, version: string, deleted = false): Promise<VersionView> {
    return this.#view(subject, await this.#entry(subject, version, deleted));
  }

  /** Registers `request` under `subject`: the existing id when that schema is already a live version. */
  async register(subject: string, request: SchemaRequest): Promise<{ id: number }> {
    if (subject.trim() === "" || subject.includes("\u0000")) throw new RegistryError(422, 42208, `The specified subject '${subject}' is not valid.`);
    const stored = parseRequest(request);
    const compiled = await this.#compileRequest(stored);
    const hash = await this.#fingerprint(stored);
    return retryCas(`register under ${subject}`, async () => {
      const current = await this.store.subject(subject);
      const versions = current?.value.versions ?? [];
      const knownId = await this.store.idOf(hash);
      const existing = knownId === null ? undefined : versions.find((v) => v.id === knownId && !v.deleted);
      if (existing) return { id: existing.id };
      const problems = await this.#incompatibilities(subject, live(current?.value), compiled, stored.schemaType, null);
      if (problems.length > 0) {
        throw new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: ${problems.join("; ")}`);
      }
      const id = knownId ?? (await this.store.idFor(hash, stored));
      const version = (versions.at(-1)?.version ?? 0) + 1;
      const written = await this.store.putSubject(subject, { versions: [...versions, { version, id, deleted: false }] }, current?.version ?? null);
      return written === null ? undefined : { id };
    });
  }

  /** Which live version of `subject` holds this schema. */
  async lookup(subject: string, request: SchemaRequest, deleted = false): Promise<VersionView> {
    const stored = parseRequest(request);
    const record = (await this.store.subject(subject))?.value;
    const candidates = (record?.versions ?? []).filter((v) => deleted || !v.deleted);
    if (candidates.length === 0) throw subjectNotFound(subject);
    await this.#compileRequest(stored);
    const id = await this.store.idOf(await this.#fingerprint(stored));
    const entry = id === null ? undefined : candidates.findLast((v) => v.id === id);
    if (!entry) throw schemaNotFound();
    return this.#view(subject, entry);
  }

  async schemaById(id: number): Promise<{ schemaType?: SchemaType; schema: string; references?: SchemaReference[] }> {
    const stored = Number.isInteger(id) && id > 0 ? await this.store.schema(id) : null;
    if (!stored) throw schemaNotFound(id);
    return {
      ...(stored.schemaType === "AVRO" ? {} : { schemaType: stored.schemaType }),
      schema: stored.schema,
      ...(stored.references.length > 0 ? { references: stored.references } : {}),
    };
  }

  /** Every live (subject, version) registered with schema `id`. */
  async versionsOfId(id: number, deleted = false): Promise<Array<{ subject: string; version: number }>> {
    await this.schemaById(id);
    const found: Array<{ subject: string; version: number }> = [];
    for (const { name, record } of await this.store.subjects()) {
      for (const v of record.versions) if (v.id === id && (deleted || !v.deleted)) found.push({ subject: name, version: v.version });
    }
    return found;
  }

  /** Ids of live schemas whose references name this subject version. */
  async referencedBy(subject: string, version: string): Promise<number[]> {
    const entry = await this.#entry(subject, version, true);
    const ids = new Set<number>();
    for (const { record } of await this.store.subjects()) {
      for (const v of record.versions) {
        if (v.deleted) continue;
        const stored = await this.store.schema(v.id);
        if (stored?.references.some((r) => r.subject === subject && r.version === entry.version)) ids.add(v.id);
      }
    }
    return [...ids].sort((a, b) => a - b);
  }

  async #refuseIfReferenced(subject: string, versions: SubjectVersion[]): Promise<void> {
    for (const v of versions) {
      if ((await this.referencedBy(subject, String(v.version))).length > 0) {
        throw new RegistryError(422, 42206, `One or more references exist to the schema {subject=${subject},version=${v.version}}.`);
      }
    }
  }

  /** Soft delete marks every version deleted; permanent delete (after a soft one) removes the subject. */
  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return retryCas(`delete subject ${subject}`, async () => {
      const current = await this.store.subject(subject);
      const versions = current?.value.versions ?? [];
      if (!current || versions.length === 0) throw subjectNotFound(subject);
      if (permanent) {
        if (versions.some((v) => !v.deleted)) throw new RegistryError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
        return (await this.store.deleteSubject(subject, current.version)) ? versions.map((v) => v.version) : undefined;
      }
      const alive = versions.filter((v) => !v.deleted);
      if (alive.length === 0) throw new RegistryError(404, 40404, `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`);
      await this.#refuseIfReferenced(subject, alive);
      const written = await this.store.putSubject(subject, { versions: versions.map((v) => ({ ...v, deleted: true })) }, current.version);
      return written === null ? undefined : alive.map((v) => v.version);
    });
  }

  async deleteVersion(subject: string, version: string, permanent: boolean): Promise<number> {
    return retryCas(`delete ${subject} version ${version}`, async () => {
      const current = await this.store.subject(subject);
      const versions = current?.value.versions ?? [];
      if (!current || versions.length === 0) throw subjectNotFound(subject);
      const wanted = parseVersion(version);
      const entry = wanted === "latest" ? (permanent ? versions : versions.filter((v) => !v.deleted)).at(-1) : versions.find((v) => v.version === wanted);
      if (!entry) throw versionNotFound(wanted);
      if (permanent && !entry.deleted) {
        throw new RegistryError(404, 40407, `Subject '${subject}' Version ${entry.version} was not deleted first before being permanently deleted`);
      }
      if (!permanent && entry.deleted) throw new RegistryError(404, 40406, `Subject '${subject}' Version ${entry.version} was soft deleted.Set permanent=true to delete permanently`);
      if (!permanent) await this.#refuseIfReferenced(subject, [entry]);
      const rest = permanent ? versions.filter((v) => v !== entry) : versions.map((v) => (v === entry ? { ...v, deleted: true } : v));
      const done = rest.length === 0 ? await this.store.deleteSubject(subject, current.version) : (await this.store.putSubject(subject, { versions: rest }, current.version)) !== null;
      return done ? entry.version : undefined;
    });
  }

  async compatibility(subject: string | null, defaultToGlobal: boolean): Promise<CompatibilityLevel> {
    const own = await this.store.config(subject);
    if (own !== null) return own as CompatibilityLevel;
    if (subject !== null && !defaultToGlobal) {
      throw new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
    }
    return ((subject === null ? null : await this.store.config(null)) ?? DEFAULT_COMPATIBILITY) as CompatibilityLevel;
  }

  async setCompatibility(subject: string | null, level: unknown): Promise<CompatibilityLevel> {
    const normalized = typeof level === "string" ? level.toUpperCase() : "";
    if (!COMPATIBILITY_LEVELS.has(normalized as CompatibilityLevel)) {
      throw new RegistryError(422, 42203, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive");
    }
    await this.store.setConfig(subject, normalized);
    return normalized as CompatibilityLevel;
  }

  async deleteCompatibility(subject: string): Promise<CompatibilityLevel> {
    const previous = await this.store.deleteConfig(subject);
    if (previous === null) throw new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
    return previous as CompatibilityLevel;
  }

  /**
   * Checks `request` against one version of `subject` (version given) or against what the subject's level
   * asks for (version null): every live version for the _TRANSITIVE levels, the latest otherwise.
   */
  async checkCompatibility(subject: string, version: string | null, request: SchemaRequest): Promise<string[]> {
    const stored = parseRequest(request);
    const compiled = await this.#compileRequest(stored);
    if (version === null) return this.#incompatibilities(subject, live((await this.store.subject(subject))?.value), compiled, stored.schemaType, null);
    const entry = await this.#entry(subject, version, false);
    return this.#incompatibilities(subject, [entry], compiled, stored.schemaType, entry);
  }

  async #incompatibilities(subject: string, previous: SubjectVersion[], candidate: CompiledSchema, schemaType: SchemaType, only: SubjectVersion | null): Promise<string[]> {
    if (previous.length === 0) return [];
    const level = await this.compatibility(subject, true);
    const against = only ? [only] : level.endsWith("_TRANSITIVE") ? previous : previous.slice(-1);
    const problems: string[] = [];
    for (const entry of against) {
      const stored = await this.store.schema(entry.id);
      const compiled = await this.compiler.compileId(entry.id);
      if (!stored || !compiled) continue;
      if (stored.schemaType !== schemaType) {
        problems.push(`version ${entry.version} is ${stored.schemaType}, the new schema is ${schemaType}`);
        continue;
      }
      const language = await this.compiler.language(schemaType);
      for (const problem of checkCompatibility(language, level, candidate, compiled)) problems.push(`version ${entry.version}: ${problem}`);
    }
    return problems;
  }
}
