// The CLI's view of a topic's schema, from where the user points --schema-registry: the broker's Schema
// Registry API (http://HOST:PORT: subjects {topic}-key / {topic}-value, Confluent's wire format) or the same
// schema files the broker reads (file://DIR, s3://BUCKET/PREFIX/: plain payloads). Encodes JSON lines' keys
// and values for `tansu cat produce` and decodes records back for `tansu cat consume`.
import { decodeProtobufFramed, frame, HEADER_BYTES, schemaIdOf } from "../schema/confluent-wire.ts";
import { loadFormat, type ResolvedReference } from "../schema/formats/format.ts";
import { FORMAT_OF } from "../schema/registry/compiler.ts";
import type { SchemaReference } from "../schema/registry/store.ts";
import { openSchemaFiles, readTopicFile } from "../schema/schema-files.ts";
import type { CompiledSchema, SchemaType, WireFormat } from "../schema/types.ts";
import { CommandError } from "./broker-client.ts";

export interface CliPart {
  compiled: CompiledSchema;
  /** Registered subjects: the id records are framed with. */
  id?: number;
}

export interface CliTopicSchema {
  wire: WireFormat;
  key?: CliPart;
  value?: CliPart;
}

interface RegisteredSchema {
  schema: string;
  schemaType?: SchemaType;
  references?: SchemaReference[];
  id?: number;
}

/** A minimal client of the Schema Registry REST API; failures become one-line CommandErrors. */
export class RegistryClient {
  constructor(readonly url: string) {}

  /** The decoded body, or null for a 404 when `missingOk`. */
  async call<T>(method: string, path: string, body?: unknown, missingOk = false): Promise<T | null> {
    let response: Response;
    try {
      response = await fetch(`${this.url.replace(/\/$/, "")}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/vnd.schemaregistry.v1+json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new CommandError(`schema registry ${this.url} is not reachable: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.status === 404 && missingOk) return null;
    if (!response.ok) {
      let detail = text;
      try {
        const parsed = JSON.parse(text) as { error_code?: number; message?: string };
        detail = `${parsed.message ?? text} (error ${parsed.error_code ?? response.status})`;
      } catch {
        // Not a registry error body; the text is the best there is.
      }
      throw new CommandError(`schema registry ${method} ${path}: ${detail}`);
    }
    return JSON.parse(text) as T;
  }

  async #references(references: SchemaReference[] | undefined): Promise<ResolvedReference[]> {
    const resolved: ResolvedReference[] = [];
    for (const ref of references ?? []) {
      const version = (await this.call<RegisteredSchema>("GET", `/subjects/${encodeURIComponent(ref.subject)}/versions/${ref.version}`))!;
      resolved.push({ name: ref.name, schema: version.schema, references: await this.#references(version.references) });
    }
    return resolved;
  }

  async compile(registered: RegisteredSchema): Promise<CompiledSchema> {
    const language = await loadFormat(FORMAT_OF[registered.schemaType ?? "AVRO"]);
    return language.compile(registered.schema, await this.#references(registered.references));
  }

  /** The latest version of `subject`, compiled, or undefined when there is no such subject. */
  async latest(subject: string): Promise<CliPart | undefined> {
    const version = await this.call<RegisteredSchema>("GET", `/subjects/${encodeURIComponent(subject)}/versions/latest`, undefined, true);
    return version ? { compiled: await this.compile(version), id: version.id } : undefined;
  }
}

/**
 * The schema with the topic's tansu.schema.wire.format applied, as the broker applies it: `plain` takes bare
 * payloads whatever the source, `confluent` the 5-byte header even before a schema file's payloads (the broker
 * checks those against the file, whatever the id; the CLI writes 0).
 */
export function withWireFormat(schema: CliTopicSchema | null, configured: string | undefined): CliTopicSchema | null {
  if (!schema || (configured !== "plain" && configured !== "confluent")) return schema;
  return { ...schema, wire: configured };
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

export class TopicSchemaClient {
  readonly registry: RegistryClient | null;
  readonly #byId = new Map<number, Promise<CompiledSchema>>();

  constructor(readonly url: string | undefined) {
    this.registry = url && /^https?:\/\//.test(url) ? new RegistryClient(url) : null;
  }

  /** The topic's schema, or null when it has none (or no --schema-registry was given). */
  async topicSchema(topic: string): Promise<CliTopicSchema | null> {
    if (!this.url) return null;
    if (this.registry) {
      const [key, value] = await Promise.all([this.registry.latest(`${topic}-key`), this.registry.latest(`${topic}-value`)]);
      return key || value ? { wire: "confluent", key, value } : null;
    }
    const file = await readTopicFile(openSchemaFiles(this.url), topic);
    if (!file) return null;
    const parts = (await loadFormat(file.format)).compileFile(file.text);
    return { wire: "plain", key: parts.key && { compiled: parts.key }, value: parts.value && { compiled: parts.value } };
  }

  #compiledById(id: number): Promise<CompiledSchema> {
    let compiled = this.#byId.get(id);
    if (!compiled) {
      if (!this.registry) throw new CommandError(`a record names schema id ${id}, but --schema-registry is not a Schema Registry URL`);
      const registry = this.registry;
      compiled = registry.call<RegisteredSchema>("GET", `/schemas/ids/${id}`).then((s) => registry.compile(s!));
      this.#byId.set(id, compiled);
    }
    return compiled;
  }

  /** The bytes of one key or value given in its JSON mapping. @throws SchemaViolation */
  encode(schema: CliTopicSchema | null, part: "key" | "value", json: unknown): Uint8Array | null {
    if (json === undefined || json === null) return null;
    const described = schema?.[part];
    if (!described) return utf8.encode(typeof json === "string" ? json : JSON.stringify(json));
    const payload = described.compiled.encode(json, part);
    return schema!.wire === "confluent" ? frame(described.id ?? 0, payload, described.compiled.format === "protobuf") : payload;
  }

  /** One key or value back in its JSON mapping (text when the part has no schema). @throws SchemaViolation */
  async decode(schema: CliTopicSchema | null, part: "key" | "value", bytes: Uint8Array | null): Promise<unknown> {
    if (bytes === null) return null;
    const described = schema?.[part];
    if (!described) return text.decode(bytes);
    if (schema!.wire === "plain") return described.compiled.toJson(described.compiled.decode(bytes, part));
    // Framed records of a schema file name no registered id: the file's schema is the one.
    const compiled = described.id === undefined ? described.compiled : await this.#compiledById(schemaIdOf(bytes, part));
    const afterId = bytes.subarray(HEADER_BYTES);
    if (compiled.format !== "protobuf") return compiled.toJson(compiled.decode(afterId, part));
    const { value, message } = decodeProtobufFramed(compiled, afterId, part);
    return message.toJson(value);
  }
}
