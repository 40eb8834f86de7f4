import { ApiKey } from "../protocol/generated/apis.ts";
import type { ApiVersionsRequest, ApiVersionsResponse } from "../protocol/generated/api-versions.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { defineApi, type ApiHandler } from "./handler.ts";

export function apiVersionsResponse(handlers: Iterable<ApiHandler>, errorCode: number): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: [...handlers].map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
  };
}

/** ApiVersions lists every handler registered in the dispatch table, and nothing else. */
export function apiVersionsApi(handlers: () => Iterable<ApiHandler>) {
  return defineApi<ApiVersionsRequest, ApiVersionsResponse>({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    async handle(_ctx, request, rc) {
      // KIP-511: from v3 clients name themselves; a malformed name is INVALID_REQUEST.
      if (rc.apiVersion >= 3) {
        const valid = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;
        const name = request.clientSoftwareName ?? "";
        const version = request.clientSoftwareVersion ?? "";
        if ((name && !valid.test(name)) || (version && !valid.test(version))) {
          return apiVersionsResponse(handlers(), ErrorCode.INVALID_REQUEST);
        }
      }
      return apiVersionsResponse(handlers(), ErrorCode.NONE);
    },
  });
}
