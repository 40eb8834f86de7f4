import { describe, expect, test } from "bun:test";
import { s3Location } from "../../../../src/storage/engines/s3/s3-location.ts";

describe("s3Location", () => {
  test("bucket and prefix come from the URL; the prefix always ends in /", () => {
    expect(s3Location("s3://bucket/", {})).toMatchObject({ bucket: "bucket", prefix: "" });
    expect(s3Location("s3://bucket", {})).toMatchObject({ bucket: "bucket", prefix: "" });
    expect(s3Location("s3://bucket/a/b/", {})).toMatchObject({ bucket: "bucket", prefix: "a/b/" });
    expect(s3Location("s3://bucket/a/b", {})).toMatchObject({ bucket: "bucket", prefix: "a/b/" });
  });

  test("a URL without a bucket is refused", () => {
    expect(() => s3Location("s3://", {})).toThrow(/needs a bucket/);
    expect(() => s3Location("s3:///prefix/", {})).toThrow(/needs a bucket/);
  });

  test("the S3-specific endpoint wins over the general one; a custom endpoint defaults the region to auto", () => {
    const both = s3Location("s3://b/", { AWS_ENDPOINT_URL_S3: "https://s3.example", AWS_ENDPOINT_URL: "https://all.example" });
    expect(both.client.endpoint).toBe("https://s3.example");
    expect(both.endpoint).toBe("https://s3.example");
    expect(both.client.region).toBe("auto");
    const general = s3Location("s3://b/", { AWS_ENDPOINT_URL: "https://all.example", AWS_REGION: "eu-west-1" });
    expect(general.client.endpoint).toBe("https://all.example");
    expect(general.client.region).toBe("eu-west-1");
  });

  test("without an endpoint the SDK's defaults choose region and endpoint", () => {
    const aws = s3Location("s3://b/", {});
    expect(aws.client.endpoint).toBeUndefined();
    expect(aws.client.region).toBeUndefined();
    expect(aws.endpoint).toBe("the AWS default endpoint");
  });

  test("path style only when asked for; credentials only when both keys are set", () => {
    expect(s3Location("s3://b/", {}).client.forcePathStyle).toBe(false);
    expect(s3Location("s3://b/", { AWS_S3_FORCE_PATH_STYLE: "true" }).client.forcePathStyle).toBe(true);
    expect(s3Location("s3://b/", { AWS_ACCESS_KEY_ID: "id" }).client.credentials).toBeUndefined();
    expect(s3Location("s3://b/", { AWS_ACCESS_KEY_ID: "id", AWS_SECRET_ACCESS_KEY: "secret" }).client.credentials).toEqual({
      accessKeyId: "id",
      secretAccessKey: "secret",
      sessionToken: undefined,
    });
  });

  test("Tigris endpoints ask for its consistent (leader) reads and writes; others get no extra headers", () => {
    for (const endpoint of ["https://fly.storage.tigris.dev", "https://t3.storage.dev"]) {
      expect(s3Location("s3://b/", { AWS_ENDPOINT_URL_S3: endpoint }).headers).toEqual({ "X-Tigris-Consistent": "true" });
    }
    expect(s3Location("s3://b/", { AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9000" }).headers).toEqual({});
    expect(s3Location("s3://b/", { AWS_ENDPOINT_URL_S3: "https://nottigris.dev.example" }).headers).toEqual({});
    expect(s3Location("s3://b/", {}).headers).toEqual({});
    expect(() => s3Location("s3://b/", { AWS_ENDPOINT_URL_S3: "not a url" })).toThrow(/not a URL/);
  });
});
