/** A loopback TCP port that was free a moment ago: bind port 0, read what the kernel picked, release it. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** The first of `count` consecutive loopback ports that were all free a moment ago (a proxy and its broker ports). */
export function freePortRange(count: number): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const first = freePort();
    if (first + count > 65535) continue;
    const probes: Array<{ stop(closeActive?: boolean): void }> = [];
    try {
      for (let i = 0; i < count; i++) probes.push(Bun.listen({ hostname: "127.0.0.1", port: first + i, socket: { data() {} } }));
      return first;
    } catch {
      // One of them is taken: try another range.
    } finally {
      for (const probe of probes) probe.stop(true);
    }
  }
  throw new Error(`no ${count} consecutive free loopback ports found`);
}
