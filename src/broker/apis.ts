import { ApiKey } from "../protocol/generated/apis.ts";
import { apiVersionsApi } from "./api-versions.ts";
import { lazyApi, type ApiHandler } from "./handler.ts";

/**
 * Every API this broker serves; ApiVersions advertises exactly these. Each is loaded on its
 * first request (lazyApi): start-up evaluates this table and ApiVersions only, which keeps a
 * broker's start-up time and idle memory near a bare listener's (docs/BENCHMARKS.md, Startup;
 * test/cli/startup-path.test.ts fails when a module joins the start-up path). New APIs go in
 * here the same way: import() their module, never a static import.
 */
export function allApis(): ApiHandler[] {
  const apis: ApiHandler[] = [
    lazyApi(ApiKey.Produce, 0, 11, async () => (await import("./produce.ts")).produceApi),
    lazyApi(ApiKey.Fetch, 0, 17, async () => (await import("./fetch.ts")).fetchApi),
    lazyApi(ApiKey.ListOffsets, 0, 10, async () => (await import("./list-offsets.ts")).listOffsetsApi),
    lazyApi(ApiKey.Metadata, 0, 12, async () => (await import("./metadata.ts")).metadataApi),
    lazyApi(ApiKey.CreateTopics, 0, 7, async () => (await import("./topics.ts")).createTopicsApi),
    lazyApi(ApiKey.DeleteTopics, 0, 6, async () => (await import("./topics.ts")).deleteTopicsApi),
    lazyApi(ApiKey.CreatePartitions, 0, 3, async () => (await import("./topics.ts")).createPartitionsApi),
    lazyApi(ApiKey.DeleteRecords, 0, 2, async () => (await import("./list-offsets.ts")).deleteRecordsApi),
    lazyApi(ApiKey.OffsetForLeaderEpoch, 0, 4, async () => (await import("./list-offsets.ts")).offsetForLeaderEpochApi),
    lazyApi(ApiKey.DescribeConfigs, 0, 4, async () => (await import("./configs.ts")).describeConfigsApi),
    lazyApi(ApiKey.AlterConfigs, 0, 2, async () => (await import("./configs.ts")).alterConfigsApi),
    lazyApi(ApiKey.IncrementalAlterConfigs, 0, 1, async () => (await import("./configs.ts")).incrementalAlterConfigsApi),
    lazyApi(ApiKey.DescribeCluster, 0, 1, async () => (await import("./metadata.ts")).describeClusterApi),
    lazyApi(ApiKey.DescribeTopicPartitions, 0, 0, async () => (await import("./metadata.ts")).describeTopicPartitionsApi),
    // Security: SASL, SCRAM credentials, ACLs and client quotas.
    lazyApi(ApiKey.SaslHandshake, 0, 1, async () => (await import("./sasl.ts")).saslHandshakeApi),
    lazyApi(ApiKey.SaslAuthenticate, 0, 2, async () => (await import("./sasl.ts")).saslAuthenticateApi),
    lazyApi(ApiKey.AlterUserScramCredentials, 0, 0, async () => (await import("./scram-credentials.ts")).alterUserScramCredentialsApi),
    lazyApi(ApiKey.DescribeUserScramCredentials, 0, 0, async () => (await import("./scram-credentials.ts")).describeUserScramCredentialsApi),
    lazyApi(ApiKey.CreateAcls, 0, 3, async () => (await import("./acls.ts")).createAclsApi),
    lazyApi(ApiKey.DescribeAcls, 0, 3, async () => (await import("./acls.ts")).describeAclsApi),
    lazyApi(ApiKey.DeleteAcls, 0, 3, async () => (await import("./acls.ts")).deleteAclsApi),
    lazyApi(ApiKey.AlterClientQuotas, 0, 1, async () => (await import("./client-quotas.ts")).alterClientQuotasApi),
    lazyApi(ApiKey.DescribeClientQuotas, 0, 1, async () => (await import("./client-quotas.ts")).describeClientQuotasApi),
    // The idempotent-producer and transaction coordinator.
    lazyApi(ApiKey.InitProducerId, 0, 5, async () => (await import("./transactions/init-producer-id.ts")).initProducerIdApi),
    lazyApi(ApiKey.AddPartitionsToTxn, 0, 5, async () => (await import("./transactions/add-partitions-to-txn.ts")).addPartitionsToTxnApi),
    lazyApi(ApiKey.AddOffsetsToTxn, 0, 4, async () => (await import("./transactions/add-offsets-to-txn.ts")).addOffsetsToTxnApi),
    lazyApi(ApiKey.TxnOffsetCommit, 0, 4, async () => (await import("./transactions/txn-offset-commit.ts")).txnOffsetCommitApi),
    lazyApi(ApiKey.EndTxn, 0, 4, async () => (await import("./transactions/end-txn.ts")).endTxnApi),
    lazyApi(ApiKey.DescribeTransactions, 0, 0, async () => (await import("./transactions/describe-transactions.ts")).describeTransactionsApi),
    lazyApi(ApiKey.ListTransactions, 0, 1, async () => (await import("./transactions/list-transactions.ts")).listTransactionsApi),
    // The group coordinator: classic and KIP-848 consumer groups, and committed offsets.
    lazyApi(ApiKey.FindCoordinator, 0, 6, async () => (await import("./groups/coordinator.ts")).findCoordinatorApi),
    lazyApi(ApiKey.JoinGroup, 0, 9, async () => (await import("./groups/join-group.ts")).joinGroupApi),
    lazyApi(ApiKey.SyncGroup, 0, 5, async () => (await import("./groups/sync-group.ts")).syncGroupApi),
    lazyApi(ApiKey.Heartbeat, 0, 4, async () => (await import("./groups/heartbeat.ts")).heartbeatApi),
    lazyApi(ApiKey.LeaveGroup, 0, 5, async () => (await import("./groups/leave-group.ts")).leaveGroupApi),
    lazyApi(ApiKey.OffsetCommit, 0, 9, async () => (await import("./groups/offset-commit.ts")).offsetCommitApi),
    lazyApi(ApiKey.OffsetFetch, 0, 9, async () => (await import("./groups/offset-fetch.ts")).offsetFetchApi),
    lazyApi(ApiKey.OffsetDelete, 0, 0, async () => (await import("./groups/offset-delete.ts")).offsetDeleteApi),
    lazyApi(ApiKey.DescribeGroups, 0, 5, async () => (await import("./groups/describe-groups.ts")).describeGroupsApi),
    lazyApi(ApiKey.ListGroups, 0, 5, async () => (await import("./groups/list-groups.ts")).listGroupsApi),
    lazyApi(ApiKey.DeleteGroups, 0, 2, async () => (await import("./groups/delete-groups.ts")).deleteGroupsApi),
    lazyApi(ApiKey.ConsumerGroupHeartbeat, 0, 1, async () => (await import("./groups/consumer-group-heartbeat.ts")).consumerGroupHeartbeatApi),
    lazyApi(ApiKey.ConsumerGroupDescribe, 0, 0, async () => (await import("./groups/consumer-group-describe.ts")).consumerGroupDescribeApi),
    // Share groups (KIP-932).
    lazyApi(ApiKey.ShareGroupHeartbeat, 1, 1, async () => (await import("./share/share-group-heartbeat.ts")).shareGroupHeartbeatApi),
    lazyApi(ApiKey.ShareGroupDescribe, 1, 1, async () => (await import("./share/share-group-describe.ts")).shareGroupDescribeApi),
    lazyApi(ApiKey.ShareFetch, 1, 1, async () => (await import("./share/share-fetch.ts")).shareFetchApi),
    lazyApi(ApiKey.ShareAcknowledge, 1, 1, async () => (await import("./share/share-acknowledge.ts")).shareAcknowledgeApi),
    lazyApi(ApiKey.DescribeShareGroupOffsets, 0, 1, async () => (await import("./share/share-offsets.ts")).describeShareGroupOffsetsApi),
    lazyApi(ApiKey.AlterShareGroupOffsets, 0, 0, async () => (await import("./share/share-offsets.ts")).alterShareGroupOffsetsApi),
    lazyApi(ApiKey.DeleteShareGroupOffsets, 0, 0, async () => (await import("./share/share-offsets.ts")).deleteShareGroupOffsetsApi),
  ];
  apis.push(apiVersionsApi(() => apis));
  return apis;
}
