/**
 * HTTP middleware for `node:http` and Express: one request context per request (see
 * observe-request.ts for what it records). The same function is Express middleware
 * (`app.use(httpMiddleware(logger))`, first, so everything after it runs in the context) and a
 * `node:http` wrapper:
 *
 *   const mw = httpMiddleware(logger);
 *   http.createServer((req, res) => mw(req, res, () => handler(req, res)));
 *
 * `next` runs inside the request context; called without `next`, the middleware still sets the
 * headers, logs and counts the request, but nothing runs in its context.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { withContext } from './context.js';
import { observeRequest } from './observe-request.js';
import { RouteLabels } from './route-label.js';

export interface HttpMiddlewareOptions {
  /** Distinct `route` labels for requests without a route template before they are labelled `other` (default 200). */
  maxRoutes?: number;
}

export type HttpMiddleware = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

export function httpMiddleware(logger: Logger, opts: HttpMiddlewareOptions = {}): HttpMiddleware {
  const routes = new RouteLabels(opts.maxRoutes);
  return (req, res, next) => {
    const ctx = observeRequest(logger, req, res, { routes, route: () => expressRoute(req) });
    if (next) withContext(ctx, () => next());
  };
}

/** Express' matched route template (mount path + route path), when a route with a string path matched. */
function expressRoute(req: IncomingMessage): string | undefined {
  const r = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: unknown };
  const path = r.route?.path;
  if (typeof path !== 'string') return undefined;
  return (typeof r.baseUrl === 'string' ? r.baseUrl : '') + path;
}
