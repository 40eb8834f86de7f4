// GET /ui/: the read-only web console. The page, its script and stylesheet are compiled into the
// binary as text (assets.ts) and, like the JSON API, loaded on the first request only, so a broker
// nobody opens the console on pays nothing for it at start-up. Every page and endpoint is behind
// the broker's authorization (access.ts).
import type { BrokerContext } from "../../broker/context.ts";
import type { HttpRoutes } from "../server.ts";
import { consoleAuthorizer } from "./access.ts";

export function consoleRoutes(ctx: BrokerContext, version: string): HttpRoutes {
  let loaded: Promise<[typeof import("./assets.ts"), typeof import("./api.ts")]> | null = null;
  return async (request, url, client) => {
    if (url.pathname !== "/ui" && !url.pathname.startsWith("/ui/")) return undefined;
    if (request.method !== "GET") return new Response("the console is read-only\n", { status: 405, headers: { allow: "GET" } });
    if (url.pathname === "/ui") return Response.redirect(`${url.origin}/ui/`, 308);
    const authz = await consoleAuthorizer(ctx, request, client);
    if (authz instanceof Response) return authz;
    loaded ??= Promise.all([import("./assets.ts"), import("./api.ts")]);
    const [{ ASSETS }, { consoleApi }] = await loaded;
    const path = url.pathname.slice("/ui/".length);
    if (path.startsWith("api/")) return consoleApi(ctx, version, authz, url, path.slice("api/".length));
    const asset = ASSETS[path === "" ? "index.html" : path];
    if (!asset) return undefined;
    return new Response(asset.body, { headers: { "content-type": asset.type, "cache-control": "no-cache" } });
  };
}
