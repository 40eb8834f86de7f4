import { expect, test } from "bun:test";
import { sslPrincipal } from "../../src/security/principal.ts";

test("the subject is written as X500Principal.getName() does: most specific first, escapes kept", () => {
  expect(sslPrincipal("C=GB\nO=Acme\\, Inc\nOU=eng\nCN=client")).toBe("User:CN=client,OU=eng,O=Acme\\, Inc,C=GB");
});

test("attributes without an RFC 2253 keyword are named by OID with their DER value", () => {
  // IA5String (0x16) of 5 bytes "a@b.c".
  expect(sslPrincipal("CN=x\nemailAddress=a@b.c")).toBe("User:1.2.840.113549.1.9.1=#16056140622e63,CN=x");
});

test("no certificate is the anonymous principal", () => {
  expect(sslPrincipal(undefined)).toBe("User:ANONYMOUS");
});
