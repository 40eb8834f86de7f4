// Kafka's default principal for a TLS client certificate: "User:" + the subject as
// X500Principal.getName() writes it (RFC 2253): the most specific attribute first, commas
// between, keywords for the standard attributes, e.g. User:CN=client,OU=eng,O=Acme\, Inc,C=GB.
import { ANONYMOUS } from "../broker/security-hooks.ts";

// Attributes X500Principal names by OID in RFC 2253 form (it has keywords only for CN, C, L, ST,
// O, OU, DC, UID and STREET), with the DER string tag their value is encoded with.
const BY_OID: Record<string, { oid: string; tag: number }> = {
  emailAddress: { oid: "1.2.840.113549.1.9.1", tag: 0x16 },
};

function rfc2253Attribute(line: string): string {
  const eq = line.indexOf("=");
  const name = line.slice(0, eq);
  const special = BY_OID[name];
  if (!special) return line;
  const value = new TextEncoder().encode(line.slice(eq + 1).replace(/\\(.)/g, "$1"));
  const hex = (bytes: Iterable<number>) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  // DER length: short form below 128 bytes, else one length byte after 0x81 (attribute values are short).
  const length = value.byteLength < 128 ? [value.byteLength] : [0x81, value.byteLength];
  return `${special.oid}=#${hex([special.tag, ...length])}${hex(value)}`;
}

/**
 * The principal of a peer whose certificate has `subject` (Node's X509Certificate.subject:
 * one attribute a line, escaped, in certificate order), or ANONYMOUS without a certificate.
 */
export function sslPrincipal(subject: string | undefined): string {
  if (!subject) return ANONYMOUS;
  const attributes = subject.split("\n").filter((line) => line.includes("="));
  return `User:${attributes.reverse().map(rfc2253Attribute).join(",")}`;
}
