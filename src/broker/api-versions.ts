import { ApiKey } from "../protocol/generated/apis.ts";
import type { ApiVersionsRequest, ApiVersionsResponse } from "../protocol/generated/api-versions.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { defineApi, type ListedApi } from "./handler.ts";

const isAlphanumeric = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const DASH = 45;
const DOT = 46;

/**
 * Kafka's rule for client software names and versions, [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?, checked
 * without a regular expression: this runs on a broker's first request, and the first regular expression a
 * process compiles costs about 1 MiB of runtime code (docs/BENCHMARKS.md, Startup).
 */
export function isSoftwareName(s: string): boolean {
  const last = s.length - 1;
  if (last < 0 || !isAlphanumeric(s.charCodeAt(0)) || !isAlphanumeric(s.charCodeAt(last))) return false;
  for (let i = 1; i < last; i++) {
    const c = s.charCodeAt(i);
    if (!isAlphanumeric(c) && c !== DASH && c !== DOT) return false;
  }
  return true;
}

/**
 * Every listed API, in key order as Kafka lists them. Ordered by index, and built with loops rather than
 * sort() and map() callbacks: a callback run a few hundred times during a broker's first request is
 * compiled by the JIT, which alone costs start-up ~1 ms and ~2 MiB (docs/BENCHMARKS.md, Startup).
 */
export function apiVersionsResponse(apis: readonly ListedApi[], errorCode: number): ApiVersionsResponse {
  const byKey: ListedApi[] = [];
  for (const api of apis) byKey[api[0]] = api;
  const apiKeys: ApiVersionsResponse["apiKeys"] = [];
  for (const api of byKey) if (api) apiKeys.push({ apiKey: api[0], minVersion: api[1], maxVersion: api[2] });
  return { errorCode, apiKeys, throttleTimeMs: 0 };
}

/** ApiVersions lists every API in the dispatch table, and nothing else. */
export function apiVersionsApi(apis: () => readonly ListedApi[]) {
  return defineApi<ApiVersionsRequest, ApiVersionsResponse>({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    async handle(_ctx, request, rc) {
      // KIP-511: from v3 clients name themselves; a malformed name is INVALID_REQUEST.
      if (rc.apiVersion >= 3) {
        const name = request.clientSoftwareName ?? "";
        const version = request.clientSoftwareVersion ?? "";
        if ((name && !isSoftwareName(name)) || (version && !isSoftwareName(version))) {
          return apiVersionsResponse(apis(), ErrorCode.INVALID_REQUEST);
        }
      }
      return apiVersionsResponse(apis(), ErrorCode.NONE);
    },
  });
}
