/**
 * Authorisation with `auth.tokens_enabled` (issue #11): who is calling (an `Authenticator` decides),
 * whether their role may call the route, and which of their tenants the request acts for. Pure
 * functions of the request's headers, so HTTP routes and WebSocket upgrades decide alike.
 */
import { LogwharfError } from '../api/errors.js';
import { parseTenantList, TENANT_SEPARATOR } from './tenants.js';
import { roleAllows, type Authenticator, type Identity, type Peer, type Role } from './identity.js';

/** The challenge of a 401, as RFC 6750 asks; Grafana and Promtail show the body, not this. */
export const BEARER_CHALLENGE = 'Bearer realm="logwharf"';

export interface Access {
  identity: Identity;
  /** The tenants the request acts for: one, or several for a multi-tenant query (`a|b`). */
  tenants: string[];
  /** `tenants` joined by `|`, for logs ('' on a tenantless route). */
  tenant: string;
}

/** Why a request was refused, for the denied-request log line (never a secret). */
export type DenyReason = 'no_credentials' | 'bad_credentials' | 'rate_limited' | 'role' | 'tenant' | 'tenant_missing' | 'tenant_invalid' | 'reserved_tenant' | 'no_grant';

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
  if (tenantless) return { identity, tenants: [], tenant: '' };
  const tenants = chooseTenants(identity, orgId);
  return { identity, tenants, tenant: tenants.join(TENANT_SEPARATOR) };
}

/**
 * The tenants a request acts for. X-Scope-OrgID may name several (`a|b`, Loki's multi-tenant
 * queries): every one must be held by the token, so a multi-tenant query reads only across tenants
 * the token holds. Whether the route accepts several is the caller's check (./tenants.ts), made
 * after this one, so a tenant the token lacks is a 403 on every route.
 */
function chooseTenants(identity: Identity, orgId: string | string[] | undefined): string[] {
  const asked = Array.isArray(orgId) ? orgId[0] : orgId;
  if (asked === undefined || asked === '') {
    if (identity.tenants.length === 1) return [identity.tenants[0]!];
    if (identity.tenants.length === 0) throw new AccessDenied('tenant', identity.name, 'forbidden', 'forbidden: the token holds no tenant');
    throw new AccessDenied('tenant_missing', identity.name, 'bad_request', 'the token holds several tenants: name one with the X-Scope-OrgID header (or several, a|b, on the query routes)');
  }
  const parsed = parseTenantList(asked);
  if (!parsed.ok) throw new AccessDenied('tenant_invalid', identity.name, 'bad_request', parsed.message);
  // The same answer whether a tenant exists or not, and whichever of several is missing: the caller
  // learns only what its token holds.
  if (!parsed.tenants.every((t) => identity.tenants.includes(t))) {
    throw new AccessDenied('tenant', identity.name, 'forbidden', 'forbidden: the token does not grant the tenant named by X-Scope-OrgID');
  }
  return parsed.tenants;
}
