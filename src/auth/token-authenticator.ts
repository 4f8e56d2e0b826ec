/**
 * The `Authenticator` (src/http/identity.ts) backed by the token store. Each token's row is cached
 * for `cacheMs` (500 ms): a revocation or expiry written by another process (`logwharf token revoke`
 * on the same data directory while the server runs) takes effect within that, i.e. within a second,
 * while a busy client costs one SQLite read per token per half second rather than one per request.
 * Unknown, wrong, expired and revoked tokens all answer `invalid` (a caller learns nothing about
 * which tokens exist) and count against the client address's failure budget.
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

  function lookup(id: string, t: number): TokenRecord | undefined {
    const hit = cache.get(id);
    if (hit && t - hit.readAt < cacheMs) return hit.row;
    // Bounded: a stream of made-up ids must not grow the map without end.
    if (cache.size >= MAX_CACHED) cache.clear();
    const row = store.get(id);
    cache.set(id, { row, readAt: t });
    return row;
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
    forget: (id) => cache.delete(id),
    authenticate(authorization: string | undefined, peer: Peer): AuthResult {
      const t = now();
      const blocked = limiter.blockedFor(peer.address, t);
      if (blocked > 0) return { ok: false, reason: 'rate_limited', retryAfterSeconds: Math.ceil(blocked / 1000) };
      const cred = presentedCredential(authorization);
      // No credentials is not a guess (a browser's first request); it does not count as a failure.
      if (cred.kind === 'none') return { ok: false, reason: 'missing' };
      const parsed = cred.kind === 'token' ? parseToken(cred.text) : undefined;
      const row = parsed ? lookup(parsed.id, t) : undefined;
      if (
        !parsed ||
        !row ||
        // Checked before validity so that every wrong secret costs the same, whatever the token's state.
        !secretMatches(parsed.secret, row.secretHash) ||
        row.revokedAt !== undefined ||
        (row.expiresAt !== undefined && row.expiresAt <= t)
      ) {
        limiter.fail(peer.address, t);
        return { ok: false, reason: 'invalid' };
      }
      touch(row, t);
      return { ok: true, identity: { name: row.name, kind: 'token', role: row.role, tenants: [...row.tenants] } };
    },
  };
}
