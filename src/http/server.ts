// The broker's one HTTP listener (--http-listener-url). Features contribute routes (the Schema
// Registry API, metrics, health, the console); the listener itself knows none of them.
import type { Server } from "bun";
import { consola } from "../log.ts";

/**
 * One feature's routes. Returns a Response for the requests it owns and undefined for the rest,
 * so features are tried in order and never need to know about each other.
 */
export type HttpRoutes = (request: Request, url: URL, client: HttpClient) => Response | undefined | Promise<Response | undefined>;

/** Who sent the request: its address, for ACLs that name hosts. */
export interface HttpClient {
  readonly address: string;
}

export interface RunningHttp {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Unknown endpoints answer 404 with a Confluent-style error body: Schema Registry clients
 * probe optional endpoints and fall back on exactly this.
 */
function notFound(): Response {
  return Response.json({ error_code: 404, message: "HTTP 404 Not Found" }, { status: 404 });
}

export function listenHttp(hostname: string, port: number, routes: HttpRoutes[]): RunningHttp {
  const server: Server<undefined> = Bun.serve({
    hostname,
    port,
    async fetch(request, server) {
      const url = new URL(request.url);
      const client = { address: server.requestIP(request)?.address ?? "" };
      for (const route of routes) {
        try {
          const response = await route(request, url, client);
          if (response) return response;
        } catch (error) {
          consola.error(`HTTP ${request.method} ${url.pathname} failed:`, error);
          return Response.json({ error_code: 500, message: "internal server error" }, { status: 500 });
        }
      }
      return notFound();
    },
  });
  return {
    port: server.port ?? port,
    async stop() {
      await server.stop();
    },
  };
}
