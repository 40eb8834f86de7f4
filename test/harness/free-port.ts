/** A loopback TCP port that was free a moment ago: bind port 0, read what the kernel picked, release it. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
