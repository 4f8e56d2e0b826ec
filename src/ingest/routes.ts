/** Push endpoints: Loki's push (and its legacy path) and OTLP/HTTP logs. */
import type { RequestContext } from '../http/context.js';
import type { RouteOptions, Router } from '../http/router.js';
import type { PushService } from './push-service.js';
import { toLogwharfError } from '../http/error-mapper.js';
import { otlpErrorResponse } from '../api/push/otlp-push.js';

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
  // The decoders copy everything they keep (strings, new buffers): the body's buffer may be reused.
  const write: RouteOptions = { role: 'write', reusableBody: true };
  router.add('POST', '/loki/api/v1/push', lokiPush, write);
  router.add('POST', '/api/prom/push', lokiPush, write);
  router.add('POST', '/otlp/v1/logs', async (ctx) => {
    const contentType = ctx.req.headers['content-type'];
    try {
      const body = await ctx.body();
      const out = await push.pushOtlp(ctx.tenant, { contentType, contentEncoding: ctx.req.headers['content-encoding'], body });
      ctx.res.writeHead(200, { 'Content-Type': out.contentType, 'Content-Length': out.body.length });
      ctx.res.end(out.body);
    } catch (e) {
      // OTLP/HTTP clients expect a google.rpc.Status body in the request's encoding for 4xx; server
      // trouble goes through the common mapper, which logs it with the request id.
      const err = toLogwharfError(e);
      if (err.status >= 500) throw e;
      ctx.log.info({ code: err.code, status: err.status, err: err.message }, 'request rejected');
      const r = otlpErrorResponse(err, contentType);
      ctx.res.writeHead(r.status, { 'Content-Type': r.contentType, 'Content-Length': r.body.length });
      ctx.res.end(r.body);
    }
  }, write);
}
