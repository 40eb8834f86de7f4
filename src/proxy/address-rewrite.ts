// Responses that carry broker addresses, rewritten so that clients only ever learn the proxy's. Each is decoded
// with the codec, changed, and encoded again; everything else passes through as bytes.
import { ErrorCode } from "../protocol/error-codes.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import type { DescribeClusterResponse } from "../protocol/generated/describe-cluster.ts";
import type { FindCoordinatorResponse } from "../protocol/generated/find-coordinator.ts";
import type { MetadataResponse } from "../protocol/generated/metadata.ts";
import type { BrokerPorts } from "./broker-ports.ts";

type Rewrite = (body: any, ports: BrokerPorts, apiVersion: number) => void;

function rewriteMetadata(body: MetadataResponse, ports: BrokerPorts): void {
  body.brokers = body.brokers.flatMap((broker) => {
    const address = ports.advertise(broker);
    return address ? [{ ...broker, ...address }] : [];
  });
}

function rewriteDescribeCluster(body: DescribeClusterResponse, ports: BrokerPorts): void {
  body.brokers = body.brokers.flatMap((broker) => {
    const address = ports.advertise(broker);
    return address ? [{ ...broker, ...address }] : [];
  });
}

/** A coordinator that was found gets the proxy's address; one that could not be served is COORDINATOR_NOT_AVAILABLE. */
function rewriteCoordinator<T extends { errorCode?: number; nodeId?: number; host?: string; port?: number }>(c: T, ports: BrokerPorts): void {
  if ((c.errorCode ?? 0) !== 0 || !c.host || c.port === undefined || c.port < 0) return;
  const address = ports.advertise({ host: c.host, port: c.port });
  if (address) {
    c.host = address.host;
    c.port = address.port;
  } else {
    Object.assign(c, { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: "", port: -1 });
  }
}

function rewriteFindCoordinator(body: FindCoordinatorResponse, ports: BrokerPorts, apiVersion: number): void {
  // v0-3 name one coordinator at the top level, v4+ one per key.
  if (apiVersion <= 3) rewriteCoordinator(body, ports);
  else for (const coordinator of body.coordinators ?? []) rewriteCoordinator(coordinator, ports);
}

const REWRITES = new Map<number, Rewrite>([
  [ApiKey.Metadata, rewriteMetadata],
  [ApiKey.FindCoordinator, rewriteFindCoordinator],
  [ApiKey.DescribeCluster, rewriteDescribeCluster],
]);

/** The in-place rewrite of a decoded response body for `apiKey`, or undefined when it carries no addresses. */
export function addressRewrite(apiKey: number): Rewrite | undefined {
  return REWRITES.get(apiKey);
}
