/**
 * The `Authenticator` (src/http/identity.ts) backed by the token store. Each token's row is cached
 * for `cacheMs` (500 ms): a revocation or expiry written by another process (`logwharf token revoke`
 * on the same data directory while the server runs) takes effect within that, i.e. within a second,
 * while a busy client costs one SQLite read per token per half second rather than one per request.
 * Unknown, wrong, expired and revoked tokens all answer `invalid` (a caller learns nothing about
 * which tokens exist) and count against the client address's failure budget.
 *
 * Without an Authorization header, a verified client certificate whose subject CN a token is bound
 * to (src/auth/token-cert-cn.ts) proves that token's identity, as `kind: 'certificate'`, under the
 * same cache, so revoking the token stops the certificate within the same second. A header, when
 * sent, always decides: a client with both a certificate and a token acts as the token. A
 * certificate bound to nothing (or to a revoked or expired token) is answered like no credentials:
 * a certificate is not a guess, so it does not count as a failure either.
 */
import type { AuthResult, Authenticator, Peer } from '../http/identity.js';
import type { Logger } from '../util/logger.js';
import { presentedCredential } from './authorization-header.js';
import { DEFAULT_FAILURE_LIMITS, FailureLimiter, type FailureLimiterOptions } from './failure-limiter.js';
import { parseToken, secretMatches } from './token-format.js';
import type { TokenRecord, TokenStore } from './token-store.js';

export interface TokenAuthenticatorOptions {
  now?: () => number;
  /** How long a token's row is trusted before it is read again; bounds how late a revocation acts. */
  cacheMs?: number;
  failures?: FailureLimiterOptions;
  /** last_used_at is written at most this often per token (a write per request would be a lot). */
  touchEveryMs?: number;
  log?: Logger;
}

export const DEFAULT_CACHE_MS = 500;
const MAX_CACHED = 10_000;

export interface TokenAuthenticator extends Authenticator {
  /** Drops a token's cached row: a revocation made through this process acts at once. */
  forget(id: string): void;
}

export function createTokenAuthenticator(store: TokenStore, opts: TokenAuthenticatorOptions = {}): TokenAuthenticator {
  const now = opts.now ?? Date.now;
  const cacheMs = opts.cacheMs ?? DEFAULT_CACHE_MS;
  const touchEveryMs = opts.touchEveryMs ?? 60_000;
  const limiter = new FailureLimiter(opts.failures ?? DEFAULT_FAILURE_LIMITS);
  const cache = new Map<string, { row: TokenRecord | undefined; readAt: number }>();
  /** By certificate CN; separate from `cache`, whose keys are token ids. */
  const byCn = new Map<string, { row: TokenRecord | undefined; readAt: number }>();

  function cached(map: typeof cache, key: string, t: number, read: (key: string) => TokenRecord | undefined): TokenRecord | undefined {
    const hit = map.get(key);
    if (hit && t - hit.readAt < cacheMs) return hit.row;
    // Bounded: a stream of made-up ids must not grow the map without end.
    if (map.size >= MAX_CACHED) map.clear();
    const row = read(key);
    map.set(key, { row, readAt: t });
    return row;
  }
  const lookup = (id: string, t: number) => cached(cache, id, t, (k) => store.get(k));
  const active = (row: TokenRecord, t: number) => row.revokedAt === undefined && (row.expiresAt === undefined || row.expiresAt > t);

  /** The identity the peer's verified certificate maps to, if its CN is bound to an active token. */
  function byCertificate(peer: Peer, t: number): AuthResult {
    const cn = peer.certificate?.commonName;
    const row = cn !== undefined ? cached(byCn, cn, t, (k) => store.getByCertCn(k)) : undefined;
    if (!row || !active(row, t)) return { ok: false, reason: 'missing' };
    touch(row, t);
    // Both names: the token's, which grants, and the certificate's, which proved it (for the logs).
    return { ok: true, identity: { name: `${row.name} (${peer.certificate!.subject})`, kind: 'certificate', role: row.role, tenants: [...row.tenants] } };
  }

  function touch(row: TokenRecord, t: number): void {
    if (row.lastUsedAt !== undefined && t - row.lastUsedAt < touchEveryMs) return;
    row.lastUsedAt = t;
    try {
      store.touch(row.id, t);
    } catch (e) {
      // A busy or read-only file must not turn a valid request away; the time is informative only.
      opts.log?.warn({ token_id: row.id, err: (e as Error).message }, 'could not record a token use');
    }
  }

  return {
    forget(id) {
      cache.delete(id);
      // Which CN the token had is not known here; dropping them all costs one read per CN.
      byCn.clear();
    },
    authenticate(authorization: string | undefined, peer: Peer): AuthResult {
      const t = now();
      const blocked = limiter.blockedFor(peer.address, t);
      if (blocked > 0) return { ok: false, reason: 'rate_limited', retryAfterSeconds: Math.ceil(blocked / 1000) };
      const cred = presentedCredential(authorization);
      // No credentials is not a guess (a browser's first request); it does not count as a failure.
      if (cred.kind === 'none') return byCertificate(peer, t);
      const parsed = cred.kind === 'token' ? parseToken(cred.text) : undefined;
      const row = parsed ? lookup(parsed.id, t) : undefined;
      if (
        !parsed ||
        !row ||
        // Checked before validity so that every wrong secret costs the same, whatever the token's state.
        !secretMatches(parsed.secret, row.secretHash) ||
        !active(row, t)
      ) {
        limiter.fail(peer.address, t);
        return { ok: false, reason: 'invalid' };
      }
      touch(row, t);
      return { ok: true, identity: { name: row.name, kind: 'token', role: row.role, tenants: [...row.tenants] } };
    },
  };
}
