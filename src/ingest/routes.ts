/** Push endpoints: Loki's push (and its legacy path) and OTLP/HTTP logs. */
import type { RequestContext } from '../http/context.js';
import type { Router } from '../http/router.js';
import type { PushService } from './push-service.js';

export function registerIngestRoutes(router: Router, push: PushService): void {
  const lokiPush = async (ctx: RequestContext) => {
    const body = await ctx.body();
    await push.push(ctx.tenant, {
      contentType: ctx.req.headers['content-type'],
      contentEncoding: ctx.req.headers['content-encoding'],
      body,
    });
    ctx.res.writeHead(204);
    ctx.res.end();
  };
  router.add('POST', '/loki/api/v1/push', lokiPush);
  router.add('POST', '/api/prom/push', lokiPush);
  router.add('POST', '/otlp/v1/logs', async (ctx) => {
    const body = await ctx.body();
    const out = await push.pushOtlp(ctx.tenant, {
      contentType: ctx.req.headers['content-type'],
      contentEncoding: ctx.req.headers['content-encoding'],
      body,
    });
    ctx.res.writeHead(200, { 'Content-Type': out.contentType, 'Content-Length': out.body.length });
    ctx.res.end(out.body);
  });
}
