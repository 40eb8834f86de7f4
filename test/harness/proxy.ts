import { BROKER_BINARY, tempDir } from "./broker.ts";
import { freePortRange } from "./free-port.ts";
import { spawnListening, type ListeningProcess } from "./listening-process.ts";

export interface StartProxyOptions {
  /** Ports after the listener's, one per upstream broker (--broker-port-count). */
  brokerPortCount?: number;
  env?: Record<string, string>;
  args?: string[];
}

export interface RunningProxy extends ListeningProcess {
  port: number;
  /** Bootstrap address for clients, host:port. */
  url: string;
  /** Every port the proxy serves: the listener's and the broker ports after it. */
  ports: number[];
}

/** Starts `dist/tansu proxy` on 127.0.0.1 in front of `upstreams` (host:port each). */
export async function startProxy(upstreams: string[], options: StartProxyOptions = {}): Promise<RunningProxy> {
  const brokerPortCount = options.brokerPortCount ?? 4;
  const port = freePortRange(brokerPortCount + 1);
  const listener = `tcp://127.0.0.1:${port}`;
  const running = await spawnListening(
    [
      BROKER_BINARY,
      "proxy",
      "--upstream",
      upstreams.join(","),
      "--listener-url",
      listener,
      "--advertised-listener-url",
      listener,
      "--broker-port-count",
      String(brokerPortCount),
      ...(options.args ?? []),
    ],
    { env: options.env, cwd: tempDir("tansu-proxy-") },
  );
  return { ...running, port, url: `127.0.0.1:${port}`, ports: Array.from({ length: brokerPortCount + 1 }, (_, i) => port + i) };
}
