/**
 * Who is calling (issue #11): the identity a token, a client certificate or an authenticating proxy
 * proves, with one role and the tenants it may act for. The HTTP server asks an `Authenticator` for
 * it when `auth.tokens_enabled` is on; routes declare the role they need (`RouteOptions.role`).
 */
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

/** What the server knows of the caller besides its headers. */
export interface Peer {
  address: string;
  /** A verified client certificate (mTLS). */
  certificate?: { subject: string; fingerprint256: string };
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
  | { ok: false; reason: 'rate_limited'; retryAfterSeconds: number };

export interface Authenticator {
  /**
   * The identity an `Authorization` header (Bearer, or Basic with the token as password) or the
   * peer's certificate proves. Never throws, whatever the header holds.
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
