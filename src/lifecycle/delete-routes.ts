/**
 * Loki's log deletion API (issue #15), on Loki's paths and with Loki's answers:
 * - `POST /loki/api/v1/delete?query=&start=&end=` (PUT too, as older Loki documented) → 204;
 * - `GET /loki/api/v1/delete` → the tenant's requests as a JSON array;
 * - `DELETE /loki/api/v1/delete?request_id=` → 204 while the cancel period runs, 400 after.
 * All three need the admin role; POST and DELETE are audited by the HTTP server (the record
 * carries the request id and time range but not the query, which may hold the very secret being
 * deleted).
 */
import { parseCancelParams, parseDeleteRequestParams } from '../api/delete-request.js';
import { msToNs } from '../api/time-units.js';
import { sendJson, type RequestContext } from '../http/context.js';
import type { Router } from '../http/router.js';
import type { DeleteRequests } from './delete-requests.js';

const PATH = '/loki/api/v1/delete';

function noContent(ctx: RequestContext): void {
  ctx.res.writeHead(204);
  ctx.res.end();
}

export function registerDeleteRoutes(router: Router, requests: () => DeleteRequests, now: () => number): void {
  router.add(
    ['POST', 'PUT'],
    PATH,
    async (ctx) => {
      const p = parseDeleteRequestParams(await ctx.query(), msToNs(now()));
      const r = await requests().add(ctx.tenant, p);
      ctx.auditDetails = { request_id: r.request_id, start_time: r.start_time, end_time: r.end_time };
      noContent(ctx);
    },
    { role: 'admin' },
  );
  router.add('GET', PATH, (ctx) => sendJson(ctx, 200, requests().list(ctx.tenant)), { role: 'admin' });
  router.add(
    'DELETE',
    PATH,
    async (ctx) => {
      const id = parseCancelParams(await ctx.query());
      ctx.auditDetails = { request_id: id };
      await requests().cancel(ctx.tenant, id);
      noContent(ctx);
    },
    { role: 'admin' },
  );
}
