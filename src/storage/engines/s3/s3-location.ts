// Where an s3:// store lives: the bucket and key prefix from the URL, and the client
// settings from the environment the way AWS tooling and Fly.io's Tigris provide them.

import type { S3ClientConfig } from "@aws-sdk/client-s3";

export interface S3Location {
  bucket: string;
  /** "" or ending in "/". */
  prefix: string;
  /** For messages: the endpoint URL, or "the AWS default endpoint". */
  endpoint: string;
  client: S3ClientConfig;
  /** Sent with every request. */
  headers: Record<string, string>;
}

/**
 * Tigris serves reads from the nearest region and is only eventually consistent across
 * regions unless a request asks for its leader; brokers in several regions sharing a bucket
 * must always see the latest head, so every request asks.
 */
const TIGRIS_HOSTS = /(^|\.)(tigris\.dev|storage\.dev)$/i;
const TIGRIS_CONSISTENT = { "X-Tigris-Consistent": "true" };

/** How long one S3 request may take before it counts as the store being unavailable. */
const REQUEST_TIMEOUT_MS = 30_000;
const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * Parses s3://BUCKET/ or s3://BUCKET/PREFIX/ and reads AWS_ENDPOINT_URL_S3 (else
 * AWS_ENDPOINT_URL), AWS_REGION ("auto" when an endpoint is set but no region, as Tigris
 * wants; otherwise the SDK's default chain) and AWS_S3_FORCE_PATH_STYLE=true. Credentials
 * are AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) of `env` when set,
 * which is where the SDK's default chain looks first, else the rest of that chain.
 * @throws Error for a URL without a bucket
 */
export function s3Location(url: string, env: Record<string, string | undefined> = process.env): S3Location {
  // The query holds settings (s3-url-settings.ts), not part of the location.
  const match = /^s3:\/\/([^/?#]+)\/?([^?#]*)(?:\?[^#]*)?$/i.exec(url);
  if (!match) throw new Error(`s3 storage URL ${JSON.stringify(url)} needs a bucket: s3://BUCKET/ or s3://BUCKET/PREFIX/`);
  const [, bucket, path] = match;
  const prefix = path === "" || path.endsWith("/") ? path : `${path}/`;

  const endpointUrl = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const region = env.AWS_REGION || (endpointUrl ? "auto" : undefined);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const credentials =
    accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined } : undefined;
  return {
    bucket,
    prefix,
    endpoint: endpointUrl ?? "the AWS default endpoint",
    headers: endpointUrl !== undefined && TIGRIS_HOSTS.test(hostOf(endpointUrl)) ? TIGRIS_CONSISTENT : {},
    client: {
      endpoint: endpointUrl,
      region,
      credentials,
      forcePathStyle: env.AWS_S3_FORCE_PATH_STYLE === "true",
      // S3-compatible servers (RGW, Tigris) do not all accept the SDK's default CRC
      // checksum headers; send and check them only where S3 requires them.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: CONNECTION_TIMEOUT_MS },
    },
  };
}

function hostOf(endpointUrl: string): string {
  try {
    return new URL(endpointUrl).hostname;
  } catch (error) {
    throw new Error(`AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL ${JSON.stringify(endpointUrl)} is not a URL`, { cause: error });
  }
}
