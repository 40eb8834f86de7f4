// Whole Kafka messages: request/response headers around the generated bodies.
//
// Header versions follow the API's flexibility: request header v1 (client id) for classic versions,
// v2 (plus tagged fields) for flexible ones, v0 (no client id) only for ControlledShutdown v0.
// Response header v0 for classic versions and always for ApiVersions (a client must be able to read
// it before it knows which versions the broker speaks, KIP-511), v1 (plus tagged fields) otherwise.
//
// Bodies are encoded and decoded by the API's generated codec, imported the first time that API is
// used (generated/apis.ts): so these functions are async, and resolve at once once it is loaded.

import { MalformedMessageError, ProtocolError, UnknownApiKeyError, UnsupportedVersionError } from "./errors.ts";
import { ApiKey, apiSpec, type ApiCodec, type ApiSpec, type RequestTypes } from "./generated/apis.ts";
import { decodeRequestHeader as decodeRequestHeaderFields, encodeRequestHeader } from "./generated/request-header.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** An API key the codec does not know; `header` keeps the correlation id for logging/answering. */
export class UnknownRequestApiKeyError extends UnknownApiKeyError {
  override name = "UnknownRequestApiKeyError";
  constructor(readonly header: RequestHeader) {
    super(header.apiKey);
  }
}

/**
 * A known API at a version outside the generated range. `header` keeps the correlation id so the
 * broker can still answer (ApiVersions v0 with UNSUPPORTED_VERSION per KIP-511).
 */
export class UnsupportedRequestVersionError extends UnsupportedVersionError {
  override name = "UnsupportedRequestVersionError";
  constructor(readonly header: RequestHeader) {
    super(header.apiKey, header.apiVersion);
  }
}

function requestHeaderVersion(spec: ApiSpec, apiVersion: number): number {
  if (spec.apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  return apiVersion >= spec.firstFlexibleVersion ? 2 : 1;
}

function responseHeaderVersion(spec: ApiSpec, apiVersion: number): number {
  if (spec.apiKey === ApiKey.ApiVersions) return 0;
  return apiVersion >= spec.firstFlexibleVersion ? 1 : 0;
}

function specFor(apiKey: number, apiVersion: number): ApiSpec {
  const spec = apiSpec(apiKey);
  if (!spec) throw new UnknownApiKeyError(apiKey);
  if (apiVersion < spec.minVersion || apiVersion > spec.maxVersion) throw new UnsupportedVersionError(apiKey, apiVersion);
  return spec;
}

const codecs = new Map<number, Promise<ApiCodec>>();

/**
 * The API's codec, imported on its first use. Every caller awaits the one promise, so calls made
 * in some order resume in that order even while the module loads (a client's pipelined requests
 * are written in the order they were made).
 */
function codecOf(spec: ApiSpec): Promise<ApiCodec> {
  let codec = codecs.get(spec.apiKey);
  if (!codec) {
    codec = spec.loadCodec();
    codecs.set(spec.apiKey, codec);
    codec.catch(() => codecs.delete(spec.apiKey)); // the caller sees the failure; a later call tries again
  }
  return codec;
}

/**
 * Starts importing an API's codec ahead of its first use (codecOf then finds it loading or loaded). A failure
 * is not reported here: the first use imports the codec again and reports it there.
 */
export function preloadCodec(apiKey: number): void {
  const spec = apiSpec(apiKey);
  if (spec) codecOf(spec).catch(() => {});
}

/**
 * Best-effort client id of a request we cannot fully parse: every header version from 1 on starts
 * with the same classic nullable string, so it is readable even for versions we do not know.
 */
function salvageClientId(r: Reader): string | null {
  const at = r.offset;
  try {
    return r.readNullableString();
  } catch (error) {
    // The id is only informational on this error path; a garbled one must not hide the real error.
    if (error instanceof ProtocolError) return null;
    throw error;
  } finally {
    r.offset = at;
  }
}

/**
 * Decodes the header from a frame (without the 4-byte size prefix).
 * @throws UnknownRequestApiKeyError, UnsupportedRequestVersionError (both carry `header`),
 *   TruncatedMessageError / MalformedMessageError.
 */
export function decodeRequestHeader(frame: Uint8Array): { header: RequestHeader; bodyOffset: number } {
  const r = new Reader(frame);
  const apiKey = r.readInt16();
  const apiVersion = r.readInt16();
  const correlationId = r.readInt32();
  const spec = apiSpec(apiKey);
  if (!spec) throw new UnknownRequestApiKeyError({ apiKey, apiVersion, correlationId, clientId: salvageClientId(r) });
  if (apiVersion < spec.minVersion || apiVersion > spec.maxVersion) {
    throw new UnsupportedRequestVersionError({ apiKey, apiVersion, correlationId, clientId: salvageClientId(r) });
  }
  r.offset = 0;
  const headerVersion = requestHeaderVersion(spec, apiVersion);
  const fields = decodeRequestHeaderFields(r, headerVersion);
  // Header v0 has no client id at all; report that as null rather than the schema's "" default.
  const clientId = headerVersion === 0 ? null : (fields.clientId ?? null);
  return { header: { apiKey, apiVersion, correlationId, clientId }, bodyOffset: r.offset };
}

/**
 * Decodes a request body that starts at `bodyOffset`. Bytes after the fields the version defines are ignored,
 * as Kafka's request parsing does: librdkafka 2.x sends an all-topics Metadata request (v9+) with the 4-byte
 * placeholder of its topic count left in place, which Kafka reads as a null array followed by 3 unread bytes.
 * Fields that run past the frame still throw.
 * @throws TruncatedMessageError, MalformedMessageError
 */
export async function decodeRequestBody<K extends keyof RequestTypes>(
  header: RequestHeader,
  frame: Uint8Array,
  bodyOffset: number,
): Promise<RequestTypes[K]> {
  const spec = specFor(header.apiKey, header.apiVersion);
  const codec = await codecOf(spec);
  return codec.decodeRequest(new Reader(frame, bodyOffset), header.apiVersion);
}

/** Encodes a whole request frame, 4-byte size prefix included. */
export async function encodeRequest(header: RequestHeader, body: unknown): Promise<Uint8Array> {
  const spec = specFor(header.apiKey, header.apiVersion);
  const codec = await codecOf(spec);
  const w = new Writer();
  const sizeAt = w.reserveInt32();
  encodeRequestHeader(w, requestHeaderVersion(spec, header.apiVersion), {
    requestApiKey: header.apiKey,
    requestApiVersion: header.apiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId,
  });
  codec.encodeRequest(w, header.apiVersion, body);
  w.patchSizePrefix(sizeAt);
  return w.finish();
}

/** Encodes a whole response frame, 4-byte size prefix included. */
export async function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Promise<Uint8Array> {
  const spec = specFor(apiKey, apiVersion);
  const codec = await codecOf(spec);
  const w = new Writer();
  const sizeAt = w.reserveInt32();
  w.writeInt32(correlationId);
  if (responseHeaderVersion(spec, apiVersion) >= 1) w.writeUnsignedVarint(0); // no header tagged fields
  codec.encodeResponse(w, apiVersion, body);
  w.patchSizePrefix(sizeAt);
  return w.finish();
}

/** Decodes a response frame (without the size prefix); trailing bytes are malformed. */
export async function decodeResponse(apiKey: number, apiVersion: number, frame: Uint8Array): Promise<{ correlationId: number; body: any }> {
  const spec = specFor(apiKey, apiVersion);
  const codec = await codecOf(spec);
  const r = new Reader(frame);
  const correlationId = r.readInt32();
  if (responseHeaderVersion(spec, apiVersion) >= 1) r.skipTaggedFields();
  const body = codec.decodeResponse(r, apiVersion);
  if (r.remaining !== 0) {
    throw new MalformedMessageError(`${r.remaining} bytes left after a ${spec.name} v${apiVersion} response body`);
  }
  return { correlationId, body };
}
