/**
 * `POST /api/v1/sources` (agents report) and `GET /api/v1/sources` (operators read), both within the
 * request's tenant (X-Scope-OrgID; "fake" without auth): a tenant reads and overwrites only what
 * agents reported with its own tenant.
 */
import { SOURCES_PATH } from '../api/sources.js';
import { LogwharfError } from '../api/errors.js';
import { decodeContentEncoding } from '../api/push/body.js';
import { sendJson } from '../http/context.js';
import type { Router } from '../http/router.js';
import type { SourcesRegistry } from './registry.js';
import { MAX_REPORT_BYTES, parseSourceReport, parseSourcesFilter } from './report-schema.js';

/** `registry` throws when the registry is not open (before start, after close). */
export function registerSourcesRoutes(router: Router, registry: () => SourcesRegistry): void {
  router.add('POST', SOURCES_PATH, async (ctx) => {
    const declared = Number(ctx.req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_REPORT_BYTES) {
      // Not read: drain it so the connection stays usable for the error response.
      ctx.req.resume();
      throw tooLarge(`${declared} bytes`);
    }
    const raw = await ctx.body();
    if (raw.length > MAX_REPORT_BYTES) throw tooLarge(`${raw.length} bytes`);
    const body = await decodeContentEncoding(raw, ctx.req.headers['content-encoding'], MAX_REPORT_BYTES).catch((e: unknown) => {
      if (e instanceof LogwharfError && e.code === 'payload_too_large') throw tooLarge('more than that after decompression');
      throw e;
    });
    registry().report(ctx.tenant, parseSourceReport(body));
    ctx.res.writeHead(204);
    ctx.res.end();
  }, { role: 'write' });
  router.add('GET', SOURCES_PATH, (ctx) => {
    const filter = parseSourcesFilter(ctx.url.searchParams);
    sendJson(ctx, 200, { status: 'success', data: registry().list(ctx.tenant, filter) });
  }, { role: 'read' });
}

function tooLarge(size: string): LogwharfError {
  return new LogwharfError('payload_too_large', `source report too large: ${size}, limit ${MAX_REPORT_BYTES} bytes`);
}
