/**
 * Who is calling (issue #11): the identity a token, a client certificate or an authenticating proxy
 * proves, with one role and the tenants it may act for. The HTTP server asks an `Authenticator` for
 * it when `auth.tokens_enabled` is on; routes declare the role they need (`RouteOptions.role`).
 */
import type { IncomingHttpHeaders } from 'node:http';

export type Role = 'read' | 'write' | 'admin';
export const ROLES: readonly Role[] = ['read', 'write', 'admin'];

export interface Identity {
  /** Who, for logs and the audit log: a token's name, a certificate's subject, a proxy's user. */
  name: string;
  kind: 'token' | 'certificate' | 'proxy';
  role: Role;
  /** The tenants it may act for; `X-Scope-OrgID` may only narrow to these. */
  tenants: string[];
}

/** What the server knows of the caller: its address, its verified certificate, its headers. */
export interface Peer {
  address: string;
  /**
   * A verified client certificate (mTLS). `commonName` is the subject's CN when it has exactly one
   * (a certificate with several is ambiguous and maps to no token).
   */
  certificate?: { subject: string; fingerprint256: string; commonName?: string };
  /**
   * The request's headers, for proxy mode: an authenticating proxy's user and groups headers, which
   * count only when `address` is a trusted proxy (src/auth/proxy-authenticator.ts).
   */
  headers?: IncomingHttpHeaders;
}

/**
 * What an `Authenticator` answers. `missing`: no credentials at all; `invalid`: credentials that prove
 * nothing (unknown, wrong secret, expired, revoked: one answer, so a caller learns nothing about
 * which tokens exist) — both a 401. `rate_limited`: this address failed too often lately and is
 * refused even with a right token until `retryAfterSeconds` pass — a 429 with `Retry-After`.
 */
export type AuthResult =
  | { ok: true; identity: Identity }
  | { ok: false; reason: 'missing' | 'invalid' }
  /** Proved who, but that one may do nothing here (a proxy user in no mapped group): a 403. */
  | { ok: false; reason: 'forbidden'; who: string; message: string }
  | { ok: false; reason: 'rate_limited'; retryAfterSeconds: number };

export interface Authenticator {
  /**
   * The identity an `Authorization` header (Bearer, or Basic with the token as password), the
   * peer's certificate or a trusted proxy's headers prove. Never throws, whatever the headers hold.
   */
  authenticate(authorization: string | undefined, peer: Peer): AuthResult;
}

/**
 * Whether a role may call a route that needs `need`. `admin` may do everything; `read` and `write`
 * are apart (a shipping agent's token cannot read logs back, a dashboard's cannot push).
 */
export function roleAllows(have: Role, need: Role): boolean {
  return have === 'admin' || have === need;
}
