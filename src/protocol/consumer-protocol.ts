// The embedded "consumer" protocol of classic groups: the version-prefixed assignment a leader
// sends each member through SyncGroup, which DescribeGroups returns as opaque bytes.
import { decodeConsumerProtocolAssignment } from "./generated/consumer-protocol-assignment.ts";
import { Reader } from "./reader.ts";

/** Topic partitions of a ConsumerProtocolAssignment (any version); empty bytes assign nothing. @throws ProtocolError */
export function decodeConsumerAssignment(bytes: Uint8Array): Array<{ topic: string; partitions: number[] }> {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  const version = r.readInt16();
  return decodeConsumerProtocolAssignment(r, version).assignedPartitions.map((t) => ({ topic: t.topic, partitions: [...t.partitions].sort((a, b) => a - b) }));
}
