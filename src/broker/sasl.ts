import { ApiKey } from "../protocol/generated/apis.ts";
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from "../protocol/generated/sasl-authenticate.ts";
import type { SaslHandshakeRequest, SaslHandshakeResponse } from "../protocol/generated/sasl-handshake.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { EMPTY_BYTES } from "../protocol/reader.ts";
import { defineApi } from "./handler.ts";

// On a connection that uses SASL the connection itself answers these (connection.ts, from its
// SASL session). They reach a handler only where SASL is off, and there, as on Kafka's
// PLAINTEXT and SSL listeners, the answer is ILLEGAL_SASL_STATE.

export const saslHandshakeApi = defineApi<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  async handle() {
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
  },
});

export const saslAuthenticateApi = defineApi<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  apiKey: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  async handle() {
    return {
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: "SASL is not enabled on this listener",
      authBytes: EMPTY_BYTES,
      sessionLifetimeMs: 0n,
    };
  },
});
