/** `logwharf/logger`: the observability kit's public API. */
export { getContext, withContext, setContextFields, type RequestContext } from './context.js';
export { httpMiddleware, type HttpMiddleware, type HttpMiddlewareOptions } from './http.js';
export { fastifyPlugin, type KitFastifyPlugin } from './fastify.js';
export { fetchWithContext } from './fetch.js';
export { registry } from './metrics.js';
