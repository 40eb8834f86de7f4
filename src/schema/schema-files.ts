// Where --schema-registry files live: file://DIR (file:///abs/dir, or file://./rel/dir relative to the working
// directory, as Tansu takes it) or s3://BUCKET/PREFIX/ with the same S3 settings the s3:// storage engine reads
// from the environment (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_S3_FORCE_PATH_STYLE). One file per topic: TOPIC.proto,
// TOPIC.json or TOPIC.avsc, looked for in that order.
import { isAbsolute, join, resolve } from "node:path";
import type { SchemaFormat } from "./types.ts";

export const FILE_EXTENSIONS: ReadonlyArray<[string, SchemaFormat]> = [
  [".proto", "protobuf"],
  [".json", "json"],
  [".avsc", "avro"],
];

export interface SchemaFiles {
  /** For messages: the URL it was opened with. */
  readonly url: string;
  /** The text of `name`, or null when there is no such file. */
  read(name: string): Promise<string | null>;
  /** Every file name in the registry. */
  list(): Promise<string[]>;
}

/** The topic's schema file: its format and text, or null when the topic has none. */
export async function readTopicFile(files: SchemaFiles, topic: string): Promise<{ name: string; format: SchemaFormat; text: string } | null> {
  for (const [extension, format] of FILE_EXTENSIONS) {
    const text = await files.read(`${topic}${extension}`);
    if (text !== null) return { name: `${topic}${extension}`, format, text };
  }
  return null;
}

/** The topics that have a schema file. */
export async function topicsWithFiles(files: SchemaFiles): Promise<string[]> {
  const topics = new Set<string>();
  for (const name of await files.list()) {
    const extension = FILE_EXTENSIONS.find(([ext]) => name.endsWith(ext));
    if (extension) topics.add(name.slice(0, -extension[0].length));
  }
  return [...topics].sort();
}

class DirectoryFiles implements SchemaFiles {
  constructor(
    readonly url: string,
    private readonly dir: string,
  ) {}

  async read(name: string): Promise<string | null> {
    const file = Bun.file(join(this.dir, name));
    return (await file.exists()) ? file.text() : null;
  }

  async list(): Promise<string[]> {
    // node:fs only here: loading it at start-up costs every broker memory (measured against a bare listener).
    const { readdir } = await import("node:fs/promises");
    try {
      return (await readdir(this.dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return [];
      throw new Error(`schema registry ${this.url}: cannot list ${this.dir}: ${(error as Error).message}`, { cause: error });
    }
  }
}

class BucketFiles implements SchemaFiles {
  readonly #client: Bun.S3Client;

  constructor(
    readonly url: string,
    private readonly prefix: string,
    bucket: string,
    env: Record<string, string | undefined>,
  ) {
    const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
    this.#client = new Bun.S3Client({
      bucket,
      endpoint,
      region: env.AWS_REGION || (endpoint ? "auto" : undefined),
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
      virtualHostedStyle: env.AWS_S3_FORCE_PATH_STYLE !== "true",
    });
  }

  async read(name: string): Promise<string | null> {
    try {
      return await this.#client.file(`${this.prefix}${name}`).text();
    } catch (error) {
      if ((error as { code?: string }).code === "NoSuchKey" || /not found|NoSuchKey|404/i.test(String((error as Error).message))) return null;
      throw new Error(`schema registry ${this.url}: cannot read ${name}: ${(error as Error).message}`, { cause: error });
    }
  }

  async list(): Promise<string[]> {
    const names: string[] = [];
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.#client.list({ prefix: this.prefix, startAfter });
      const keys = (page.contents ?? []).map((c) => c.key);
      names.push(...keys.map((k) => k.slice(this.prefix.length)).filter((k) => k !== "" && !k.includes("/")));
      if (!page.isTruncated || keys.length === 0) return names.sort();
      startAfter = keys.at(-1);
    }
  }
}

/**
 * Opens a --schema-registry URL: file://DIR or s3://BUCKET/PREFIX/.
 * @throws Error for any other URL
 */
export function openSchemaFiles(url: string, env: Record<string, string | undefined> = process.env): SchemaFiles {
  if (url.startsWith("file://")) {
    const path = decodeURIComponent(url.slice("file://".length));
    if (path === "") throw new Error(`--schema-registry ${url}: needs a directory, file://DIR`);
    return new DirectoryFiles(url, isAbsolute(path) ? path : resolve(process.cwd(), path));
  }
  const s3 = /^s3:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(url);
  if (s3) {
    const [, bucket, path] = s3;
    return new BucketFiles(url, path === "" || path!.endsWith("/") ? path! : `${path}/`, bucket!, env);
  }
  throw new Error(`--schema-registry ${JSON.stringify(url)}: expected file://DIR or s3://BUCKET/PREFIX/`);
}
