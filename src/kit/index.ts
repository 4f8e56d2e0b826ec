/**
 * `logwharf/logger`: the observability kit's public API (docs/log-schema.md). It loads pino,
 * prom-client and node builtins only: no native module and nothing of the logwharf server.
 */
// The structured logger and the schema it writes.
export { createLogger, getLogger, bindLogger, toLevel, serializeError, type Logger, type LoggerOptions, type Level } from './logger.js';
// The request context carried through async code.
export {
  getContext,
  withContext,
  setContextFields,
  contextFromHeaders,
  parseTraceparent,
  formatTraceparent,
  newTraceId,
  newSpanId,
  type RequestContext,
  type TraceParent,
} from './context.js';
// HTTP middleware, Fastify plugin, propagating fetch and request metrics (src/kit/http.ts etc.) are exported below.
export { httpMiddleware, type HttpMiddleware, type HttpMiddlewareOptions } from './http.js';
export { fastifyPlugin, type KitFastifyPlugin } from './fastify.js';
export { fetchWithContext } from './fetch.js';
export { registry } from './metrics.js';
