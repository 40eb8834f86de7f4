// Certificates made by openssl for the TLS tests: a CA, and certificates it signs for the broker
// (localhost and 127.0.0.1) and for clients (mTLS), each as PEM files in a temp dir.
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { runChecked } from "./run.ts";
import { tempDir } from "./temp-dir.ts";

export interface Ca {
  cert: string;
  key: string;
}

export interface Issued {
  cert: string;
  key: string;
}

const openssl = (...args: string[]) => runChecked(["openssl", ...args]);

/** A self-signed CA named `name` (its subject CN). */
export async function makeCa(name: string): Promise<Ca> {
  const dir = tempDir("tansu-ca-");
  const ca = { cert: join(dir, "ca.pem"), key: join(dir, "ca.key") };
  await openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", ca.key, "-out", ca.cert);
  return ca;
}

/**
 * A certificate signed by `ca` for `subject` (openssl's /K=V/... form). Server certificates
 * name localhost and 127.0.0.1 as alternative names.
 */
export async function issue(ca: Ca, subject: string, kind: "server" | "client"): Promise<Issued> {
  const dir = tempDir("tansu-cert-");
  const out = { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
  const csr = join(dir, "req.csr");
  const ext = join(dir, "ext.cnf");
  writeFileSync(ext, kind === "server" ? "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" : "extendedKeyUsage=clientAuth\n");
  await openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", subject, "-keyout", out.key, "-out", csr);
  await openssl("x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", out.cert);
  return out;
}
