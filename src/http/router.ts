/**
 * A small method + path router: static segments, `:param` segments, and a trailing `*name` segment
 * that takes the rest of the path (one or more segments, decoded, joined by `/`), for static files.
 */
import type { RequestContext } from './context.js';
import type { Role } from './identity.js';

export type Handler = (ctx: RequestContext) => Promise<void> | void;

/**
 * What a route declares about who may call it. Probes and scrapers (`/ready`, `/metrics`,
 * buildinfo) carry no X-Scope-OrgID, and Loki serves them without one, so they are `public`. The
 * security issue adds roles here, on the same declaration.
 */
export type ErrorBodyFormat = 'text' | 'json-string' | 'prometheus';

export interface RouteOptions {
  /** Served without a tenant, even with auth_enabled; the handler sees `ctx.tenant === ''`. */
  public?: boolean;
  /** The role a token must hold when `auth.tokens_enabled` is on (ignored on public routes). */
  role?: Role;
  /**
   * Acts for no single tenant (the token API, which scopes itself by all of the caller's tenants):
   * the caller is still authenticated and its role checked, but no tenant is chosen and
   * X-Scope-OrgID is not read; the handler sees `ctx.tenant === ''`.
   */
  tenantless?: boolean;
  /**
   * Answers a multi-tenant request (X-Scope-OrgID `a|b`, Loki's multi-tenant queries): the handler
   * reads `ctx.tenants`. Any other route given several tenants answers 400 naming itself.
   */
  multiTenant?: boolean;
  /**
   * How errors are written: Loki's plain text (default); a JSON string as Alertmanager's v2 API
   * answers them (amtool and Grafana decode that body as JSON); or Prometheus' HTTP API envelope
   * `{"status":"error","errorType":…,"error":…}` for the Prometheus-compatible rules and alerts API.
   */
  errorBody?: ErrorBodyFormat;
  /**
   * The handler keeps no view of its body's bytes once it returns (what it decodes is copied out:
   * strings, new buffers), so the server may read a later request's body into the same buffer
   * (src/http/body-budget.ts). The push routes: their ~1 MB bodies were otherwise garbage that only
   * a full collection frees.
   */
  reusableBody?: boolean;
}

export interface MatchedRoute {
  handler: Handler;
  /** Route name for metrics (the pattern, never the concrete path). */
  name: string;
  params: Record<string, string>;
  options: RouteOptions;
}

interface Route {
  methods: Set<string>;
  segments: string[];
  handler: Handler;
  name: string;
  options: RouteOptions;
}

/** A route as declared, for tests and docs that enumerate the table (e.g. the authorisation matrix). */
export interface RouteInfo {
  methods: string[];
  pattern: string;
  options: RouteOptions;
}

export class Router {
  private readonly table: Route[] = [];

  /** The declared routes, in match order (read-only copies). */
  routes(): RouteInfo[] {
    return this.table.map((r) => ({ methods: [...r.methods], pattern: r.name, options: { ...r.options } }));
  }

  add(methods: string | string[], pattern: string, handler: Handler, options: RouteOptions = {}): this {
    const list = Array.isArray(methods) ? methods : [methods];
    this.table.push({ methods: new Set(list), segments: split(pattern), handler, name: pattern, options });
    return this;
  }

  /**
   * Finds the route; `methodMismatch` tells 405 from 404, and `badEscape` names a path segment that
   * would have matched a `:param` but is not valid percent-encoded UTF-8 (a 400, as Go's server
   * answers Loki's clients).
   */
  match(method: string, path: string): { route?: MatchedRoute; methodMismatch: boolean; badEscape?: string } {
    const parts = split(path);
    let methodMismatch = false;
    let badEscape: string | undefined;
    for (const r of this.table) {
      const params = matchSegments(r.segments, parts);
      if (typeof params === 'string') {
        badEscape ??= params;
        continue;
      }
      if (!params) continue;
      if (!r.methods.has(method)) {
        methodMismatch = true;
        continue;
      }
      return { route: { handler: r.handler, name: r.name, params, options: r.options }, methodMismatch: false };
    }
    return badEscape === undefined ? { methodMismatch } : { methodMismatch, badEscape };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

/** The params, null when the path does not match, or the raw segment that failed to decode. */
function matchSegments(pattern: string[], parts: string[]): Record<string, string> | string | null {
  const last = pattern[pattern.length - 1];
  const wildcard = last !== undefined && last.startsWith('*');
  if (wildcard ? parts.length < pattern.length : pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  let bad: string | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (wildcard && i === pattern.length - 1) {
      const rest: string[] = [];
      for (const part of parts.slice(i)) {
        try {
          rest.push(decodeURIComponent(part));
        } catch {
          bad ??= part;
        }
      }
      params[p.slice(1)] = rest.join('/');
    } else if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(parts[i]!);
      } catch {
        bad ??= parts[i]!;
      }
    } else if (p !== parts[i]) return null;
  }
  return bad ?? params;
}
