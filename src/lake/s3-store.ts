// s3://BUCKET/PREFIX/ as a lake location, through @aws-sdk/client-s3 (loaded only when a lake
// lives on S3). Client settings come from the same environment variables the s3:// storage
// engine reads, so one set of settings serves both: AWS_ENDPOINT_URL_S3 (else
// AWS_ENDPOINT_URL), AWS_REGION ("auto" when an endpoint is set without one),
// AWS_S3_FORCE_PATH_STYLE=true, and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN (else the SDK's default credential chain).

import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { childUrl, LakeStoreError, type LakeStore } from "./object-store.ts";

/** Statuses that mean "the condition did not hold": someone else created the object first. */
const LOST_RACE = new Set([409, 412]);
const REQUEST_TIMEOUT_MS = 30_000;

function clientConfig(env: Record<string, string | undefined>): S3ClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  return {
    endpoint,
    region: env.AWS_REGION || (endpoint ? "auto" : undefined),
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined } : undefined,
    forcePathStyle: env.AWS_S3_FORCE_PATH_STYLE === "true",
    // Not every S3-compatible server accepts the SDK's default CRC headers.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS },
  };
}

export class S3Store implements LakeStore {
  readonly root: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  private constructor(bucket: string, prefix: string, client: S3Client) {
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.#client = client;
    this.root = `s3://${bucket}/${prefix}`;
  }

  static open(location: string, env: Record<string, string | undefined>): S3Store {
    const match = /^s3:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(location);
    if (!match) throw new LakeStoreError(`lake location ${JSON.stringify(location)} needs a bucket: s3://BUCKET/ or s3://BUCKET/PREFIX/`);
    const [, bucket, path] = match;
    const prefix = path === "" || path!.endsWith("/") ? path! : `${path}/`;
    return new S3Store(bucket!, prefix, new S3Client(clientConfig(env)));
  }

  url(path: string): string {
    return childUrl(this.root, path);
  }

  async get(path: string): Promise<Uint8Array | null> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + path }));
      return await response.Body!.transformToByteArray();
    } catch (error) {
      if (status(error) === 404) return null;
      throw this.#failure("GET", path, error);
    }
  }

  async put(path: string, body: Uint8Array): Promise<void> {
    if (!(await this.#put(path, body, false))) throw this.#failure("PUT", path, new Error("an unconditional write was refused"));
  }

  putIfAbsent(path: string, body: Uint8Array): Promise<boolean> {
    return this.#put(path, body, true);
  }

  async list(prefix: string): Promise<string[]> {
    const paths: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix + prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) if (object.Key) paths.push(object.Key.slice(this.#prefix.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw this.#failure("LIST", prefix, error);
    }
    return paths.sort();
  }

  async delete(path: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + path }));
    } catch (error) {
      if (status(error) !== 404) throw this.#failure("DELETE", path, error);
    }
  }

  close(): void {
    this.#client.destroy();
  }

  async #put(path: string, body: Uint8Array, ifAbsent: boolean): Promise<boolean> {
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + path,
          Body: body,
          ContentLength: body.byteLength,
          ...(ifAbsent ? { IfNoneMatch: "*" } : {}),
        }),
      );
      return true;
    } catch (error) {
      const code = status(error);
      if (ifAbsent && code !== undefined && LOST_RACE.has(code)) return false;
      throw this.#failure(ifAbsent ? "PUT If-None-Match" : "PUT", path, error);
    }
  }

  #failure(operation: string, path: string, error: unknown): LakeStoreError {
    const code = status(error);
    const reason = error instanceof Error ? `${code === undefined ? "" : `HTTP ${code} `}${error.name}: ${error.message}` : String(error);
    return new LakeStoreError(`lake s3 ${operation} ${this.#bucket}/${this.#prefix}${path}: ${reason}`, { cause: error });
  }
}

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}
