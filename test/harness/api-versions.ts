// A raw Kafka ApiVersions v0 exchange, independent of the broker's own codec, for probing any
// listener (the broker, the bare baseline, a binary under chroot) exactly as a client's first request would.
import { rawSocket } from "./raw-socket.ts";

const API_VERSIONS = 18;
const REQUEST_SIZE = 10; // api_key int16 + api_version int16 + correlation_id int32 + client_id int16 (null)

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsV0Response {
  correlationId: number;
  errorCode: number;
  apiKeys: ApiVersionRange[];
}

/** The whole 14-byte request frame, size prefix included, with a null client id. */
export function encodeApiVersionsV0Request(correlationId: number): Uint8Array {
  const frame = new Uint8Array(4 + REQUEST_SIZE);
  const view = new DataView(frame.buffer);
  view.setInt32(0, REQUEST_SIZE);
  view.setInt16(4, API_VERSIONS);
  view.setInt16(6, 0);
  view.setInt32(8, correlationId);
  view.setInt16(12, -1);
  return frame;
}

/** Decodes a response body (the bytes after the 4-byte size prefix). */
export function decodeApiVersionsV0Response(body: Uint8Array): ApiVersionsV0Response {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const correlationId = view.getInt32(0);
  const errorCode = view.getInt16(4);
  const count = view.getInt32(6);
  if (10 + Math.max(count, 0) * 6 > body.byteLength) {
    throw new RangeError(`ApiVersions v0 response claims ${count} entries but has ${body.byteLength} bytes`);
  }
  const apiKeys: ApiVersionRange[] = [];
  for (let i = 0, at = 10; i < count; i++, at += 6) {
    apiKeys.push({ apiKey: view.getInt16(at), minVersion: view.getInt16(at + 2), maxVersion: view.getInt16(at + 4) });
  }
  return { correlationId, errorCode, apiKeys };
}

/**
 * One connection, one ApiVersions v0 request, one decoded response. Rejects if the connection cannot
 * be made (callers that wait for a starting server retry on that) or closes before a full response.
 */
export async function requestApiVersions(port: number, hostname = "127.0.0.1", correlationId = 1): Promise<ApiVersionsV0Response> {
  const raw = await rawSocket(port, hostname);
  raw.socket.write(encodeApiVersionsV0Request(correlationId));
  try {
    const [frame] = await raw.frames(1).catch((error) => {
      throw new Error(`${hostname}:${port} closed the connection before answering ApiVersions`, { cause: error });
    });
    try {
      return decodeApiVersionsV0Response(frame!);
    } catch (error) {
      throw new Error(`malformed ApiVersions response from ${hostname}:${port}`, { cause: error });
    }
  } finally {
    raw.socket.end();
  }
}
