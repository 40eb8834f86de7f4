// An in-process proxy on free loopback ports for protocol-level tests; integration tests with real clients
// run `dist/tansu proxy` instead.
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import type { Address } from "../../src/proxy/broker-ports.ts";
import type { RecordValidator } from "../../src/proxy/produce-validation.ts";
import { listenProxy, type RunningProxy } from "../../src/proxy/server.ts";
import { freePortRange } from "../harness/free-port.ts";

export interface InProcessProxy {
  proxy: RunningProxy;
  port: number;
  address: string;
  connect(): Promise<KafkaConnection>;
  stop(): Promise<void>;
}

export function addressOf(hostPort: string): Address {
  const colon = hostPort.lastIndexOf(":");
  return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
}

export function startInProcessProxy(
  upstreams: string[],
  options: { validator?: RecordValidator; brokerPortCount?: number; maxFrameBytes?: number } = {},
): InProcessProxy {
  const brokerPortCount = options.brokerPortCount ?? 4;
  const port = freePortRange(brokerPortCount + 1);
  const proxy = listenProxy({
    listener: { host: "127.0.0.1", port },
    advertised: { host: "127.0.0.1", port },
    upstreams: upstreams.map(addressOf),
    brokerPortCount,
    maxFrameBytes: options.maxFrameBytes ?? 8 * 1024 * 1024,
    validator: options.validator ?? null,
  });
  const address = `127.0.0.1:${port}`;
  const clients: KafkaConnection[] = [];
  return {
    proxy,
    port,
    address,
    async connect() {
      const c = await KafkaConnection.connect(address, "proxy-test");
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await proxy.stop(1000);
    },
  };
}
