/**
 * What the HTTP server tells the audit log (issue #11; implemented by src/audit, wired in src/app):
 * every request refused by authorisation, and every state-changing request to an `admin` route with
 * its final status. The server only describes the request; the sink decides how it is written.
 * Also the rules of the reserved audit tenant, which only the server writes.
 */
import type { ServerResponse } from 'node:http';
import { AccessDenied, type DenyReason } from './authorize.js';
import type { Identity, Role } from './identity.js';
import type { RouteOptions } from './router.js';

/** One request as the audit log sees it: never a credential, a body or a query string. */
export interface AuditRequest {
  requestId: string;
  method: string;
  /** The route's pattern (`/loki/api/v1/rules/:namespace`), or the path when no route matched. */
  route: string;
  /** The path's parameters (rule namespace and group, token id, silence id). */
  params: Record<string, string>;
  status: number;
  /** The socket's address: what the failure limiter counts (a proxy in front shares one). */
  client: string;
  /** A client certificate's subject, when the TLS handshake verified one. */
  certificate?: string | undefined;
  identity?: Identity | undefined;
  /** The tenant the request acted for ('' when it acts for none, e.g. the token API). */
  tenant: string;
  /** What the handler adds to its record (`RequestContext.auditDetails`), never a secret. */
  details?: Record<string, unknown> | undefined;
}

export interface AuditDenial extends Omit<AuditRequest, 'identity'> {
  reason: DenyReason;
  /** Who, when a credential proved an identity that was then refused (role, tenant). */
  identity?: Identity | undefined;
  /** The tenant the request named (X-Scope-OrgID or `orgId`), as sent, when no tenant was granted. */
  askedTenant?: string | undefined;
}

export interface AuditSink {
  /** The reserved tenant whose one stream the audit log is. */
  readonly tenant: string;
  /** A refused request. Never throws and never waits: floods are bounded by the sink. */
  denied(d: AuditDenial): void;
  /** An admin action with its outcome; resolves once it is durable, rejects when it could not be written. */
  action(r: AuditRequest): Promise<void>;
}

/** Whether a request is an admin action the audit log must hold before its response goes out. */
export function isAuditedAction(method: string, options: RouteOptions): boolean {
  return !options.public && options.role === 'admin' && method !== 'GET' && method !== 'HEAD';
}

/**
 * The reserved audit tenant: nothing but the server writes it, in every mode (a route that needs
 * `write` — push, OTLP, sources, alerts — is refused whatever the role), and with tokens only an
 * admin token holding it reads it (`read` tokens holding it are refused: the audit log shows who did
 * what across tenants). Admin routes stay open to such an admin, so rules can alert on audit events.
 * `tenant` may be a multi-tenant `a|b` list: any member counts.
 */
export function checkAuditTenant(auditTenant: string, tenant: string, need: Role | undefined, identity: Identity | undefined): void {
  if (tenant !== auditTenant && !tenant.split('|').includes(auditTenant)) return;
  if (need === 'write') {
    throw new AccessDenied('reserved_tenant', identity?.name, 'forbidden', `forbidden: tenant "${auditTenant}" holds the audit log, which only the server writes`);
  }
  if (identity && identity.role !== 'admin') {
    throw new AccessDenied('reserved_tenant', identity.name, 'forbidden', `forbidden: reading the audit log (tenant "${auditTenant}") needs a token with the admin role`);
  }
}

/**
 * Holds a response's end until `before()` settles, so that an admin action the client sees
 * acknowledged is already in the audit log. Headers stay unsent until then too (node sends them with
 * the first body byte or the end), so `before` may still add one. Handlers of admin routes write
 * their answer with writeHead + end; a handler that streams with write() sends its head early, but
 * its end still waits.
 */
export function holdResponseEnd(res: ServerResponse, before: () => Promise<void>): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  let headArgs: unknown[] | undefined;
  let ended = false;
  // writeHead fixes the headers at once; deferred, so `before` can still set one.
  res.writeHead = ((...args: unknown[]) => {
    headArgs = args;
    if (typeof args[0] === 'number') res.statusCode = args[0];
    return res;
  }) as typeof res.writeHead;
  const flushHead = () => {
    if (headArgs && !res.headersSent) writeHead(...headArgs);
    headArgs = undefined;
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  res.write = ((...args: unknown[]) => (flushHead(), write(...args))) as typeof res.write;
  res.end = ((...args: unknown[]) => {
    if (ended) return res;
    ended = true;
    const finish = () => {
      flushHead();
      end(...args);
    };
    before().then(finish, finish);
    return res;
  }) as typeof res.end;
}
