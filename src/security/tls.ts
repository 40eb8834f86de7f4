// TLS for tls:// listeners: the PEM files named by --tls-cert-file, --tls-key-file and
// --tls-ca-file, re-read periodically so that certificates rotate without a restart.
import { readFileSync } from "node:fs";
import type { Socket, TLSOptions } from "bun";
import { consola } from "../log.ts";
import type { TlsSettings } from "../broker/server.ts";
import { sslPrincipal } from "./principal.ts";

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Requires and verifies client certificates (mTLS) against this CA bundle. */
  caFile?: string;
}

interface Loaded {
  cert: string;
  key: string;
  ca: string | undefined;
}

function read(files: TlsFiles): Loaded {
  const text = (path: string, what: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      throw new Error(`cannot read the TLS ${what} ${path}: ${(error as Error).message}`, { cause: error });
    }
  };
  return {
    cert: text(files.certFile, "certificate"),
    key: text(files.keyFile, "key"),
    ca: files.caFile === undefined ? undefined : text(files.caFile, "CA bundle"),
  };
}

/**
 * TLS settings from files. The files are compared by content every `reloadIntervalMs`
 * (a rename-based rotation, as Kubernetes does for secrets, changes no watched inode), and
 * listeners are told when any of them changed.
 */
export function tlsFromFiles(files: TlsFiles, reloadIntervalMs: number): TlsSettings {
  let current = read(files);
  const clientAuth = files.caFile !== undefined;
  return {
    clientAuth,
    options(): TLSOptions {
      return {
        cert: current.cert,
        key: current.key,
        ...(current.ca === undefined ? {} : { ca: current.ca, requestCert: true, rejectUnauthorized: true }),
      };
    },
    principalOf(socket: Socket<unknown>): string {
      return sslPrincipal(socket.getPeerX509Certificate?.()?.subject);
    },
    watch(changed) {
      const timer = setInterval(() => {
        let next: Loaded;
        try {
          next = read(files);
        } catch (error) {
          // Half-written during a rotation, most likely: the next look will see it whole.
          consola.warn(`TLS files not reloaded: ${(error as Error).message}`);
          return;
        }
        if (next.cert === current.cert && next.key === current.key && next.ca === current.ca) return;
        current = next;
        changed();
      }, reloadIntervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
