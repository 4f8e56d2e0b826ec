/**
 * Certificate rotation without a restart (issue #11): cert-manager and similar tools replace the
 * files (Kubernetes swaps a `..data` symlink in the secret's directory); ../util/watch-files.ts
 * notices (directory watch, debounced, and a periodic check). A set of files
 * that does not load (half written, key and certificate apart) is refused and logged; the server
 * keeps the context it has, and the next change tries again.
 */
import type { Server as TlsServer } from 'node:tls';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../util/logger.js';
import { watchFiles } from '../util/watch-files.js';
import { loadTlsMaterial, type TlsFilePaths, type TlsMaterial } from './tls-files.js';

/** The fallback check when no watch event comes. */
export const TLS_POLL_MS = 10_000;

export interface TlsReloader {
  /** The material in use. */
  current(): TlsMaterial;
  /** Checks the files now (what a watch event or the periodic check does, without the debounce). */
  check(): void;
  close(): void;
}

export function createTlsMetrics(registry: Registry): { expiry: Gauge; reloads: Counter<'result'> } {
  return {
    expiry: new Gauge({ name: 'logwharf_tls_certificate_expiry_seconds', help: 'notAfter of the server certificate in use, as Unix seconds.', registers: [registry] }),
    reloads: new Counter({ name: 'logwharf_tls_reloads_total', help: 'Changes of the certificate files applied (success) or refused (failure).', labelNames: ['result'] as const, registers: [registry] }),
  };
}

/**
 * Watches the files of `initial` and gives `server` a new secure context when they change.
 * `initial` is what the server was created with.
 */
export function watchTlsFiles(opts: { paths: TlsFilePaths; initial: TlsMaterial; server: TlsServer; log: Logger; registry: Registry; pollMs?: number }): TlsReloader {
  const metrics = createTlsMetrics(opts.registry);
  metrics.reloads.inc({ result: 'success' }, 0);
  metrics.reloads.inc({ result: 'failure' }, 0);
  let current = opts.initial;
  metrics.expiry.set(current.notAfter);
  // The digest of the last set refused: the same bad bytes are logged once, not on every poll.
  let refused = '';
  const files = [opts.paths.certFile, opts.paths.keyFile, ...(opts.paths.clientCaFile !== undefined ? [opts.paths.clientCaFile] : [])];
  const watcher = watchFiles({ files, check, pollMs: opts.pollMs ?? TLS_POLL_MS, log: opts.log, what: 'tls: certificate files' });

  function check(): void {
    let next: TlsMaterial;
    try {
      next = loadTlsMaterial(opts.paths);
    } catch (e) {
      const err = (e as Error).message;
      // Unreadable or unparsable bytes have no digest; log each distinct message once.
      if (refused !== err) {
        refused = err;
        metrics.reloads.inc({ result: 'failure' });
        opts.log.error({ err, fingerprint256: current.fingerprint256 }, 'tls: certificate files refused; the current certificate stays in use');
      }
      return;
    }
    refused = '';
    if (next.digest === current.digest) return;
    opts.server.setSecureContext(next.context);
    current = next;
    metrics.expiry.set(next.notAfter);
    metrics.reloads.inc({ result: 'success' });
    opts.log.info({ fingerprint256: next.fingerprint256, not_after: new Date(next.notAfter * 1000).toISOString() }, 'tls: certificate reloaded');
  }

  return {
    current: () => current,
    check,
    close: () => watcher.close(),
  };
}
