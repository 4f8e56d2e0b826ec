/**
 * The kit's HTTP middleware as a Fastify plugin: `app.register(fastifyPlugin(logger))`. Its
 * onRequest hook opens the request context and calls the rest of the request (later hooks, body
 * parsing, the handler, onSend/onResponse hooks) inside it; the route label is Fastify's route
 * template (`request.routeOptions.url`).
 *
 * The plugin carries `Symbol.for('skip-override')`, which is what the `fastify-plugin` package sets:
 * Fastify then does not encapsulate it, so its hook applies to every route of the instance it is
 * registered on (without it, only to routes registered inside the plugin). Fastify's types are not
 * imported: the kit depends on no framework.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { withContext } from './context.js';
import type { HttpMiddlewareOptions } from './http.js';
import { observeRequest } from './observe-request.js';
import { RouteLabels } from './route-label.js';

interface FastifyRequestLike {
  raw: IncomingMessage;
  routeOptions?: { url?: string };
}

interface FastifyLike {
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: { raw: ServerResponse }, done: () => void) => void): unknown;
}

export interface KitFastifyPlugin {
  (fastify: FastifyLike, opts: unknown, done: (err?: Error) => void): void;
  [key: symbol]: unknown;
}

export function fastifyPlugin(logger: Logger, opts: HttpMiddlewareOptions = {}): KitFastifyPlugin {
  const routes = new RouteLabels(opts.maxRoutes);
  const plugin = (fastify: FastifyLike, _opts: unknown, done: (err?: Error) => void): void => {
    fastify.addHook('onRequest', (request, reply, next) => {
      const ctx = observeRequest(logger, request.raw, reply.raw, { routes, route: () => request.routeOptions?.url });
      withContext(ctx, next);
    });
    done();
  };
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'logwharf-kit' });
}
