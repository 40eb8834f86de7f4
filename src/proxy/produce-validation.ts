// Record validation at the proxy: the seam the schema layer plugs into. Only when a validator is configured
// does the proxy decode Produce requests; it asks the validator about each partition's batch and answers
// INVALID_RECORD with record_errors itself, so the upstream never sees a rejected batch. Valid partitions of
// the same request are still forwarded (in a re-encoded request), and the upstream's answer for them is
// merged with the rejections into one response, as a broker validating per partition would answer.
import { ErrorCode } from "../protocol/error-codes.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import type { ProduceRequest, ProduceResponse } from "../protocol/generated/produce.ts";
import { upconvertMessageSet } from "../protocol/legacy-message-set.ts";
import { decodeRequestBody, decodeResponse, encodeRequest, encodeResponse, type RequestHeader } from "../protocol/messages.ts";

/** One rejected record: its index in the batch (0-based, Kafka's batch_index) and why. */
export interface RecordError {
  index: number;
  message: string;
}

/** Why a batch is refused: the partition's error_message, and the offending records (none when the whole batch is). */
export interface BatchRejection {
  message: string;
  records: RecordError[];
}

/**
 * Validates the records produced to one partition. `batch` holds the partition's magic-2 record batch bytes
 * exactly as the client sent them (a Produce v0-2 legacy message set is converted to one batch first).
 * Returns null when the batch may go upstream. May throw a ProtocolError for a batch it cannot read
 * (answered as CORRUPT_MESSAGE); any other error is a bug and closes the client's connection.
 */
export type RecordValidator = (topic: string, partition: number, batch: Uint8Array) => BatchRejection | null | Promise<BatchRejection | null>;

type PartitionResponse = ProduceResponse["responses"][number]["partitionResponses"][number];

/** Partitions answered by the proxy, by topic. */
export type Rejections = Map<string, PartitionResponse[]>;

export type ProduceVerdict =
  /** Nothing rejected: forward the request as it came. */
  | { kind: "forward" }
  /** Some partitions rejected: forward `request` (the others) and merge `rejected` into the upstream's answer. */
  | { kind: "forward-rest"; request: Uint8Array; rejected: Rejections }
  /** Every partition rejected: the proxy answers alone. */
  | { kind: "reject"; rejected: Rejections };

function rejection(index: number, errorCode: number, message: string, recordErrors: RecordError[]): PartitionResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: recordErrors.map((e) => ({ batchIndex: e.index, batchIndexErrorMessage: e.message })),
    errorMessage: message,
  };
}

async function validatePartition(validator: RecordValidator, topic: string, index: number, records: Uint8Array, apiVersion: number): Promise<PartitionResponse | null> {
  let refused: BatchRejection | null;
  try {
    refused = await validator(topic, index, apiVersion < 3 ? upconvertMessageSet(records) : records);
  } catch (error) {
    if (error instanceof ProtocolError) return rejection(index, ErrorCode.CORRUPT_MESSAGE, error.message, []);
    throw new Error(`validating a batch for ${topic}-${index}: ${(error as Error).message}`, { cause: error });
  }
  return refused && rejection(index, ErrorCode.INVALID_RECORD, refused.message, refused.records);
}

/**
 * Validates every partition of a Produce request (`frame` without its size prefix). Throws ProtocolError
 * when the request cannot be decoded.
 */
export async function validateProduce(
  validator: RecordValidator,
  header: RequestHeader,
  frame: Uint8Array,
  bodyOffset: number,
): Promise<{ acks: number; verdict: ProduceVerdict }> {
  const request = (await decodeRequestBody<typeof ApiKey.Produce>(header, frame, bodyOffset)) as ProduceRequest;
  const rejected: Rejections = new Map();
  const kept: ProduceRequest["topicData"] = [];
  for (const topic of request.topicData) {
    const valid: typeof topic.partitionData = [];
    for (const partition of topic.partitionData) {
      const records = partition.records;
      // An empty partition is the upstream's to refuse.
      const refused = records && records.byteLength > 0 ? await validatePartition(validator, topic.name, partition.index, records, header.apiVersion) : null;
      if (refused) {
        const list = rejected.get(topic.name) ?? [];
        list.push(refused);
        rejected.set(topic.name, list);
      } else {
        valid.push(partition);
      }
    }
    if (valid.length > 0) kept.push({ ...topic, partitionData: valid });
  }
  const acks = request.acks;
  if (rejected.size === 0) return { acks, verdict: { kind: "forward" } };
  if (kept.length === 0) return { acks, verdict: { kind: "reject", rejected } };
  return { acks, verdict: { kind: "forward-rest", request: await encodeRequest(header, { ...request, topicData: kept }), rejected } };
}

function withRejections(response: ProduceResponse, rejected: Rejections): ProduceResponse {
  const responses = response.responses.map((t) => ({ ...t, partitionResponses: [...t.partitionResponses] }));
  for (const [name, partitions] of rejected) {
    const topic = responses.find((t) => t.name === name);
    if (topic) topic.partitionResponses.push(...partitions);
    else responses.push({ name, partitionResponses: partitions });
  }
  return { ...response, responses };
}

/** The proxy's whole answer (size prefix included) when every partition was rejected. */
export function rejectionResponse(header: RequestHeader, rejected: Rejections): Promise<Uint8Array> {
  return encodeResponse(ApiKey.Produce, header.apiVersion, header.correlationId, withRejections({ responses: [], throttleTimeMs: 0 }, rejected));
}

/** The upstream's answer for the forwarded partitions (`frame` without size prefix) plus the rejected ones. */
export async function mergeRejections(header: RequestHeader, frame: Uint8Array, rejected: Rejections): Promise<Uint8Array> {
  const { body } = await decodeResponse(ApiKey.Produce, header.apiVersion, frame);
  return encodeResponse(ApiKey.Produce, header.apiVersion, header.correlationId, withRejections(body as ProduceResponse, rejected));
}
