// The API table lists every API with its versions and imports its handler on first use
// (src/broker/apis.ts); what ApiVersions advertises must be what the loaded handler serves.
import { expect, test } from "bun:test";
import { allApis } from "../../src/broker/apis.ts";
import { defineApi, lazyApi, type ApiHandler } from "../../src/broker/handler.ts";

test("every listed API loads a handler for the same key and versions", async () => {
  const apis = allApis();
  expect(new Set(apis.map((api) => api.apiKey)).size).toBe(apis.length);
  for (const api of apis) {
    const loaded = "load" in api ? await (api as { load(): Promise<ApiHandler> }).load() : api;
    expect({ apiKey: loaded.apiKey, minVersion: loaded.minVersion, maxVersion: loaded.maxVersion }).toEqual({
      apiKey: api.apiKey,
      minVersion: api.minVersion,
      maxVersion: api.maxVersion,
    });
  }
});

test("a handler serving other versions than listed fails its first request loudly", async () => {
  const handler = defineApi({ apiKey: 3, minVersion: 0, maxVersion: 9, handle: async () => ({}) });
  const listed = lazyApi(3, 0, 12, async () => handler);
  await expect(listed.handle({} as never, {}, {} as never)).rejects.toThrow("API 3 is listed with versions 0-12 but its handler serves API 3 versions 0-9");
});
