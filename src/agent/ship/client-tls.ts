/**
 * The agent's TLS files (the server's CA, its own client certificate and key), re-read while it
 * runs: cert-manager and similar tools rotate short-lived client certificates, and an agent that
 * needed a restart for each would stop shipping when its certificate expired. A set that does not
 * load (half written, a key that is not the certificate's) is ignored until it does.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { AgentConfig } from '../../config/agent.js';

export interface ClientTlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface ClientTlsFiles {
  /** What the files held at start (read errors are thrown: a wrong path is a configuration error). */
  readonly initial: ClientTlsMaterial;
  /** The files' contents when they differ from the last ones returned and load; otherwise undefined. */
  refresh(): ClientTlsMaterial | undefined;
}

export function clientTlsFiles(tls: AgentConfig['client']['tls']): ClientTlsFiles {
  const read = (): ClientTlsMaterial => ({
    ...(tls.ca_file !== undefined && { ca: readFileSync(tls.ca_file) }),
    ...(tls.cert_file !== undefined && tls.key_file !== undefined && { cert: readFileSync(tls.cert_file), key: readFileSync(tls.key_file) }),
  });
  const digestOf = (m: ClientTlsMaterial) => createHash('sha256').update(m.ca ?? '').update('\0').update(m.cert ?? '').update('\0').update(m.key ?? '').digest('hex');
  const initial = read();
  let digest = digestOf(initial);
  return {
    initial,
    refresh() {
      let next: ClientTlsMaterial;
      try {
        next = read();
        const d = digestOf(next);
        if (d === digest) return undefined;
        // Throws on a PEM that does not parse and on a key that is not the certificate's.
        createSecureContext(next);
        digest = d;
      } catch {
        return undefined;
      }
      return next;
    },
  };
}
