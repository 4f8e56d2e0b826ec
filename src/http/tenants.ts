/**
 * X-Scope-OrgID as a tenant list (issue #11): Loki's multi-tenant queries name several tenants
 * separated by `|` (`team-a|team-b`). Parsed once here for both modes that read the header (tokens
 * and the gateway's auth_enabled); which routes accept more than one tenant is the route's
 * declaration (`RouteOptions.multiTenant`), checked by `checkMultiTenantRoute`.
 */
import { LogwharfError } from '../api/errors.js';

/** Loki's separator of tenants in X-Scope-OrgID. */
export const TENANT_SEPARATOR = '|';

/** The label a multi-tenant query's streams and series carry, and its selectors may match (Loki's name). */
export const TENANT_LABEL = '__tenant_id__';

const TENANT_RE = /^[A-Za-z0-9!\-_.*'()]{1,150}$/;

/** Whether `value` is a tenant id Loki accepts (1-150 characters of [A-Za-z0-9!-_.*'()], not `.` or `..`). */
export function isValidTenantId(value: string): boolean {
  return TENANT_RE.test(value) && value !== '.' && value !== '..';
}

export type TenantList = { ok: true; tenants: string[] } | { ok: false; reason: 'empty_part' | 'invalid'; message: string };

/**
 * Splits X-Scope-OrgID on `|`. Every part must be a valid tenant id; an empty part (`a||b`, `a|`)
 * is refused rather than skipped, since it is a client's mistake (a template with an empty
 * variable), not a request for fewer tenants. Duplicates collapse, keeping the first order, so
 * `a|a` is the single-tenant request `a`.
 */
export function parseTenantList(value: string): TenantList {
  const tenants: string[] = [];
  for (const part of value.split(TENANT_SEPARATOR)) {
    if (part === '') return { ok: false, reason: 'empty_part', message: 'invalid X-Scope-OrgID: an empty tenant between "|" separators' };
    if (!isValidTenantId(part)) {
      return { ok: false, reason: 'invalid', message: `invalid tenant id "${part.slice(0, 160)}": use 1-150 characters of [A-Za-z0-9!-_.*'()]` };
    }
    if (!tenants.includes(part)) tenants.push(part);
  }
  return { ok: true, tenants };
}

/** The routes that answer a multi-tenant request, for the error a route that does not gives. */
const MULTI_TENANT_ROUTES = '/loki/api/v1/query, /loki/api/v1/query_range, /loki/api/v1/labels, /loki/api/v1/label/<name>/values and /loki/api/v1/series';

/**
 * A request naming several tenants reached a route that acts for one (push, tail, rules, …): 400,
 * as Loki answers push and tail, naming the route so the client knows which call to change.
 */
export function checkMultiTenantRoute(tenants: readonly string[], route: string, multiTenant: boolean | undefined): void {
  if (tenants.length > 1 && !multiTenant) {
    throw new LogwharfError('bad_request', `${route} does not support multi-tenant requests (X-Scope-OrgID with "|"): name one tenant; only ${MULTI_TENANT_ROUTES} read several tenants`);
  }
}
