// The thin conditional-write layer over S3 that the s3:// engine is built on: reads that
// return the ETag with the body, and writes that succeed only if the object is absent or
// still at a known ETag. A 412 (someone else wrote first) is an ordinary outcome, returned
// as null; every other S3 or network failure becomes StorageUnavailableError naming the
// operation, the key and the bucket.

import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { StorageUnavailableError } from "../../errors.ts";

export interface StoredObject {
  body: Uint8Array;
  etag: string;
}

/** What a conditional GET returns when the object is still at the ETag given. */
export const NOT_MODIFIED = Symbol("not modified");

/** The server's reasons for refusing a conditional request that mean "not at that version". */
const LOST_RACE_STATUS = new Set([412, 409]);

export class ObjectStore {
  readonly #client: S3Client;
  readonly bucket: string;
  /** Where the bucket lives, for error messages. */
  readonly endpoint: string;
  /** RFC 7232's quoted form until the server shows it compares bare ETags (see putIfMatch). */
  #quoteIfMatch = true;

  /** `headers` go with every request (see s3-location.ts). */
  constructor(bucket: string, endpoint: string, config: S3ClientConfig, headers: Record<string, string> = {}) {
    this.#client = new S3Client(config);
    this.bucket = bucket;
    this.endpoint = endpoint;
    if (Object.keys(headers).length > 0) {
      this.#client.middlewareStack.add(
        (next) => (args) => {
          Object.assign((args.request as { headers: Record<string, string> }).headers, headers);
          return next(args);
        },
        { step: "build", name: "tansuExtraHeaders" },
      );
    }
  }

  /** @throws StorageUnavailableError when the bucket cannot be reached */
  async checkBucket(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw new StorageUnavailableError(
        `s3 bucket ${JSON.stringify(this.bucket)} at ${this.endpoint} is not reachable: ${describe(error)}`,
        { cause: error },
      );
    }
  }

  /** The object's bytes and ETag, or null when there is no such object. */
  get(key: string): Promise<StoredObject | null> {
    return this.#get(key, undefined) as Promise<StoredObject | null>;
  }

  /**
   * A conditional GET (If-None-Match): NOT_MODIFIED while the object is still at `etag`, which
   * costs the request but no body; otherwise its bytes and ETag, or null when it is gone.
   */
  getIfChanged(key: string, etag: string): Promise<StoredObject | null | typeof NOT_MODIFIED> {
    return this.#get(key, etag);
  }

  async #get(key: string, ifNoneMatch: string | undefined): Promise<StoredObject | null | typeof NOT_MODIFIED> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, IfNoneMatch: ifNoneMatch }));
      if (response.Body === undefined || response.ETag === undefined) {
        throw new Error("response has no body or no ETag");
      }
      return { body: await response.Body.transformToByteArray(), etag: response.ETag };
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return null;
      if (status === 304 && ifNoneMatch !== undefined) return NOT_MODIFIED;
      throw this.#failure(ifNoneMatch === undefined ? "GET" : "GET If-None-Match", key, error);
    }
  }

  /** Writes unconditionally (for objects under fresh unique keys); returns the ETag. */
  async put(key: string, body: Uint8Array): Promise<string> {
    const etag = await this.#put("PUT", key, body, {});
    if (etag === null) throw this.#failure("PUT", key, new Error("unconditional write was refused as a lost race"));
    return etag;
  }

  /** Creates the object only if no object has the key; its ETag, or null when one exists. */
  putIfAbsent(key: string, body: Uint8Array): Promise<string | null> {
    return this.#put("PUT If-None-Match", key, body, { IfNoneMatch: "*" });
  }

  /**
   * Replaces the object only while its ETag is `etag`; the new ETag, or null when it changed or is gone.
   * The engine's mutable objects carry a random revision, so an ETag never comes back once replaced.
   */
  async putIfMatch(key: string, body: Uint8Array, etag: string): Promise<string | null> {
    const bare = etag.replaceAll('"', "");
    if (!this.#quoteIfMatch) return this.#put("PUT If-Match", key, body, { IfMatch: bare });
    const written = await this.#put("PUT If-Match", key, body, { IfMatch: `"${bare}"` });
    if (written !== null) return written;
    // Refused: someone else wrote first, or the server compares bare values and refuses the quoted
    // form (RGW 16, which the tests run, and DigitalOcean Spaces do). Only in the second case is the
    // object still at `etag`; then this server gets bare values from now on.
    if ((await this.#currentEtag(key))?.replaceAll('"', "") !== bare) return null;
    this.#quoteIfMatch = false;
    return this.#put("PUT If-Match", key, body, { IfMatch: bare });
  }

  async #currentEtag(key: string): Promise<string | null> {
    try {
      return (await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))).ETag ?? null;
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw this.#failure("HEAD", key, error);
    }
  }

  /** Deletes the object; deleting a missing object succeeds. */
  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw this.#failure("DELETE", key, error);
    }
  }

  /** Every key under `prefix`, in the server's (lexicographic) order. */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw this.#failure("LIST", prefix, error);
    }
    return keys;
  }

  close(): void {
    this.#client.destroy();
  }

  async #put(
    operation: string,
    key: string,
    body: Uint8Array,
    condition: { IfMatch?: string; IfNoneMatch?: string },
  ): Promise<string | null> {
    try {
      const response = await this.#client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength, ...condition }),
      );
      if (response.ETag === undefined) throw new Error("response has no ETag");
      return response.ETag;
    } catch (error) {
      const status = statusOf(error);
      // If-Match on a missing object is a lost race too: the object was deleted under us.
      if (status !== undefined && (LOST_RACE_STATUS.has(status) || (condition.IfMatch && status === 404))) return null;
      throw this.#failure(operation, key, error);
    }
  }

  #failure(operation: string, key: string, error: unknown): StorageUnavailableError {
    return new StorageUnavailableError(
      `s3 ${operation} ${this.bucket}/${key} at ${this.endpoint}: ${describe(error)}`,
      { cause: error },
    );
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("$metadata" in error)) return undefined;
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = statusOf(error);
  return status === undefined ? `${error.name}: ${error.message}` : `HTTP ${status} ${error.name}: ${error.message}`;
}
