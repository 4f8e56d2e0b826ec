/**
 * Authorisation with `auth.tokens_enabled` (issue #11): who is calling (an `Authenticator` decides),
 * whether their role may call the route, and which of their tenants the request acts for. Pure
 * functions of the request's headers, so HTTP routes and WebSocket upgrades decide alike.
 */
import { LogwharfError } from '../api/errors.js';
import { isValidTenantId } from './server.js';
import { roleAllows, type Authenticator, type Identity, type Peer, type Role } from './identity.js';

/** The challenge of a 401, as RFC 6750 asks; Grafana and Promtail show the body, not this. */
export const BEARER_CHALLENGE = 'Bearer realm="logwharf"';

export interface Access {
  identity: Identity;
  tenant: string;
}

/** Why a request was refused, for the denied-request log line (never a secret). */
export type DenyReason = 'no_credentials' | 'bad_credentials' | 'rate_limited' | 'role' | 'tenant' | 'tenant_missing' | 'tenant_invalid' | 'no_grant';

export class AccessDenied extends LogwharfError {
  constructor(
    readonly reason: DenyReason,
    readonly who: string | undefined,
    code: 'unauthorized' | 'forbidden' | 'bad_request' | 'rate_limited',
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details);
  }
}

/**
 * Decides a request. `need` is the route's declared role; a route that declares none is treated as
 * admin-only, so a route added without thought fails closed (the route-table test also refuses it).
 * `orgId` is X-Scope-OrgID (or, on a WebSocket upgrade, its `orgId` parameter); a `tenantless`
 * route gets no tenant ('').
 */
export function authorize(
  auth: Authenticator,
  authorization: string | undefined,
  peer: Peer,
  need: Role | undefined,
  orgId: string | string[] | undefined,
  tenantless = false,
): Access {
  const result = auth.authenticate(authorization, peer);
  if (!result.ok) {
    if (result.reason === 'rate_limited') {
      // The error mapper turns retryAfterSeconds into Retry-After.
      throw new AccessDenied('rate_limited', undefined, 'rate_limited', 'too many failed authentication attempts from this address: retry later', { retryAfterSeconds: result.retryAfterSeconds });
    }
    // Proved who, but grants nothing (a proxy user in no mapped group).
    if (result.reason === 'forbidden') throw new AccessDenied('no_grant', result.who, 'forbidden', result.message);
    // One message whether the token is absent, unknown, expired or revoked: nothing to probe with.
    throw new AccessDenied(result.reason === 'missing' ? 'no_credentials' : 'bad_credentials', undefined, 'unauthorized', 'unauthorized: a valid token is required (Authorization: Bearer <token>, or Basic auth with the token as password)');
  }
  const identity = result.identity;
  const role = need ?? 'admin';
  if (!roleAllows(identity.role, role)) {
    throw new AccessDenied('role', identity.name, 'forbidden', `forbidden: this endpoint needs the ${role} role, the token has ${identity.role}`);
  }
  return { identity, tenant: tenantless ? '' : chooseTenant(identity, orgId) };
}

function chooseTenant(identity: Identity, orgId: string | string[] | undefined): string {
  const asked = Array.isArray(orgId) ? orgId[0] : orgId;
  if (asked === undefined || asked === '') {
    if (identity.tenants.length === 1) return identity.tenants[0]!;
    if (identity.tenants.length === 0) throw new AccessDenied('tenant', identity.name, 'forbidden', 'forbidden: the token holds no tenant');
    throw new AccessDenied('tenant_missing', identity.name, 'bad_request', 'the token holds several tenants: name one with the X-Scope-OrgID header');
  }
  // Loki's multi-tenant queries (`a|b`) are not supported: the server serves one tenant per request.
  if (asked.includes('|')) {
    throw new AccessDenied('tenant_invalid', identity.name, 'bad_request', 'multi-tenant queries (X-Scope-OrgID a|b) are not supported: name one tenant');
  }
  if (!isValidTenantId(asked)) {
    throw new AccessDenied('tenant_invalid', identity.name, 'bad_request', "invalid X-Scope-OrgID: use 1-150 characters of [A-Za-z0-9!-_.*'()]");
  }
  // The same answer whether the tenant exists or not: the caller learns only what its token holds.
  if (!identity.tenants.includes(asked)) {
    throw new AccessDenied('tenant', identity.name, 'forbidden', 'forbidden: the token does not grant the tenant named by X-Scope-OrgID');
  }
  return asked;
}
