import type { Storage } from "../storage/storage.ts";
import type { HttpRoutes } from "./server.ts";

/** How long GET /ready waits for the store before answering 503. */
export const READY_TIMEOUT_MS = 2_000;

// A read of a record nobody writes: every engine answers it with one cheap lookup (a primary-key
// SELECT, a GET that 404s), so it shows whether the store answers without loading anything.
const PROBE_NAMESPACE = "tansu-ready";
const PROBE_KEY = "probe";

/**
 * GET /ready: 200 once the store answers, 503 with the reason when it fails or does not answer in
 * time (readiness, for load balancers and Kubernetes; GET /health is liveness). Probes arriving
 * while one is in flight share it, so a hanging store never piles up requests against it.
 */
export function readyRoutes(storage: Storage, timeoutMs = READY_TIMEOUT_MS): HttpRoutes {
  let inFlight: Promise<string | null> | null = null;
  const probe = async (): Promise<string | null> => {
    let timer: Timer | undefined;
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`the store did not answer within ${timeoutMs} ms`), timeoutMs)));
    const answer = storage.getRecord(PROBE_NAMESPACE, PROBE_KEY).then(
      () => null,
      (error: unknown) => `the store failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  return async (request, url) => {
    if (url.pathname !== "/ready" || request.method !== "GET") return undefined;
    inFlight ??= probe().finally(() => (inFlight = null));
    const problem = await inFlight;
    const headers = { "content-type": "text/plain; charset=utf-8" };
    if (problem === null) return new Response(`ready: ${storage.kind} store answers\n`, { headers });
    return new Response(`not ready: ${problem}\n`, { status: 503, headers });
  };
}
