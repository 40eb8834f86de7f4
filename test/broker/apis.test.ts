// The API table lists every API with its versions and imports its handler on first use
// (src/broker/apis.ts); what ApiVersions advertises must be what the loaded handler serves.
import { expect, test } from "bun:test";
import { apiVersionsResponse } from "../../src/broker/api-versions.ts";
import { allApis } from "../../src/broker/apis.ts";
import { Dispatcher } from "../../src/broker/dispatcher.ts";
import { defineApi, lazyApi } from "../../src/broker/handler.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";

test("every listed API loads a handler for the same key and versions", async () => {
  const apis = allApis();
  expect(new Set(apis.map(([apiKey]) => apiKey)).size).toBe(apis.length);
  for (const [apiKey, minVersion, maxVersion, load] of apis) {
    const loaded = await load(apiKey);
    expect({ apiKey: loaded.apiKey, minVersion: loaded.minVersion, maxVersion: loaded.maxVersion }).toEqual({ apiKey, minVersion, maxVersion });
  }
});

test("the dispatcher makes an API's handler once, on its first lookup, and knows no other key", async () => {
  const dispatcher = new Dispatcher(allApis());
  const metadata = dispatcher.handler(ApiKey.Metadata);
  expect(metadata).toBeDefined();
  expect(dispatcher.handler(ApiKey.Metadata)).toBe(metadata!);
  expect(dispatcher.handler(9999)).toBeUndefined();
  expect(dispatcher.handler(-1)).toBeUndefined();
  expect(dispatcher.handler(ApiKey.LeaderAndIsr)).toBeUndefined();
  expect(() => new Dispatcher([...allApis(), [ApiKey.Metadata, 0, 1, async () => metadata!]])).toThrow("two handlers for API key 3");
});

test("ApiVersions lists every API once, in key order", () => {
  const apis = allApis();
  const { apiKeys } = apiVersionsResponse(apis, ErrorCode.NONE);
  expect(apiKeys.map((k) => k.apiKey)).toEqual(apis.map(([apiKey]) => apiKey).sort((a, b) => a - b));
  const produce = apis.find(([apiKey]) => apiKey === ApiKey.Produce)!;
  expect(apiKeys[0]).toEqual({ apiKey: ApiKey.Produce, minVersion: produce[1], maxVersion: produce[2] });
});

test("a handler serving other versions than listed fails its first request loudly", async () => {
  const handler = defineApi({ apiKey: 3, minVersion: 0, maxVersion: 9, handle: async () => ({}) });
  const listed = lazyApi(3, 0, 12, async () => handler);
  await expect(listed.handle({} as never, {}, {} as never)).rejects.toThrow("API 3 is listed with versions 0-12 but its handler serves API 3 versions 0-9");
});
