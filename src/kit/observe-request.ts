/**
 * What the HTTP middleware and the Fastify plugin do for every request, on node's own request and
 * response objects: open the request context (ids from the headers, or new ones), answer with
 * `X-Request-ID` and our `traceparent`, and when the response ends (or the client goes away) write
 * one access line and record the request metrics.
 *
 * Both objects' events are emitted inside the request context: node emits a request's `data` and
 * `end` from the connection's async context, not the handler's, so a body parser that calls the
 * handler from `end` (express.json(), Fastify's content-type parsers, `req.on('end', ...)`) would
 * otherwise run it without the request's ids.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { contextFromHeaders, formatTraceparent, withContext, type RequestContext } from './context.js';
import { requestDuration, requestErrors, requestsInFlight, requestsTotal } from './metrics.js';
import { pathOf, type RouteLabels } from './route-label.js';

/** nginx's status for a request whose client closed the connection before the response was sent. */
export const CLIENT_CLOSED_REQUEST = 499;

export interface ObserveOptions {
  /** Labels for requests without a route template (shared by one middleware's requests). */
  routes: RouteLabels;
  /** The framework's route template, asked when the response ends (undefined: none matched). */
  route: () => string | undefined;
}

export function observeRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, opts: ObserveOptions): RequestContext {
  const start = performance.now();
  const ctx = contextFromHeaders(req.headers as Record<string, string | string[] | undefined>);
  // Read now: Express rewrites req.url inside mounted routers.
  const path = pathOf(req.url);
  res.setHeader('x-request-id', ctx.request_id);
  res.setHeader('traceparent', formatTraceparent(ctx));
  bindEmitter(req, ctx);
  bindEmitter(res, ctx);
  const bytes = countBodyBytes(req, res);
  requestsInFlight.inc();

  res.once('close', () => {
    requestsInFlight.dec();
    const aborted = !res.writableFinished;
    const status = aborted && !res.headersSent ? CLIENT_CLOSED_REQUEST : res.statusCode;
    const template = opts.route();
    const method = req.method ?? 'GET';
    const durationMs = performance.now() - start;
    const route = opts.routes.label(template, path);
    requestDuration.observe({ method, route, status_code: String(status) }, durationMs / 1000);
    requestsTotal.inc({ method, route, status_code: String(status) });
    if (status >= 500) requestErrors.inc({ method, route });

    const bodyless = method === 'HEAD' || status === 204 || status === 304;
    const line: Record<string, unknown> = {
      method,
      route: template ?? path,
      status,
      duration_ms: Math.round(durationMs * 1000) / 1000,
      bytes_in: bytes.in,
      bytes_out: bodyless ? 0 : bytes.out,
      request_id: ctx.request_id,
      trace_id: ctx.trace_id,
      span_id: ctx.span_id,
    };
    if (ctx.parent_span_id !== undefined) line.parent_span_id = ctx.parent_span_id;
    withContext(ctx, () => {
      if (aborted) logger.warn({ ...line, aborted: true }, 'request aborted');
      else if (status >= 500) logger.error(line, 'request completed');
      else logger.info(line, 'request completed');
    });
  });
  return ctx;
}

/** Makes every listener of `emitter` run inside `ctx`, whoever emits. */
function bindEmitter(emitter: EventEmitter, ctx: RequestContext): void {
  const emit = emitter.emit;
  emitter.emit = function boundEmit(this: EventEmitter, ...args: Parameters<EventEmitter['emit']>): boolean {
    return withContext(ctx, () => emit.apply(this, args));
  };
}

/**
 * Body bytes in both directions: node's parser hands each request body chunk to `req.push`, and
 * every response body goes through `res.write`/`res.end` (Express' send, Fastify's reply, pipes).
 * Headers are not counted.
 */
function countBodyBytes(req: IncomingMessage, res: ServerResponse): { in: number; out: number } {
  const bytes = { in: 0, out: 0 };
  const push = req.push;
  req.push = function countedPush(this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding): boolean {
    bytes.in += byteLength(chunk, encoding);
    return push.call(this, chunk, encoding);
  };
  const write = res.write;
  const end = res.end;
  res.write = function countedWrite(this: ServerResponse, ...args: unknown[]): boolean {
    bytes.out += byteLength(args[0], typeof args[1] === 'string' ? (args[1] as BufferEncoding) : undefined);
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as ServerResponse['write'];
  res.end = function countedEnd(this: ServerResponse, ...args: unknown[]): ServerResponse {
    if (typeof args[0] !== 'function') bytes.out += byteLength(args[0], typeof args[1] === 'string' ? (args[1] as BufferEncoding) : undefined);
    return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['end'];
  return bytes;
}

function byteLength(chunk: unknown, encoding: BufferEncoding | undefined): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, encoding ?? 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
