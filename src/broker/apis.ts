import { createAclsApi, deleteAclsApi, describeAclsApi } from "./acls.ts";
import { apiVersionsApi } from "./api-versions.ts";
import { alterClientQuotasApi, describeClientQuotasApi } from "./client-quotas.ts";
import { alterConfigsApi, describeConfigsApi, incrementalAlterConfigsApi } from "./configs.ts";
import { fetchApi } from "./fetch.ts";
import { groupApis } from "./groups/index.ts";
import type { ApiHandler } from "./handler.ts";
import { deleteRecordsApi, listOffsetsApi, offsetForLeaderEpochApi } from "./list-offsets.ts";
import { describeClusterApi, describeTopicPartitionsApi, metadataApi } from "./metadata.ts";
import { produceApi } from "./produce.ts";
import { shareApis } from "./share/index.ts";
import { saslAuthenticateApi, saslHandshakeApi } from "./sasl.ts";
import { alterUserScramCredentialsApi, describeUserScramCredentialsApi } from "./scram-credentials.ts";
import { createPartitionsApi, createTopicsApi, deleteTopicsApi } from "./topics.ts";
import { transactionApis } from "./transactions/index.ts";

/** Every API this broker serves; ApiVersions advertises exactly these. */
export function allApis(): ApiHandler[] {
  const apis: ApiHandler[] = [
    produceApi,
    fetchApi,
    listOffsetsApi,
    metadataApi,
    createTopicsApi,
    deleteTopicsApi,
    createPartitionsApi,
    deleteRecordsApi,
    offsetForLeaderEpochApi,
    describeConfigsApi,
    alterConfigsApi,
    incrementalAlterConfigsApi,
    describeClusterApi,
    describeTopicPartitionsApi,
    saslHandshakeApi,
    saslAuthenticateApi,
    alterUserScramCredentialsApi,
    describeUserScramCredentialsApi,
    createAclsApi,
    describeAclsApi,
    deleteAclsApi,
    alterClientQuotasApi,
    describeClientQuotasApi,
    ...transactionApis(),
    ...groupApis(),
    ...shareApis(),
  ];
  apis.push(apiVersionsApi(() => apis));
  return apis;
}
