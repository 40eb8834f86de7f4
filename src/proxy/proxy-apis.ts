// Which APIs and versions the proxy forwards, and the ApiVersions answer built from them.
//
// Clients see the intersection of this table with what the upstream advertises. The table holds the APIs a
// Kafka client sends to a broker, at the versions our codec knows (the proxy must be able to decode any
// response that carries broker addresses). Held back:
// - Produce v10+ and Fetch v16+: their responses may carry leader endpoints (KIP-951) that would have to be
//   rewritten, which means decoding every produce and fetch response instead of passing it through as bytes;
//   clients fall back to a metadata refresh, as they do with older brokers.
// - SaslHandshake v0, after which SASL tokens travel without Kafka request headers (v1 wraps them in
//   SaslAuthenticate, which passes through like any request).
// - ShareFetch and ShareAcknowledge (node endpoints in every response, records inside), DescribeQuorum
//   (controller endpoints), and the broker-to-broker and controller APIs no client sends.
import { ApiKey, apiSpec } from "../protocol/generated/apis.ts";
import type { ApiVersionsResponse } from "../protocol/generated/api-versions.ts";

export interface VersionRange {
  minVersion: number;
  maxVersion: number;
}

const CLIENT_APIS: ReadonlyArray<number> = [
  ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.Metadata, ApiKey.OffsetCommit, ApiKey.OffsetFetch,
  ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.SyncGroup,
  ApiKey.DescribeGroups, ApiKey.ListGroups, ApiKey.SaslHandshake, ApiKey.ApiVersions, ApiKey.CreateTopics,
  ApiKey.DeleteTopics, ApiKey.DeleteRecords, ApiKey.InitProducerId, ApiKey.OffsetForLeaderEpoch,
  ApiKey.AddPartitionsToTxn, ApiKey.AddOffsetsToTxn, ApiKey.EndTxn, ApiKey.TxnOffsetCommit, ApiKey.DescribeAcls,
  ApiKey.CreateAcls, ApiKey.DeleteAcls, ApiKey.DescribeConfigs, ApiKey.AlterConfigs, ApiKey.AlterReplicaLogDirs,
  ApiKey.DescribeLogDirs, ApiKey.SaslAuthenticate, ApiKey.CreatePartitions, ApiKey.CreateDelegationToken,
  ApiKey.RenewDelegationToken, ApiKey.ExpireDelegationToken, ApiKey.DescribeDelegationToken, ApiKey.DeleteGroups,
  ApiKey.ElectLeaders, ApiKey.IncrementalAlterConfigs, ApiKey.AlterPartitionReassignments,
  ApiKey.ListPartitionReassignments, ApiKey.OffsetDelete, ApiKey.DescribeClientQuotas, ApiKey.AlterClientQuotas,
  ApiKey.DescribeUserScramCredentials, ApiKey.AlterUserScramCredentials, ApiKey.UpdateFeatures,
  ApiKey.DescribeCluster, ApiKey.DescribeProducers, ApiKey.DescribeTransactions, ApiKey.ListTransactions,
  ApiKey.ConsumerGroupHeartbeat, ApiKey.ConsumerGroupDescribe, ApiKey.GetTelemetrySubscriptions,
  ApiKey.PushTelemetry, ApiKey.ListClientMetricsResources, ApiKey.DescribeTopicPartitions,
  ApiKey.ShareGroupHeartbeat, ApiKey.ShareGroupDescribe, ApiKey.DescribeShareGroupOffsets,
  ApiKey.AlterShareGroupOffsets, ApiKey.DeleteShareGroupOffsets,
];

const MAX_VERSION_CAPS = new Map<number, number>([
  [ApiKey.Produce, 9],
  [ApiKey.Fetch, 15],
]);
const MIN_VERSION_FLOORS = new Map<number, number>([[ApiKey.SaslHandshake, 1]]);

/** What the proxy handles, per API key. */
export const PROXY_APIS: ReadonlyMap<number, VersionRange> = new Map(
  CLIENT_APIS.map((apiKey) => {
    const spec = apiSpec(apiKey)!;
    return [
      apiKey,
      {
        minVersion: Math.max(spec.minVersion, MIN_VERSION_FLOORS.get(apiKey) ?? spec.minVersion),
        maxVersion: Math.min(spec.maxVersion, MAX_VERSION_CAPS.get(apiKey) ?? spec.maxVersion),
      },
    ];
  }),
);

export function proxyHandles(apiKey: number, apiVersion: number): boolean {
  const range = PROXY_APIS.get(apiKey);
  return range !== undefined && apiVersion >= range.minVersion && apiVersion <= range.maxVersion;
}

/** The proxy's own table, for answering an ApiVersions request of a version it cannot forward (KIP-511). */
export function proxyApiVersions(errorCode: number): ApiVersionsResponse {
  return { errorCode, apiKeys: [...PROXY_APIS].map(([apiKey, range]) => ({ apiKey, ...range })), throttleTimeMs: 0 };
}

/** The upstream's answer narrowed to what the proxy handles; features and errors are the upstream's. */
export function intersectApiVersions(upstream: ApiVersionsResponse): ApiVersionsResponse {
  const apiKeys: ApiVersionsResponse["apiKeys"] = [];
  for (const offered of upstream.apiKeys) {
    const ours = PROXY_APIS.get(offered.apiKey);
    if (!ours) continue;
    const minVersion = Math.max(ours.minVersion, offered.minVersion);
    const maxVersion = Math.min(ours.maxVersion, offered.maxVersion);
    if (minVersion <= maxVersion) apiKeys.push({ apiKey: offered.apiKey, minVersion, maxVersion });
  }
  return { ...upstream, apiKeys };
}
