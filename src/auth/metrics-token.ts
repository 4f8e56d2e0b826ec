/**
 * The metrics token (issue #11: "`/metrics` — or a metrics token if configured"). `/metrics` is
 * public by default, since Prometheus scrapes it. With `auth.metrics_token_file` set it needs
 * `Authorization: Bearer <the file's content>` (Prometheus: `authorization: {credentials_file: …}`
 * in the scrape config) or an admin identity (token, bound certificate, proxy user); anything else is
 * refused: 401 without credentials or with wrong ones, 403 for a valid identity that is not admin
 * (as every other route answers a role it does not allow), 429 for an address that failed too often.
 * This holds whether or not `auth.tokens_enabled` is on, as the token API does.
 *
 * Each request looks at the file's identity (`stat`: inode, size, modification and change times,
 * following a Kubernetes secret's symlinks) and re-reads it when that changed, so a rotated token acts
 * from the next scrape on, with no watcher or timer to keep; a stat is far cheaper than the metrics
 * page it guards. Only SHA-256 of its content is held, and a presented token is compared with it in
 * constant time (hashes of equal length, whatever was presented). White space around the content
 * is ignored (a trailing newline from `echo`; Prometheus trims it too). A file that
 * becomes unreadable or too short makes the metrics token match nothing until it is fixed (fail
 * closed; admin tokens still work), logged once per problem.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { LogwharfError } from '../api/errors.js';
import { AccessDenied } from '../http/authorize.js';
import type { Authenticator, Peer } from '../http/identity.js';
import type { Logger } from '../util/logger.js';
import type { Gauge } from 'prom-client';
import { presentedCredential } from './authorization-header.js';

/** Shorter tokens are refused at start: a guessable scrape token would be no protection. */
export const MIN_METRICS_TOKEN_CHARS = 16;

export interface MetricsGuard {
  /** Returns when the request may read /metrics; throws an `AccessDenied` otherwise. */
  check(authorization: string | undefined, peer: Peer): void;
}

export interface MetricsGuardOptions {
  file: string;
  /** The request path's authenticator (tokens, certificates, proxy): admins may scrape too. */
  authenticator: Authenticator;
  log?: Logger;
  /** Set to 1 while the file holds a usable token, 0 otherwise. */
  usable?: Gauge;
}

/** Throws, naming the file, when it cannot be read or holds too short a token: the start stops. */
export function createMetricsGuard(opts: MetricsGuardOptions): MetricsGuard {
  let hash: Buffer | undefined = hashOf(readToken(opts.file));
  let seen = fileIdentity(opts.file);
  let lastProblem: string | undefined;
  opts.usable?.set(1);

  function current(): Buffer | undefined {
    let id: string;
    try {
      id = fileIdentity(opts.file);
    } catch {
      id = 'unreadable';
    }
    if (id === seen) return hash;
    seen = id;
    try {
      hash = hashOf(readToken(opts.file));
      if (lastProblem !== undefined) opts.log?.info({ file: opts.file }, 'metrics token file usable again');
      lastProblem = undefined;
      opts.usable?.set(1);
    } catch (e) {
      hash = undefined;
      opts.usable?.set(0);
      const problem = (e as Error).message;
      if (problem !== lastProblem) opts.log?.error({ err: problem }, 'metrics token file unusable; only admin tokens may read /metrics until it is fixed');
      lastProblem = problem;
    }
    return hash;
  }

  return {
    check(authorization, peer) {
      // An address blocked for failing too often is refused even with the right token, as on every
      // other route (a guesser must not learn of a hit). Asked without credentials, the
      // authenticator reports the block and counts nothing.
      const probe = opts.authenticator.authenticate(undefined, { address: peer.address });
      if (!probe.ok && probe.reason === 'rate_limited') throw rateLimited(probe.retryAfterSeconds);
      const cred = presentedCredential(authorization);
      const want = current();
      if (cred.kind === 'token' && want !== undefined && timingSafeEqual(hashOf(cred.text), want)) return;
      // Not the metrics token: maybe an admin's token. A wrong one counts as a failure there.
      const r = opts.authenticator.authenticate(authorization, peer);
      if (r.ok) {
        if (r.identity.role === 'admin') return;
        throw new AccessDenied('role', r.identity.name, 'forbidden', `forbidden: /metrics needs the metrics token or the admin role, the token has ${r.identity.role}`);
      }
      if (r.reason === 'rate_limited') throw rateLimited(r.retryAfterSeconds);
      if (r.reason === 'forbidden') throw new AccessDenied('no_grant', r.who, 'forbidden', r.message);
      throw new AccessDenied(r.reason === 'missing' ? 'no_credentials' : 'bad_credentials', undefined, 'unauthorized', 'unauthorized: /metrics needs the metrics token (Authorization: Bearer <token>) or an admin token');
    },
  };
}

function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new LogwharfError('bad_request', `auth.metrics_token_file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (text.length < MIN_METRICS_TOKEN_CHARS) {
    throw new LogwharfError('bad_request', `auth.metrics_token_file ${file}: the token must be at least ${MIN_METRICS_TOKEN_CHARS} characters (e.g. openssl rand -hex 32 > ${file})`);
  }
  return text;
}

/** What changes when the file is replaced or rewritten. */
function fileIdentity(file: string): string {
  const st = statSync(file, { bigint: true });
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

function hashOf(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function rateLimited(retryAfterSeconds: number): AccessDenied {
  return new AccessDenied('rate_limited', undefined, 'rate_limited', 'too many failed authentication attempts from this address: retry later', { retryAfterSeconds });
}
