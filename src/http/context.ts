/** What every handler receives: the request, its id, tenant, logger and helpers to answer. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../util/logger.js';
import type { Identity } from './identity.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Request id: the caller's X-Request-Id when given, otherwise generated. Echoed back. */
  id: string;
  /**
   * Tenant from X-Scope-OrgID, or "fake" when auth is disabled (as in Loki); '' on public routes.
   * On a multi-tenant request (`a|b`, only on routes declaring `multiTenant`) it is the `|`-joined
   * list, for logs only: read data through `tenants`.
   */
  tenant: string;
  /** The tenants the request acts for: exactly `[tenant]` on a single-tenant request, [] on public and tenantless routes. */
  tenants: readonly string[];
  /** Who is calling, when `auth.tokens_enabled` is on (undefined otherwise and on public routes). */
  identity?: Identity;
  params: Record<string, string>;
  /** What an admin route adds to its audit record (the token it made, the silence it set); never a secret. */
  auditDetails?: Record<string, unknown>;
  log: Logger;
  /** Reads the body (decompressed only by the caller), bounded by max_body_bytes. */
  body(): Promise<Buffer>;
  /** Query parameters, merged with an x-www-form-urlencoded POST body, as Loki accepts both. */
  query(): Promise<URLSearchParams>;
}

export function sendJson(ctx: RequestContext, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  ctx.res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  ctx.res.end(text);
}
