import type { ApiHandler } from "../handler.ts";
import { consumerGroupDescribeApi } from "./consumer-group-describe.ts";
import { consumerGroupHeartbeatApi } from "./consumer-group-heartbeat.ts";
import { findCoordinatorApi } from "./coordinator.ts";
import { deleteGroupsApi } from "./delete-groups.ts";
import { describeGroupsApi } from "./describe-groups.ts";
import { heartbeatApi } from "./heartbeat.ts";
import { joinGroupApi } from "./join-group.ts";
import { leaveGroupApi } from "./leave-group.ts";
import { listGroupsApi } from "./list-groups.ts";
import { offsetCommitApi } from "./offset-commit.ts";
import { offsetDeleteApi } from "./offset-delete.ts";
import { offsetFetchApi } from "./offset-fetch.ts";
import { syncGroupApi } from "./sync-group.ts";

/** The group coordinator's APIs: classic and KIP-848 consumer groups, and committed offsets. */
export function groupApis(): ApiHandler[] {
  return [
    findCoordinatorApi,
    joinGroupApi,
    syncGroupApi,
    heartbeatApi,
    leaveGroupApi,
    offsetCommitApi,
    offsetFetchApi,
    offsetDeleteApi,
    describeGroupsApi,
    listGroupsApi,
    deleteGroupsApi,
    consumerGroupHeartbeatApi,
    consumerGroupDescribeApi,
  ];
}
