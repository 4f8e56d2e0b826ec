/**
 * Delivering one encoded batch: retried until the server answers 2xx or rejects it for good.
 * 429, 5xx, network errors and timeouts are retried forever (nothing is dropped for an outage),
 * with exponential backoff and jitter; a Retry-After header is honoured, up to max_backoff.
 * Any other 4xx is final: the batch is dropped. Loki answers 400 for the whole request even when
 * only some entries were bad (e.g. too old) and accepts the others, so a 400 reports every line of
 * the batch as rejected — an over-count, never a silent loss.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../util/logger.js';
import type { AgentMetrics } from '../metrics.js';
import { createBackoff, parseRetryAfter } from '../../util/backoff.js';
import type { HttpClient } from './http-client.js';
import type { EncodedBody } from './push-body.js';

export type DeliveryOutcome = { ok: true } | { ok: false; status: number; reason: string };

/**
 * Where and as what one attempt goes. Asked again before every attempt: a hot reload
 * (Shipper.reconfigure) may have changed the URL, the encoding or the credentials since the last
 * one, and a batch not yet acknowledged is retried to the new destination in the new encoding.
 */
export interface DeliveryTarget {
  client: HttpClient;
  body: EncodedBody;
}

export interface DeliveryOptions {
  minBackoffMs: number;
  maxBackoffMs: number;
  metrics: AgentMetrics;
  log: Logger;
  now: () => number;
  /** Aborting stops retrying: deliver() then rejects. */
  signal: AbortSignal;
  /** Aborted when the settings change: the wait before the next retry ends at once (it goes to the new destination). */
  retryNow?: () => AbortSignal;
  /** Told of each failed attempt (the health window after a remote configuration watches these). */
  onFailure?: (reason: string) => void;
}

const WARN_EVERY_MS = 30_000;

export async function deliver(target: () => DeliveryTarget, lines: number, opts: DeliveryOptions): Promise<DeliveryOutcome> {
  const { metrics, log, signal } = opts;
  const backoff = createBackoff(opts.minBackoffMs, opts.maxBackoffMs);
  let lastWarn = -Infinity;
  for (;;) {
    signal.throwIfAborted();
    const { client, body } = target();
    let failure: string;
    let retryAfterMs: number | undefined;
    try {
      const res = await client.request(client.pushUrl, body, signal);
      if (res.status >= 200 && res.status < 300) {
        metrics.requests.inc({ status: 'success' });
        return { ok: true };
      }
      if (res.status !== 429 && res.status >= 400 && res.status < 500) {
        metrics.requests.inc({ status: 'rejected' });
        const reason = res.body.trim() || `HTTP ${res.status}`;
        log.warn({ status: res.status, lines, reason }, 'server rejected a batch; its lines are dropped');
        return { ok: false, status: res.status, reason };
      }
      failure = `HTTP ${res.status}: ${res.body.trim().slice(0, 200)}`;
      retryAfterMs = parseRetryAfter(res.retryAfter, opts.now());
    } catch (e) {
      signal.throwIfAborted();
      failure = describeError(e as NodeJS.ErrnoException);
    }
    metrics.requests.inc({ status: 'retry' });
    metrics.retries.inc();
    opts.onFailure?.(failure);
    const wait = retryAfterMs !== undefined ? Math.min(retryAfterMs, opts.maxBackoffMs) : backoff.next();
    if (opts.now() - lastWarn >= WARN_EVERY_MS) {
      lastWarn = opts.now();
      log.warn({ err: failure, retry_in_ms: wait, url: client.pushUrl.href }, 'push failed; retrying (nothing is dropped)');
    }
    const wake = opts.retryNow?.();
    if (!wake) {
      await sleep(wait, undefined, { signal });
      continue;
    }
    try {
      await sleep(wait, undefined, { signal: AbortSignal.any([signal, wake]) });
    } catch (e) {
      signal.throwIfAborted();
      if (!wake.aborted) throw e;
      backoff.reset(); // new settings: a fresh start
    }
  }
}

const CLIENT_CERT_ALERTS = /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_EXPIRED|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE)/;
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_|DEPTH_ZERO|ERR_TLS|ERR_SSL|HOSTNAME/;

/** A network error as one line; certificate problems name the settings that fix them. */
function describeError(e: NodeJS.ErrnoException): string {
  const code = e.code ? ` (${e.code})` : '';
  // An alert from the server about our certificate (mTLS) is not fixed by the CA file.
  const hint = !e.code
    ? ''
    : CLIENT_CERT_ALERTS.test(e.code)
      ? '; TLS: the server refused this agent\'s client certificate or its absence: set client.tls.cert_file and client.tls.key_file to a valid certificate its tls.client_ca_file signed'
      : TLS_CODES.test(e.code)
        ? '; TLS: set client.tls.ca_file to the CA that signed the server certificate'
        : '';
  return e.message + code + hint;
}
