import { ApiKey } from "../protocol/generated/apis.ts";
import { apiVersionsApi } from "./api-versions.ts";
import type { ApiHandler, ListedApi } from "./handler.ts";

/**
 * Every API this broker serves but ApiVersions, with the versions ApiVersions advertises: key, lowest and highest
 * version. Each is loaded on its first request (loadHandler): start-up evaluates this table and ApiVersions only,
 * which keeps a broker's start-up time and idle memory near a bare listener's (docs/BENCHMARKS.md, Startup;
 * test/cli/startup-path.test.ts fails when a module joins the start-up path). New APIs go in here and in
 * loadHandler the same way: import() their module, never a static import. Numbers in one constant array and one
 * loader, not an entry and a closure of its own per API: each distinct closure is a function the runtime sets up
 * when the table is made, at every start.
 */
const VERSIONS = [
  ApiKey.Produce, 0, 11,
  ApiKey.Fetch, 0, 17,
  ApiKey.ListOffsets, 0, 10,
  ApiKey.Metadata, 0, 12,
  ApiKey.CreateTopics, 0, 7,
  ApiKey.DeleteTopics, 0, 6,
  ApiKey.CreatePartitions, 0, 3,
  ApiKey.DeleteRecords, 0, 2,
  ApiKey.OffsetForLeaderEpoch, 0, 4,
  ApiKey.DescribeConfigs, 0, 4,
  ApiKey.AlterConfigs, 0, 2,
  ApiKey.IncrementalAlterConfigs, 0, 1,
  ApiKey.DescribeCluster, 0, 1,
  ApiKey.DescribeTopicPartitions, 0, 0,
  // Security: SASL, SCRAM credentials, ACLs and client quotas.
  ApiKey.SaslHandshake, 0, 1,
  ApiKey.SaslAuthenticate, 0, 2,
  ApiKey.AlterUserScramCredentials, 0, 0,
  ApiKey.DescribeUserScramCredentials, 0, 0,
  ApiKey.CreateAcls, 0, 3,
  ApiKey.DescribeAcls, 0, 3,
  ApiKey.DeleteAcls, 0, 3,
  ApiKey.AlterClientQuotas, 0, 1,
  ApiKey.DescribeClientQuotas, 0, 1,
  // The idempotent-producer and transaction coordinator.
  ApiKey.InitProducerId, 0, 5,
  ApiKey.AddPartitionsToTxn, 0, 5,
  ApiKey.AddOffsetsToTxn, 0, 4,
  ApiKey.TxnOffsetCommit, 0, 4,
  ApiKey.EndTxn, 0, 4,
  ApiKey.DescribeTransactions, 0, 0,
  ApiKey.ListTransactions, 0, 1,
  // The group coordinator: classic and KIP-848 consumer groups, and committed offsets.
  ApiKey.FindCoordinator, 0, 6,
  ApiKey.JoinGroup, 0, 9,
  ApiKey.SyncGroup, 0, 5,
  ApiKey.Heartbeat, 0, 4,
  ApiKey.LeaveGroup, 0, 5,
  ApiKey.OffsetCommit, 0, 9,
  ApiKey.OffsetFetch, 0, 9,
  ApiKey.OffsetDelete, 0, 0,
  ApiKey.DescribeGroups, 0, 5,
  ApiKey.ListGroups, 0, 5,
  ApiKey.DeleteGroups, 0, 2,
  ApiKey.ConsumerGroupHeartbeat, 0, 1,
  ApiKey.ConsumerGroupDescribe, 0, 0,
  // Share groups (KIP-932).
  ApiKey.ShareGroupHeartbeat, 1, 1,
  ApiKey.ShareGroupDescribe, 1, 1,
  ApiKey.ShareFetch, 1, 1,
  ApiKey.ShareAcknowledge, 1, 1,
  ApiKey.DescribeShareGroupOffsets, 0, 1,
  ApiKey.AlterShareGroupOffsets, 0, 0,
  ApiKey.DeleteShareGroupOffsets, 0, 0,
];

/** Imports the handler of an API in VERSIONS. */
async function loadHandler(apiKey: number): Promise<ApiHandler> {
  switch (apiKey) {
    case ApiKey.Produce:
      return (await import("./produce.ts")).produceApi;
    case ApiKey.Fetch:
      return (await import("./fetch.ts")).fetchApi;
    case ApiKey.ListOffsets:
      return (await import("./list-offsets.ts")).listOffsetsApi;
    case ApiKey.Metadata:
      return (await import("./metadata.ts")).metadataApi;
    case ApiKey.CreateTopics:
      return (await import("./topics.ts")).createTopicsApi;
    case ApiKey.DeleteTopics:
      return (await import("./topics.ts")).deleteTopicsApi;
    case ApiKey.CreatePartitions:
      return (await import("./topics.ts")).createPartitionsApi;
    case ApiKey.DeleteRecords:
      return (await import("./list-offsets.ts")).deleteRecordsApi;
    case ApiKey.OffsetForLeaderEpoch:
      return (await import("./list-offsets.ts")).offsetForLeaderEpochApi;
    case ApiKey.DescribeConfigs:
      return (await import("./configs.ts")).describeConfigsApi;
    case ApiKey.AlterConfigs:
      return (await import("./configs.ts")).alterConfigsApi;
    case ApiKey.IncrementalAlterConfigs:
      return (await import("./configs.ts")).incrementalAlterConfigsApi;
    case ApiKey.DescribeCluster:
      return (await import("./metadata.ts")).describeClusterApi;
    case ApiKey.DescribeTopicPartitions:
      return (await import("./metadata.ts")).describeTopicPartitionsApi;
    case ApiKey.SaslHandshake:
      return (await import("./sasl.ts")).saslHandshakeApi;
    case ApiKey.SaslAuthenticate:
      return (await import("./sasl.ts")).saslAuthenticateApi;
    case ApiKey.AlterUserScramCredentials:
      return (await import("./scram-credentials.ts")).alterUserScramCredentialsApi;
    case ApiKey.DescribeUserScramCredentials:
      return (await import("./scram-credentials.ts")).describeUserScramCredentialsApi;
    case ApiKey.CreateAcls:
      return (await import("./acls.ts")).createAclsApi;
    case ApiKey.DescribeAcls:
      return (await import("./acls.ts")).describeAclsApi;
    case ApiKey.DeleteAcls:
      return (await import("./acls.ts")).deleteAclsApi;
    case ApiKey.AlterClientQuotas:
      return (await import("./client-quotas.ts")).alterClientQuotasApi;
    case ApiKey.DescribeClientQuotas:
      return (await import("./client-quotas.ts")).describeClientQuotasApi;
    case ApiKey.InitProducerId:
      return (await import("./transactions/init-producer-id.ts")).initProducerIdApi;
    case ApiKey.AddPartitionsToTxn:
      return (await import("./transactions/add-partitions-to-txn.ts")).addPartitionsToTxnApi;
    case ApiKey.AddOffsetsToTxn:
      return (await import("./transactions/add-offsets-to-txn.ts")).addOffsetsToTxnApi;
    case ApiKey.TxnOffsetCommit:
      return (await import("./transactions/txn-offset-commit.ts")).txnOffsetCommitApi;
    case ApiKey.EndTxn:
      return (await import("./transactions/end-txn.ts")).endTxnApi;
    case ApiKey.DescribeTransactions:
      return (await import("./transactions/describe-transactions.ts")).describeTransactionsApi;
    case ApiKey.ListTransactions:
      return (await import("./transactions/list-transactions.ts")).listTransactionsApi;
    case ApiKey.FindCoordinator:
      return (await import("./groups/coordinator.ts")).findCoordinatorApi;
    case ApiKey.JoinGroup:
      return (await import("./groups/join-group.ts")).joinGroupApi;
    case ApiKey.SyncGroup:
      return (await import("./groups/sync-group.ts")).syncGroupApi;
    case ApiKey.Heartbeat:
      return (await import("./groups/heartbeat.ts")).heartbeatApi;
    case ApiKey.LeaveGroup:
      return (await import("./groups/leave-group.ts")).leaveGroupApi;
    case ApiKey.OffsetCommit:
      return (await import("./groups/offset-commit.ts")).offsetCommitApi;
    case ApiKey.OffsetFetch:
      return (await import("./groups/offset-fetch.ts")).offsetFetchApi;
    case ApiKey.OffsetDelete:
      return (await import("./groups/offset-delete.ts")).offsetDeleteApi;
    case ApiKey.DescribeGroups:
      return (await import("./groups/describe-groups.ts")).describeGroupsApi;
    case ApiKey.ListGroups:
      return (await import("./groups/list-groups.ts")).listGroupsApi;
    case ApiKey.DeleteGroups:
      return (await import("./groups/delete-groups.ts")).deleteGroupsApi;
    case ApiKey.ConsumerGroupHeartbeat:
      return (await import("./groups/consumer-group-heartbeat.ts")).consumerGroupHeartbeatApi;
    case ApiKey.ConsumerGroupDescribe:
      return (await import("./groups/consumer-group-describe.ts")).consumerGroupDescribeApi;
    case ApiKey.ShareGroupHeartbeat:
      return (await import("./share/share-group-heartbeat.ts")).shareGroupHeartbeatApi;
    case ApiKey.ShareGroupDescribe:
      return (await import("./share/share-group-describe.ts")).shareGroupDescribeApi;
    case ApiKey.ShareFetch:
      return (await import("./share/share-fetch.ts")).shareFetchApi;
    case ApiKey.ShareAcknowledge:
      return (await import("./share/share-acknowledge.ts")).shareAcknowledgeApi;
    case ApiKey.DescribeShareGroupOffsets:
      return (await import("./share/share-offsets.ts")).describeShareGroupOffsetsApi;
    case ApiKey.AlterShareGroupOffsets:
      return (await import("./share/share-offsets.ts")).alterShareGroupOffsetsApi;
    case ApiKey.DeleteShareGroupOffsets:
      return (await import("./share/share-offsets.ts")).deleteShareGroupOffsetsApi;
    default:
      throw new Error(`no handler for API key ${apiKey}`);
  }
}

/** The broker's API table, ApiVersions included: what the dispatcher serves and ApiVersions advertises. */
export function allApis(): ListedApi[] {
  const apis: ListedApi[] = [];
  for (let i = 0; i < VERSIONS.length; i += 3) apis.push([VERSIONS[i]!, VERSIONS[i + 1]!, VERSIONS[i + 2]!, loadHandler]);
  const apiVersions = apiVersionsApi(() => apis);
  apis.push([ApiKey.ApiVersions, apiVersions.minVersion, apiVersions.maxVersion, async () => apiVersions]);
  return apis;
}
