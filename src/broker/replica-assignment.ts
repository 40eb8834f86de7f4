// Manual replica assignments in CreateTopics and CreatePartitions, validated as Kafka's KRaft controller
// does (ReplicationControlManager), with its error codes and messages. Every tansu broker serves every
// partition, so an assignment only has to name node ids this broker reports; it is checked, not stored.

import { ErrorCode } from "../protocol/error-codes.ts";

/** A refused assignment: Kafka's error code and message. */
export interface AssignmentError {
  errorCode: number;
  message: string;
}

const invalid = (message: string): AssignmentError => ({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message });

/**
 * One partition's replicas: not empty, only node ids the cluster has, none twice, and (when given) as many as
 * the partitions before it have. Null when acceptable.
 */
export function partitionAssignmentError(replicas: readonly number[], nodeIds: ReadonlySet<number>, replicationFactor?: number): AssignmentError | null {
  if (replicas.length === 0) return invalid("The manual partition assignment includes an empty replica list.");
  const sorted = [...replicas].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    if (!nodeIds.has(sorted[i]!)) return invalid(`The manual partition assignment includes broker ${sorted[i]}, but no such broker is registered.`);
    if (i > 0 && sorted[i] === sorted[i - 1]) return invalid(`The manual partition assignment includes the broker ${sorted[i]} more than once.`);
  }
  if (replicationFactor !== undefined && sorted.length !== replicationFactor) {
    return invalid(
      `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    );
  }
  return null;
}

/** What a valid CreateTopics assignment creates. */
export interface AssignedTopic {
  partitions: number;
  replicationFactor: number;
}

/** A CreateTopics topic with assignments: its partition count and replication factor, or why Kafka refuses it. */
export function createTopicAssignment(
  topic: { numPartitions: number; replicationFactor: number; assignments: ReadonlyArray<{ partitionIndex: number; brokerIds: number[] }> },
  nodeIds: ReadonlySet<number>,
): AssignedTopic | AssignmentError {
  if (topic.replicationFactor !== -1) {
    return { errorCode: ErrorCode.INVALID_REQUEST, message: "A manual partition assignment was specified, but replication factor was not set to -1." };
  }
  if (topic.numPartitions !== -1) {
    return { errorCode: ErrorCode.INVALID_REQUEST, message: "A manual partition assignment was specified, but numPartitions was not set to -1." };
  }
  const seen = new Set<number>();
  let replicationFactor: number | undefined;
  for (const { partitionIndex, brokerIds } of topic.assignments) {
    if (seen.has(partitionIndex)) return invalid(`Found multiple manual partition assignments for partition ${partitionIndex}`);
    const error = partitionAssignmentError(brokerIds, nodeIds, replicationFactor);
    if (error) return error;
    seen.add(partitionIndex);
    replicationFactor = brokerIds.length;
  }
  for (let i = 0; i < seen.size; i++) {
    if (!seen.has(i)) return invalid("partitions should be a consecutive 0-based integer sequence");
  }
  return { partitions: seen.size, replicationFactor: replicationFactor! };
}

/**
 * A CreatePartitions assignment for the `added` new partitions of a topic whose partitions have
 * `replicationFactor` replicas: null when acceptable.
 */
export function createPartitionsAssignmentError(
  assignments: ReadonlyArray<{ brokerIds: number[] }>,
  added: number,
  replicationFactor: number,
  nodeIds: ReadonlySet<number>,
): AssignmentError | null {
  if (assignments.length !== added) {
    return invalid(`Attempted to add ${added} additional partition(s), but only ${assignments.length} assignment(s) were specified.`);
  }
  for (const { brokerIds } of assignments) {
    const error = partitionAssignmentError(brokerIds, nodeIds, replicationFactor);
    if (error) return error;
  }
  return null;
}

export function isAssignmentError(result: AssignedTopic | AssignmentError): result is AssignmentError {
  return "errorCode" in result;
}
