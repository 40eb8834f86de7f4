// Tables on s3:// read by the local readers: every object under a location copied into a directory
// through the AWS SDK (DuckDB's httpfs cannot be installed here), and the s3:// URLs in table
// metadata (and icebird's https form of them) mapped onto that copy.

import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tempDir } from "../harness/temp-dir.ts";

const bucketOf = (location: string) => /^s3:\/\/([^/]+)\//.exec(location)![1]!;

/** Copies every object under the location (s3://BUCKET/PREFIX/) into a fresh local directory. */
export async function mirror(client: S3Client, location: string): Promise<string> {
  const bucket = bucketOf(location);
  const prefix = location.slice(`s3://${bucket}/`.length);
  const dir = tempDir("tansu-s3-mirror-");
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const { Key } of page.Contents ?? []) {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
      const path = join(dir, Key!.slice(prefix.length));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await object.Body!.transformToByteArray());
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return dir;
}

/** Maps s3:// URLs in table metadata (and icebird's https form of them) onto the mirror. */
export function mirrorPaths(location: string, dir: string) {
  const bucket = bucketOf(location);
  const prefix = location.slice(`s3://${bucket}/`.length);
  return {
    local: (url: string) => join(dir, url.slice(location.length)),
    https: (url: string) => url.replace(`https://${bucket}.s3.amazonaws.com/${prefix}`, `file://${dir}/`),
  };
}
