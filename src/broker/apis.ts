import { ApiKey } from "../protocol/generated/apis.ts";
import { apiVersionsApi } from "./api-versions.ts";
import type { ListedApi } from "./handler.ts";

/**
 * Every API this broker serves, with the versions ApiVersions advertises. Each is loaded on its
 * first request (lazyApi): start-up evaluates this table and ApiVersions only, which keeps a
 * broker's start-up time and idle memory near a bare listener's (docs/BENCHMARKS.md, Startup;
 * test/cli/startup-path.test.ts fails when a module joins the start-up path). New APIs go in
 * here the same way: import() their module, never a static import. The table is data, not
 * handler objects: making ~50 of them at start-up took enough calls for the JIT to compile
 * their maker before the first request.
 */
export function allApis(): ListedApi[] {
  const apis: ListedApi[] = [
    [ApiKey.Produce, 0, 11, async () => (await import("./produce.ts")).produceApi],
    [ApiKey.Fetch, 0, 17, async () => (await import("./fetch.ts")).fetchApi],
    [ApiKey.ListOffsets, 0, 10, async () => (await import("./list-offsets.ts")).listOffsetsApi],
    [ApiKey.Metadata, 0, 12, async () => (await import("./metadata.ts")).metadataApi],
    [ApiKey.CreateTopics, 0, 7, async () => (await import("./topics.ts")).createTopicsApi],
    [ApiKey.DeleteTopics, 0, 6, async () => (await import("./topics.ts")).deleteTopicsApi],
    [ApiKey.CreatePartitions, 0, 3, async () => (await import("./topics.ts")).createPartitionsApi],
    [ApiKey.DeleteRecords, 0, 2, async () => (await import("./list-offsets.ts")).deleteRecordsApi],
    [ApiKey.OffsetForLeaderEpoch, 0, 4, async () => (await import("./list-offsets.ts")).offsetForLeaderEpochApi],
    [ApiKey.DescribeConfigs, 0, 4, async () => (await import("./configs.ts")).describeConfigsApi],
    [ApiKey.AlterConfigs, 0, 2, async () => (await import("./configs.ts")).alterConfigsApi],
    [ApiKey.IncrementalAlterConfigs, 0, 1, async () => (await import("./configs.ts")).incrementalAlterConfigsApi],
    [ApiKey.DescribeCluster, 0, 1, async () => (await import("./metadata.ts")).describeClusterApi],
    [ApiKey.DescribeTopicPartitions, 0, 0, async () => (await import("./metadata.ts")).describeTopicPartitionsApi],
    // Security: SASL, SCRAM credentials, ACLs and client quotas.
    [ApiKey.SaslHandshake, 0, 1, async () => (await import("./sasl.ts")).saslHandshakeApi],
    [ApiKey.SaslAuthenticate, 0, 2, async () => (await import("./sasl.ts")).saslAuthenticateApi],
    [ApiKey.AlterUserScramCredentials, 0, 0, async () => (await import("./scram-credentials.ts")).alterUserScramCredentialsApi],
    [ApiKey.DescribeUserScramCredentials, 0, 0, async () => (await import("./scram-credentials.ts")).describeUserScramCredentialsApi],
    [ApiKey.CreateAcls, 0, 3, async () => (await import("./acls.ts")).createAclsApi],
    [ApiKey.DescribeAcls, 0, 3, async () => (await import("./acls.ts")).describeAclsApi],
    [ApiKey.DeleteAcls, 0, 3, async () => (await import("./acls.ts")).deleteAclsApi],
    [ApiKey.AlterClientQuotas, 0, 1, async () => (await import("./client-quotas.ts")).alterClientQuotasApi],
    [ApiKey.DescribeClientQuotas, 0, 1, async () => (await import("./client-quotas.ts")).describeClientQuotasApi],
    // The idempotent-producer and transaction coordinator.
    [ApiKey.InitProducerId, 0, 5, async () => (await import("./transactions/init-producer-id.ts")).initProducerIdApi],
    [ApiKey.AddPartitionsToTxn, 0, 5, async () => (await import("./transactions/add-partitions-to-txn.ts")).addPartitionsToTxnApi],
    [ApiKey.AddOffsetsToTxn, 0, 4, async () => (await import("./transactions/add-offsets-to-txn.ts")).addOffsetsToTxnApi],
    [ApiKey.TxnOffsetCommit, 0, 4, async () => (await import("./transactions/txn-offset-commit.ts")).txnOffsetCommitApi],
    [ApiKey.EndTxn, 0, 4, async () => (await import("./transactions/end-txn.ts")).endTxnApi],
    [ApiKey.DescribeTransactions, 0, 0, async () => (await import("./transactions/describe-transactions.ts")).describeTransactionsApi],
    [ApiKey.ListTransactions, 0, 1, async () => (await import("./transactions/list-transactions.ts")).listTransactionsApi],
    // The group coordinator: classic and KIP-848 consumer groups, and committed offsets.
    [ApiKey.FindCoordinator, 0, 6, async () => (await import("./groups/coordinator.ts")).findCoordinatorApi],
    [ApiKey.JoinGroup, 0, 9, async () => (await import("./groups/join-group.ts")).joinGroupApi],
    [ApiKey.SyncGroup, 0, 5, async () => (await import("./groups/sync-group.ts")).syncGroupApi],
    [ApiKey.Heartbeat, 0, 4, async () => (await import("./groups/heartbeat.ts")).heartbeatApi],
    [ApiKey.LeaveGroup, 0, 5, async () => (await import("./groups/leave-group.ts")).leaveGroupApi],
    [ApiKey.OffsetCommit, 0, 9, async () => (await import("./groups/offset-commit.ts")).offsetCommitApi],
    [ApiKey.OffsetFetch, 0, 9, async () => (await import("./groups/offset-fetch.ts")).offsetFetchApi],
    [ApiKey.OffsetDelete, 0, 0, async () => (await import("./groups/offset-delete.ts")).offsetDeleteApi],
    [ApiKey.DescribeGroups, 0, 5, async () => (await import("./groups/describe-groups.ts")).describeGroupsApi],
    [ApiKey.ListGroups, 0, 5, async () => (await import("./groups/list-groups.ts")).listGroupsApi],
    [ApiKey.DeleteGroups, 0, 2, async () => (await import("./groups/delete-groups.ts")).deleteGroupsApi],
    [ApiKey.ConsumerGroupHeartbeat, 0, 1, async () => (await import("./groups/consumer-group-heartbeat.ts")).consumerGroupHeartbeatApi],
    [ApiKey.ConsumerGroupDescribe, 0, 0, async () => (await import("./groups/consumer-group-describe.ts")).consumerGroupDescribeApi],
    // Share groups (KIP-932).
    [ApiKey.ShareGroupHeartbeat, 1, 1, async () => (await import("./share/share-group-heartbeat.ts")).shareGroupHeartbeatApi],
    [ApiKey.ShareGroupDescribe, 1, 1, async () => (await import("./share/share-group-describe.ts")).shareGroupDescribeApi],
    [ApiKey.ShareFetch, 1, 1, async () => (await import("./share/share-fetch.ts")).shareFetchApi],
    [ApiKey.ShareAcknowledge, 1, 1, async () => (await import("./share/share-acknowledge.ts")).shareAcknowledgeApi],
    [ApiKey.DescribeShareGroupOffsets, 0, 1, async () => (await import("./share/share-offsets.ts")).describeShareGroupOffsetsApi],
    [ApiKey.AlterShareGroupOffsets, 0, 0, async () => (await import("./share/share-offsets.ts")).alterShareGroupOffsetsApi],
    [ApiKey.DeleteShareGroupOffsets, 0, 0, async () => (await import("./share/share-offsets.ts")).deleteShareGroupOffsetsApi],
  ];
  const apiVersions = apiVersionsApi(() => apis);
  apis.push([ApiKey.ApiVersions, apiVersions.minVersion, apiVersions.maxVersion, async () => apiVersions]);
  return apis;
}
