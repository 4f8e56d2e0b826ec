/**
 * The HTTP server factory: request ids, tenancy, bounded bodies, routing, the one error mapper,
 * request metrics. Roles add their routes to a Router; WebSocket upgrades go to `onUpgrade`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { LogwharfError } from '../api/errors.js';
import { childLogger, type Logger } from '../util/logger.js';
import type { RequestContext } from './context.js';
import { sendError } from './error-mapper.js';
import type { HttpMetrics } from './metrics.js';
import type { Router } from './router.js';

export interface HttpServerOptions {
  router: Router;
  log: Logger;
  metrics: HttpMetrics;
  authEnabled: boolean;
  maxBodyBytes: number;
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer, ctx: { id: string; tenant: string; url: URL }) => void;
}

/** Loki's tenant when auth is disabled. */
export const DEFAULT_TENANT = 'fake';
const TENANT_RE = /^[A-Za-z0-9!\-_.*'()]{1,150}$/;

/** Resolves the tenant of a request, as Loki does (X-Scope-OrgID; "fake" without auth). */
export function resolveTenant(header: string | string[] | undefined, authEnabled: boolean): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (!authEnabled) return DEFAULT_TENANT;
  if (!value) throw new LogwharfError('unauthorized', 'no org id');
  // Loki allows a `|`-separated list for multi-tenant queries; we keep one tenant per request for now.
  if (!TENANT_RE.test(value) || value === '.' || value === '..') {
    throw new LogwharfError('unauthorized', `invalid tenant id "${value.slice(0, 160)}": use 1-150 characters of [A-Za-z0-9!-_.*'()]`);
  }
  return value;
}

export function createHttpServer(opts: HttpServerOptions): Server {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    const started = process.hrtime.bigint();
    const idHeader = req.headers['x-request-id'];
    const id = typeof idHeader === 'string' && idHeader.length > 0 && idHeader.length <= 128 ? idHeader : randomUUID();
    res.setHeader('X-Request-Id', id);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const log = childLogger(opts.log, { reqId: id });
    const method = req.method ?? 'GET';
    let routeName = 'unmatched';
    res.on('finish', () => {
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      opts.metrics.requestDuration.observe({ method, route: routeName, status: String(res.statusCode) }, secs);
      log.debug({ method, path: url.pathname, status: res.statusCode, ms: Math.round(secs * 1000) }, 'request');
    });
    void (async () => {
      try {
        const found = opts.router.match(method === 'HEAD' ? 'GET' : method, url.pathname);
        if (!found.route) {
          if (found.methodMismatch) throw new LogwharfError('method_not_allowed', `method ${method} not allowed on ${url.pathname}`);
          throw new LogwharfError('not_found', `404 page not found: ${url.pathname}`);
        }
        routeName = found.route.name;
        let bodyPromise: Promise<Buffer> | undefined;
        const body = () => (bodyPromise ??= readBody(req, opts.maxBodyBytes));
        let queryPromise: Promise<URLSearchParams> | undefined;
        const ctx: RequestContext = {
          req,
          res,
          url,
          id,
          tenant: '',
          params: found.route.params,
          log,
          body,
          query: () => (queryPromise ??= mergedQuery(req, url, body)),
        };
        ctx.tenant = resolveTenant(req.headers['x-scope-orgid'], opts.authEnabled);
        await found.route.handler(ctx);
      } catch (e) {
        sendError(res, log, e, id);
      }
    })();
  });
  if (opts.onUpgrade) {
    const onUpgrade = opts.onUpgrade;
    server.on('upgrade', (req, socket, head) => {
      const id = randomUUID();
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const tenant = resolveTenant(req.headers['x-scope-orgid'], opts.authEnabled);
        onUpgrade(req, socket, head, { id, tenant, url });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const status = e instanceof LogwharfError ? e.status : 500;
        socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${msg}\n`);
      }
    });
  }
  return server;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const len = Number(req.headers['content-length']);
    if (Number.isFinite(len) && len > max) {
      req.resume();
      reject(new LogwharfError('payload_too_large', `request body of ${len} bytes exceeds the limit of ${max} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new LogwharfError('payload_too_large', `request body exceeds the limit of ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
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
