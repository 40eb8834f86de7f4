// An HTTP proxy in front of the test S3 server that counts what reaches it, the way S3 bills:
// every GET (a 304 answer to a conditional one too), every PUT, conditional or not. Clients point
// their endpoint at it; it forwards each request unchanged, Host header included, so request
// signatures still match at the server.

export interface S3Request {
  method: string;
  /** Bucket and key, without the query. */
  path: string;
  /** If-Match / If-None-Match sent. */
  conditional: boolean;
  status: number;
}

export interface S3RequestCounts {
  /** Object GETs, conditional ones included. */
  get: number;
  /** GETs answered 304 Not Modified (no body). */
  notModified: number;
  /** Object PUTs, conditional ones included. */
  put: number;
  /** PUTs with If-Match or If-None-Match (compare-and-set). */
  conditionalPut: number;
  head: number;
  delete: number;
  list: number;
}

export interface CountingProxy {
  endpoint: string;
  /** Every request since the start or the last reset, in arrival order. */
  requests(): S3Request[];
  counts(filter?: (request: S3Request) => boolean): S3RequestCounts;
  reset(): void;
  stop(): void;
}

export function startCountingProxy(upstream: string): CountingProxy {
  let log: S3Request[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      const response = await fetch(`${upstream}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body,
        redirect: "manual",
        decompress: false,
      } as RequestInit);
      log.push({
        method: url.search.includes("list-type") || (request.method === "GET" && url.pathname.split("/").filter(Boolean).length < 2) ? "LIST" : request.method,
        path: decodeURIComponent(url.pathname),
        conditional: request.headers.has("if-match") || request.headers.has("if-none-match"),
        status: response.status,
      });
      const headers = new Headers(response.headers);
      headers.delete("content-encoding");
      return new Response(response.status === 304 || request.method === "HEAD" ? null : await response.arrayBuffer(), { status: response.status, headers });
    },
  });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    requests: () => [...log],
    counts(filter = () => true) {
      const counts: S3RequestCounts = { get: 0, notModified: 0, put: 0, conditionalPut: 0, head: 0, delete: 0, list: 0 };
      for (const r of log.filter(filter)) {
        if (r.method === "GET") {
          counts.get++;
          if (r.status === 304) counts.notModified++;
        } else if (r.method === "PUT") {
          counts.put++;
          if (r.conditional) counts.conditionalPut++;
        } else if (r.method === "HEAD") counts.head++;
        else if (r.method === "DELETE") counts.delete++;
        else if (r.method === "LIST") counts.list++;
      }
      return counts;
    },
    reset() {
      log = [];
    },
    stop() {
      server.stop(true);
    },
  };
}
