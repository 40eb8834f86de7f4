import type { HttpRoutes } from "./server.ts";

/** GET /health: the process is up and serving HTTP (liveness; readiness is the store's concern). */
export function healthRoutes(): HttpRoutes {
  return (request, url) => {
    if (url.pathname !== "/health" || request.method !== "GET") return undefined;
    return new Response("ok\n", { headers: { "content-type": "text/plain; charset=utf-8" } });
  };
}
