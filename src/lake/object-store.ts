// Where tables live: a key/value view of a file:// directory or an s3:// bucket prefix, with the
// one atomic primitive table commits need, create-if-absent. On file:// that is link(2), which
// fails when the name exists; on s3:// a PUT with If-None-Match: *.

import { randomUUID } from "node:crypto";
import type { Dirent } from "node:fs";
import { link, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface LakeStore {
  /** The location's URL, ending in "/". */
  readonly root: string;
  /** The absolute URL of `path` (relative to the root), as table metadata records it. */
  url(path: string): string;
  /** The object's bytes, or null when there is none. */
  get(path: string): Promise<Uint8Array | null>;
  /** Writes the object whole, replacing any; readers never see part of it. */
  put(path: string, body: Uint8Array): Promise<void>;
  /** Creates the object only if none has the name; false when one does (another writer won). */
  putIfAbsent(path: string, body: Uint8Array): Promise<boolean>;
  /** Paths (relative to the root) of every object under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(path: string): Promise<void>;
  close(): void;
}

/** A lake location that cannot be used: bad URL, unreachable store, failed request. */
export class LakeStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LakeStoreError";
  }
}

/** Opens file://DIR or s3://BUCKET/PREFIX/; the AWS SDK is loaded only for s3://. */
export async function openLakeStore(location: string, env: Record<string, string | undefined> = process.env): Promise<LakeStore> {
  if (/^file:/i.test(location)) return new FileStore(location);
  if (/^s3:/i.test(location)) {
    const { S3Store } = await import("./s3-store.ts");
    return S3Store.open(location, env);
  }
  throw new LakeStoreError(`lake location ${JSON.stringify(location)} is neither file://DIR nor s3://BUCKET/PREFIX/`);
}

/** Joins a root URL ending in "/" and a relative path. */
export function childUrl(root: string, path: string): string {
  return `${root}${path.replace(/^\/+/, "")}`;
}

class FileStore implements LakeStore {
  readonly root: string;
  readonly #dir: string;

  constructor(location: string) {
    try {
      this.#dir = fileURLToPath(location.endsWith("/") ? location : `${location}/`);
    } catch (error) {
      throw new LakeStoreError(`lake location ${JSON.stringify(location)} is not a file:// URL of a directory`, { cause: error });
    }
    this.root = pathToFileURL(this.#dir).href.replace(/\/?$/, "/");
  }

  url(path: string): string {
    return childUrl(this.root, path);
  }

  async get(path: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(join(this.#dir, path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw this.#failure("read", path, error);
    }
  }

  async put(path: string, body: Uint8Array): Promise<void> {
    const temp = await this.#writeTemp(path, body);
    try {
      await rename(temp, join(this.#dir, path));
    } catch (error) {
      await rm(temp, { force: true });
      throw this.#failure("write", path, error);
    }
  }

  async putIfAbsent(path: string, body: Uint8Array): Promise<boolean> {
    const temp = await this.#writeTemp(path, body);
    try {
      // link(2) is atomic and refuses an existing name, so of two writers exactly one wins.
      await link(temp, join(this.#dir, path));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw this.#failure("create", path, error);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = join(this.#dir, prefix);
    // A prefix that ends mid-name ("metadata/v") lists its directory and filters.
    const dir = prefix === "" || prefix.endsWith("/") ? base : dirname(base);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw this.#failure("list", prefix, error);
    }
    const paths: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || entry.name.startsWith(".tmp-")) continue;
      const path = relative(this.#dir, join(entry.parentPath, entry.name)).split("\\").join("/");
      if (path.startsWith(prefix)) paths.push(path);
    }
    return paths.sort();
  }

  async delete(path: string): Promise<void> {
    await rm(join(this.#dir, path), { force: true });
  }

  close(): void {}

  /** A uniquely named sibling of `path` holding `body`, so the final name appears complete or not at all. */
  async #writeTemp(path: string, body: Uint8Array): Promise<string> {
    const target = join(this.#dir, path);
    const temp = join(dirname(target), `.tmp-${randomUUID()}`);
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(temp, body);
      return temp;
    } catch (error) {
      throw this.#failure("write", path, error);
    }
  }

  #failure(operation: string, path: string, error: unknown): LakeStoreError {
    return new LakeStoreError(`lake ${operation} ${join(this.#dir, path)}: ${(error as Error).message}`, { cause: error });
  }
}

/** The part of `store` under `prefix` (ending in "/") as a store of its own. */
export function subStore(store: LakeStore, prefix: string): LakeStore {
  const base = prefix.endsWith("/") ? prefix : `${prefix}/`;
  return {
    root: store.url(base),
    url: (path) => store.url(base + path),
    get: (path) => store.get(base + path),
    put: (path, body) => store.put(base + path, body),
    putIfAbsent: (path, body) => store.putIfAbsent(base + path, body),
    list: async (path) => (await store.list(base + path)).map((full) => full.slice(base.length)),
    delete: (path) => store.delete(base + path),
    // The parent owns the connection.
    close: () => undefined,
  };
}
