/**
 * The HTTP server factory: request ids, tenancy, bounded bodies, routing, the one error mapper,
 * request metrics. Roles add their routes to a Router; WebSocket upgrades go to `onUpgrade`.
 */
import { durationNsToSeconds } from '../api/time-units.js';
import { createServer, type IncomingMessage, type Server as PlainServer, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as HttpsServer } from 'node:https';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { peerSubject } from './peer.js';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { LogwharfError } from '../api/errors.js';
import { childLogger, type Logger } from '../util/logger.js';
import type { RequestContext } from './context.js';
import { sendError } from './error-mapper.js';
import { BodyBudget } from './body-budget.js';
import type { HttpMetrics } from './metrics.js';
import type { Router, RouteOptions } from './router.js';
import type { Authenticator, Identity, Role } from './identity.js';
import { AccessDenied, authorize, BEARER_CHALLENGE } from './authorize.js';
import { peerOf } from './peer.js';
import { checkMultiTenantRoute, parseTenantList, TENANT_SEPARATOR } from './tenants.js';
import { checkAuditTenant, holdResponseEnd, isAuditedAction, type AuditRequest, type AuditSink } from './audit-sink.js';

export interface HttpServerOptions {
  router: Router;
  log: Logger;
  metrics: HttpMetrics;
  authEnabled: boolean;
  /**
   * Set when `auth.tokens_enabled` is on: every non-public route then needs an identity holding the
   * route's role, and the tenant comes from that identity (src/http/authorize.ts).
   */
  authenticator?: Authenticator;
  /** With auth_enabled (no tokens): whether X-Scope-OrgID may name several tenants (`a|b`). */
  multiTenantQueries?: boolean;
  maxBodyBytes: number;
  /** Bound on the bytes of all request bodies in flight (503 with Retry-After beyond it). */
  maxInflightBodyBytes: number;
  /** The budget itself, when its owner reads it too (the memory governor: no collection while pushes are in flight). */
  bodyBudget?: BodyBudget;
  /** Connection timeouts in ms (see the `http` section of the server config); 0 turns one off. */
  timeouts: HttpTimeouts;
  /** HTTPS (issue #11): the certificate and, for mTLS, whether a client certificate is asked for and required. */
  tls?: HttpTlsOptions | undefined;
  /**
   * The audit log (src/audit): told of every refused request and of every admin action, which it
   * holds durably before the response goes out; it also guards its reserved tenant.
   */
  audit?: AuditSink | undefined;
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer, ctx: { id: string; tenant: string; url: URL }) => void;
}

export interface HttpTlsOptions {
  context: SecureContextOptions;
  /** Ask the client for a certificate (client_auth request or require). */
  requestCert: boolean;
  /** Refuse the handshake without a certificate the context's `ca` signed (client_auth require). */
  rejectUnauthorized: boolean;
}

/** The server either way: node:https's is node:http's over TLS, with setSecureContext on top. */
export type Server = PlainServer | HttpsServer;

export interface HttpTimeouts {
  /** Complete request headers must arrive within this (node's headersTimeout); 408 otherwise. */
  headerMs: number;
  /** The whole request must arrive within this (node's requestTimeout); handling time is not counted. */
  requestMs: number;
  /** Keep-alive connections idle between requests are closed after this (node's keepAliveTimeout). */
  idleMs: number;
  /** A connection inactive this long while no handler runs is destroyed. */
  socketMs: number;
}

/** Loki's tenant when auth is disabled. */
export const DEFAULT_TENANT = 'fake';
export { isValidTenantId } from './tenants.js';

/**
 * The tenants of a request, as Loki resolves them: X-Scope-OrgID, "fake" without auth (where a
 * `|` list means nothing either). Several tenants (`a|b`) need `query.multi_tenant_queries_enabled`,
 * Loki's querier flag, off by default: behind a gateway the header is trusted as sent, so reading
 * across tenants is the operator's choice. Without auth, a header naming exactly the reserved audit
 * tenant selects it (there is no other way to read the audit log then, and writing it is refused
 * anyway). A missing or invalid id is an AccessDenied, so the audit log records it.
 */
export function resolveTenants(header: string | string[] | undefined, authEnabled: boolean, multiTenantQueries: boolean, auditTenant?: string): string[] {
  const value = Array.isArray(header) ? header[0] : header;
  if (!authEnabled) return [auditTenant !== undefined && value === auditTenant ? auditTenant : DEFAULT_TENANT];
  if (!value) throw new AccessDenied('tenant_missing', undefined, 'unauthorized', 'no org id');
  const parsed = parseTenantList(value);
  // An invalid id stays Loki's 401; an empty part of a list is a malformed request.
  if (!parsed.ok) {
    if (parsed.reason === 'empty_part') throw new LogwharfError('bad_request', parsed.message);
    throw new AccessDenied('tenant_invalid', undefined, 'unauthorized', parsed.message);
  }
  if (parsed.tenants.length > 1 && !multiTenantQueries) {
    throw new LogwharfError('bad_request', 'multi-tenant queries (X-Scope-OrgID with "|") are disabled on this server (query.multi_tenant_queries_enabled)');
  }
  return parsed.tenants;
}

export function createHttpServer(opts: HttpServerOptions): Server {
  const t = opts.timeouts;
  const budget = opts.bodyBudget ?? new BodyBudget(opts.maxInflightBodyBytes);
  const httpOptions = {
    headersTimeout: t.headerMs,
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.idleMs,
    // node checks header and request deadlines on this interval (30 s by default, which would let
    // a slow-header client stay that much longer than header_timeout).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(t.headerMs / 4) || 1000)),
  };
  // One request pipeline either way: only the listener differs. node's own `rejectUnauthorized`
  // would drop a client whose certificate fails verification without saying why; we verify the same
  // way (`socket.authorized`, against the context's CA) in `requireClientCertificate`, and log why.
  const server: Server = opts.tls
    ? createTlsServer({ ...httpOptions, ...opts.tls.context, requestCert: opts.tls.requestCert, rejectUnauthorized: false }, (req, res) => handle(req, res))
    : createServer(httpOptions, (req, res) => handle(req, res));
  if (opts.tls) {
    // A failed handshake (TLS 1.1, no shared cipher, a client that distrusts us) is the client's
    // problem; node would otherwise drop it without a word.
    server.on('tlsClientError', (err: Error & { code?: string }, socket) => {
      opts.log.debug({ err: err.message, code: err.code, address: socket.remoteAddress }, 'tls handshake failed');
    });
    if (opts.tls.rejectUnauthorized) requireClientCertificate(server as HttpsServer, opts.log);
  }
  // Applies to every new connection until its first request is handled (and, through `handle`,
  // whenever a response is left waiting for a client that stopped reading).
  server.timeout = t.socketMs;
  return withUpgrades(server, opts);

  function handle(req: IncomingMessage, res: ServerResponse): void {
    // The request is here: the socket timeout must not cut a long query or a slow store append,
    // which the query timeout governs. It is set again once the handler is done (below).
    req.socket.setTimeout(0);
    const started = process.hrtime.bigint();
    const idHeader = req.headers['x-request-id'];
    const id = typeof idHeader === 'string' && idHeader.length > 0 && idHeader.length <= 128 ? idHeader : randomUUID();
    res.setHeader('X-Request-Id', id);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const log = childLogger(opts.log, { request_id: id });
    const method = req.method ?? 'GET';
    let routeName = 'unmatched';
    let errorBody: RouteOptions['errorBody'];
    const audit = opts.audit;
    // An admin route's own refusal (the token API with tokens off) is a denial, recorded once as such.
    let deniedInHandler = false;
    let current: RequestContext | undefined;
    res.on('finish', () => {
      const secs = durationNsToSeconds(process.hrtime.bigint() - started);
      opts.metrics.requestDuration.observe({ method, route: routeName, status: String(res.statusCode) }, secs);
      log.debug({ method, path: url.pathname, status: res.statusCode, ms: Math.round(secs * 1000) }, 'request');
    });
    void (async () => {
      try {
        const found = opts.router.match(method === 'HEAD' ? 'GET' : method, url.pathname);
        if (!found.route) {
          if (found.methodMismatch) throw new LogwharfError('method_not_allowed', `method ${method} not allowed on ${url.pathname}`);
          if (found.badEscape !== undefined) throw new LogwharfError('bad_request', `invalid URL escape in path segment "${found.badEscape.slice(0, 200)}"`);
          throw new LogwharfError('not_found', `404 page not found: ${url.pathname}`);
        }
        routeName = found.route.name;
        errorBody = found.route.options.errorBody;
        let bodyPromise: Promise<Buffer> | undefined;
        // The body's bytes stay counted until the response is done: handlers keep it (decoded) until then.
        let held = 0;
        res.once('close', () => budget.give(held));
        const take = (n: number) => {
          budget.take(n);
          held += n;
        };
        // A reusable body's buffer goes back to the budget once the handler is done and the read settled.
        let reusable: Buffer | undefined;
        const bufferFor = found.route.options.reusableBody ? (n: number) => (reusable = budget.buffer(n)) : undefined;
        const body = () => (bodyPromise ??= readBody(req, opts.maxBodyBytes, take, bufferFor));
        let queryPromise: Promise<URLSearchParams> | undefined;
        const ctx: RequestContext = {
          req,
          res,
          url,
          id,
          tenant: '',
          tenants: [],
          params: found.route.params,
          log,
          body,
          query: () => (queryPromise ??= mergedQuery(req, url, body)),
        };
        current = ctx;
        const o = found.route.options;
        if (!o.public) {
          if (opts.authenticator) {
            const access = authorize(opts.authenticator, req.headers.authorization, peerOf(req), o.role, req.headers['x-scope-orgid'], o.tenantless);
            ctx.tenants = access.tenants;
            ctx.identity = access.identity;
          } else if (!o.tenantless) ctx.tenants = resolveTenants(req.headers['x-scope-orgid'], opts.authEnabled, opts.multiTenantQueries ?? false, opts.audit?.tenant);
          checkMultiTenantRoute(ctx.tenants, routeName, o.multiTenant);
          ctx.tenant = ctx.tenants.join(TENANT_SEPARATOR);
          if (opts.audit) checkAuditTenant(opts.audit.tenant, ctx.tenant, o.role, ctx.identity);
        }
        if (audit && isAuditedAction(method, o)) {
          holdResponseEnd(res, async () => {
            if (deniedInHandler) return;
            try {
              await audit.action({ ...auditRequest(req, id, routeName, ctx.params, res.statusCode, ctx.identity), tenant: ctx.tenant, details: ctx.auditDetails });
            } catch {
              // The action took effect; its answer says so, and this header that it is not in the audit log.
              res.setHeader(AUDIT_FAILED_HEADER, 'not-recorded');
            }
          });
        }
        try {
          await found.route.handler(ctx);
        } finally {
          if (reusable !== undefined) {
            const b = reusable;
            const back = () => budget.reuse(b);
            void bodyPromise!.then(back, back);
          }
        }
      } catch (e) {
        if (e instanceof AccessDenied) {
          deniedInHandler = true;
          logDenied(log, e, { method, route: routeName, client: req.socket.remoteAddress });
          if (e.status === 401 && isCredentialRefusal(e)) res.setHeader('WWW-Authenticate', BEARER_CHALLENGE);
          audit?.denied({ ...auditRequest(req, id, routeName, current?.params ?? {}, e.status, current?.identity ?? deniedIdentity(opts, e, req)), reason: e.reason, askedTenant: headerValue(req.headers['x-scope-orgid']) });
        }
        sendError(res, log, e, id, errorBody);
      }
      // A response still not flushed after this long means the client stopped reading.
      if (!res.writableFinished && t.socketMs > 0) res.setTimeout(t.socketMs, () => res.destroy());
    })();
  }
}

/**
 * client_auth require: a connection whose client certificate is missing or did not verify (expired,
 * another CA) is closed before node:http sees it, and the reason logged. Node's listeners for
 * 'secureConnection' (node:http's) run only for the connections that pass.
 */
function requireClientCertificate(server: HttpsServer, log: Logger): void {
  const inner = server.listeners('secureConnection') as Array<(socket: TLSSocket) => void>;
  server.removeAllListeners('secureConnection');
  server.on('secureConnection', (socket: TLSSocket) => {
    if (!socket.authorized) {
      const presented = Object.keys(socket.getPeerCertificate()).length > 0;
      const reason = presented ? String(socket.authorizationError) : 'NO_CLIENT_CERTIFICATE';
      log.info({ reason, address: socket.remoteAddress, ...(presented && { subject: peerSubject(socket) }) }, 'tls client certificate refused');
      socket.destroy();
      return;
    }
    for (const l of inner) l.call(server, socket);
  });
}

function withUpgrades(server: Server, opts: HttpServerOptions): Server {
  if (opts.onUpgrade) {
    const onUpgrade = opts.onUpgrade;
    server.on('upgrade', (req, socket, head) => {
      const id = randomUUID();
      // node:http removes its own socket 'error' listener before 'upgrade'; a reset while we answer
      // or hand the socket over would otherwise be an unhandled 'error' that ends the process.
      socket.on('error', (err) => opts.log.debug({ request_id: id, err: err.message }, 'upgrade socket error'));
      let url: URL | undefined;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
        const orgId = req.headers['x-scope-orgid'] ?? upgradeTenantParam(url);
        let tenants: string[];
        let identity: Identity | undefined;
        if (opts.authenticator) {
          const authorization = req.headers.authorization ?? upgradeTokenParam(url);
          // The token leaves the URL before anything downstream could log or echo it.
          url.searchParams.delete('access_token');
          ({ tenants, identity } = authorize(opts.authenticator, authorization, peerOf(req), UPGRADE_ROLE, orgId));
        } else tenants = resolveTenants(orgId, opts.authEnabled, opts.multiTenantQueries ?? false, opts.audit?.tenant);
        // The live tail follows one tenant, as in Loki.
        checkMultiTenantRoute(tenants, url.pathname, false);
        const tenant = tenants[0]!;
        if (opts.audit) checkAuditTenant(opts.audit.tenant, tenant, UPGRADE_ROLE, identity);
        onUpgrade(req, socket, head, { id, tenant, url });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const status = e instanceof LogwharfError ? e.status : 500;
        let extra = '';
        if (e instanceof AccessDenied) {
          const route = url?.pathname ?? 'upgrade';
          logDenied(childLogger(opts.log, { request_id: id }), e, { method: 'GET', route, client: req.socket.remoteAddress });
          const asked = headerValue(req.headers['x-scope-orgid']) ?? (url ? upgradeTenantParam(url) : undefined);
          opts.audit?.denied({ ...auditRequest(req, id, route, {}, status, deniedIdentity(opts, e, req)), reason: e.reason, askedTenant: asked });
          if (status === 401 && isCredentialRefusal(e)) extra = `WWW-Authenticate: ${BEARER_CHALLENGE}\r\n`;
          const retry = e.details?.retryAfterSeconds;
          if (typeof retry === 'number') extra += `Retry-After: ${Math.max(1, Math.ceil(retry))}\r\n`;
        }
        socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: text/plain\r\n${extra}Connection: close\r\n\r\n${msg}\n`);
      }
    });
  }
  return server;
}

/** Set on an admin action's answer when its audit record could not be written (the action did happen). */
export const AUDIT_FAILED_HEADER = 'X-Logwharf-Audit';

/** What the audit log is told of any request (src/http/audit-sink.ts); never a credential or a body. */
function auditRequest(req: IncomingMessage, requestId: string, route: string, params: Record<string, string>, status: number, identity: Identity | undefined): AuditRequest {
  const peer = peerOf(req);
  return { requestId, method: req.method ?? 'GET', route, params, status, client: peer.address, certificate: peer.certificate?.subject, identity, tenant: '' };
}

/**
 * The identity a refused request proved, when it proved one (refused for its role or tenant, where
 * AccessDenied carries only the name): asked again of the authenticator, which answers from its
 * cache and counts no failure for a valid credential.
 */
function deniedIdentity(opts: HttpServerOptions, e: AccessDenied, req: IncomingMessage): Identity | undefined {
  if (e.who === undefined || !opts.authenticator) return undefined;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const r = opts.authenticator.authenticate(req.headers.authorization ?? upgradeTokenParam(url), peerOf(req));
  return r.ok ? r.identity : undefined;
}

/** 401s that ask for credentials (not auth_enabled's missing X-Scope-OrgID): these carry the Bearer challenge. */
function isCredentialRefusal(e: AccessDenied): boolean {
  return e.reason === 'no_credentials' || e.reason === 'bad_credentials';
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/** The only upgrade served is the live tail, which reads logs. */
const UPGRADE_ROLE: Role = 'read';

/**
 * One JSON line per refused request, for operators (the durable, LogQL-readable audit log of issue
 * #11 is a later step). Never the credentials: who is the identity's name when one was proved.
 */
function logDenied(log: Logger, e: AccessDenied, where: { method: string; route: string; client: string | undefined }): void {
  log.warn({ event: 'request_denied', status: e.status, reason: e.reason, who: e.who, method: where.method, route: where.route, client: where.client }, 'request denied');
}

/**
 * A WebSocket upgrade's token when it has no Authorization header: its `access_token` query
 * parameter (RFC 6750's name), since browsers cannot set headers on a WebSocket. The web UI sends
 * its token this way on the live tail only; HTTP routes take the header alone, so tokens do not end
 * up in proxies' access logs for every query.
 */
function upgradeTokenParam(url: URL): string | undefined {
  const token = url.searchParams.get('access_token');
  return token ? `Bearer ${token}` : undefined;
}

/**
 * The tenant of a WebSocket upgrade that carries no X-Scope-OrgID header: its `orgId` query
 * parameter. Browsers cannot set headers on a WebSocket, so the web UI's live tail names its tenant
 * this way (issue #10). It is trusted exactly as much as the header, which is no authentication
 * either (Loki leaves that to a proxy in front): a proxy that sets X-Scope-OrgID still decides, since
 * the header wins whenever it is present. Only upgrades read it; HTTP routes take the header alone.
 * With `auth.tokens_enabled` it only narrows among the token's tenants, exactly as the header does.
 */
function upgradeTenantParam(url: URL): string | undefined {
  return url.searchParams.get('orgId') ?? undefined;
}

/**
 * Reads a body of at most `max` bytes; `take` counts them against the in-flight budget (it throws when full).
 * A declared length is read straight into one buffer of that size: the socket's chunks are dropped as
 * they are copied, so they die young instead of being held (and promoted to V8's old generation, whose
 * ArrayBuffers only a full collection frees) for as long as the request lasts, which with 1 MB pushes
 * was a second megabyte per request of ingest's peak garbage (docs/benchmarks.md, issue #12 stop 18).
 */
function readBody(req: IncomingMessage, max: number, take: (n: number) => void, bufferFor?: (n: number) => Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const len = Number(req.headers['content-length']);
    if (Number.isFinite(len) && len > max) {
      req.resume();
      reject(new LogwharfError('payload_too_large', `request body of ${len} bytes exceeds the limit of ${max} bytes`));
      return;
    }
    // A declared length is taken whole before any byte is read; a chunked body as it arrives.
    let taken = 0;
    const fail = (e: unknown) => {
      req.removeAllListeners('data');
      req.resume();
      reject(e);
    };
    try {
      if (Number.isFinite(len) && len > 0) {
        take(len);
        taken = len;
      }
    } catch (e) {
      fail(e);
      return;
    }
    // The declared length's buffer (node checks that the body matches Content-Length), else chunks.
    let whole: Buffer | undefined = taken > 0 ? (bufferFor?.(taken) ?? Buffer.allocUnsafeSlow(taken)) : undefined;
    let chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      const at = size;
      size += c.length;
      if (size > max) {
        fail(new LogwharfError('payload_too_large', `request body exceeds the limit of ${max} bytes`));
        return;
      }
      if (size > taken) {
        try {
          take(size - taken);
          taken = size;
        } catch (e) {
          fail(e);
          return;
        }
      }
      if (whole !== undefined && size <= taken) c.copy(whole, at);
      else {
        // More than declared (node's parser does not let that happen): chunks after all.
        if (whole !== undefined) chunks.push(whole.subarray(0, at));
        whole = undefined;
        chunks.push(c);
      }
    };
    req.on('data', onData);
    req.on('end', () => {
      req.removeListener('data', onData);
      const out = whole !== undefined ? whole.subarray(0, size) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      whole = undefined;
      chunks = [];
      resolve(out);
    });
    req.on('error', reject);
  });
}

async function mergedQuery(req: IncomingMessage, url: URL, body: () => Promise<Buffer>): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.search);
  if (req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams((await body()).toString('utf8'));
    for (const [k, v] of form) params.append(k, v);
  }
  return params;
}
