/**
 * Loki's read API: query, query_range, labels, label values, series, index stats and volume,
 * format_query. Parameter parsing and response shapes live in src/api (params.ts, envelope.ts);
 * evaluation in ./engine. Handlers only connect them.
 */
import { msToNs } from '../api/time-units.js';
import type { RequestContext } from '../http/context.js';
import { sendJson } from '../http/context.js';
import type { RouteOptions, Router } from '../http/router.js';
import type { Store } from '../store/store.js';
import type { BlockScanner } from './engine/block-scanner.js';
import type { ServerConfig } from '../config/server.js';
import { parseExpr, parseMatchers, printExpr } from '../logql/syntax/index.js';
import type { Matcher } from '../logql/syntax/ast.js';
import {
  parseRangeQueryParams,
  parseInstantQueryParams,
  parseLabelParams,
  parseSeriesParams,
  parseIndexParams,
  parseVolumeParams,
} from '../api/params.js';
import {
  encodeIndexStatsResponse,
  encodeLabelsResponse,
  encodeQueryResponse,
  encodeSeriesResponse,
  encodeVolumeResponse,
  wantsCategorizedLabels,
  type QueryData,
} from '../api/envelope.js';
import { toStreams } from './streams.js';
import { readerFor } from './tenant-union.js';
import type { QueryService } from './service.js';
import { volume, volumeRange } from './volume.js';
import { registerDrilldownRoutes } from './drilldown/routes.js';

export interface QueryContext {
  store: Store;
  scanner: BlockScanner;
  limits: ServerConfig['limits'];
  /** A tenant's own limits (per-tenant overrides); `limits` for every tenant when absent. */
  limitsFor?: (tenant: string) => ServerConfig['limits'];
  /** A tenant's retention period in force (`retention.period` or its override), e.g. `7d`; `0s` = forever. */
  retentionFor?: (tenant: string) => string;
  /** query.timeout, for the drilldown routes (range and instant queries apply it in the service). */
  timeoutMs: number;
  now: () => number;
  /** Range and instant queries. */
  service: QueryService;
}

/** Every query route reads the tenant's logs. */
const READ: RouteOptions = { role: 'read' };
/**
 * The routes Loki's multi-tenant querier serves across tenants (`X-Scope-OrgID: a|b`): queries,
 * labels, label values and series. Index stats, volume, drilldown and format_query stay
 * single-tenant.
 */
const READ_MULTI: RouteOptions = { role: 'read', multiTenant: true };

export function registerQueryRoutes(router: Router, q: QueryContext): void {
  const both = ['GET', 'POST'];
  router.add(both, '/loki/api/v1/query_range', (ctx) => queryRange(ctx, q), READ_MULTI);
  router.add(both, '/loki/api/v1/query', (ctx) => queryInstant(ctx, q), READ_MULTI);
  router.add(both, '/loki/api/v1/labels', (ctx) => labels(ctx, q), READ_MULTI);
  router.add(both, '/loki/api/v1/label', (ctx) => labels(ctx, q), READ_MULTI);
  router.add(both, '/loki/api/v1/label/:name/values', (ctx) => labelValues(ctx, q), READ_MULTI);
  router.add(both, '/loki/api/v1/series', (ctx) => series(ctx, q), READ_MULTI);
  router.add(both, '/loki/api/v1/index/stats', (ctx) => indexStats(ctx, q), READ);
  router.add(both, '/loki/api/v1/index/volume', (ctx) => volumeHandler(ctx, q, false), READ);
  router.add(both, '/loki/api/v1/index/volume_range', (ctx) => volumeHandler(ctx, q, true), READ);
  router.add(both, '/loki/api/v1/format_query', async (ctx) => {
    const params = await ctx.query();
    const text = params.get('query') ?? '';
    sendJson(ctx, 200, { status: 'success', data: printExpr(parseExpr(text)) });
  }, READ);
  // Legacy paths some older clients still call.
  router.add('GET', '/api/prom/label', (ctx) => labels(ctx, q), READ_MULTI);
  router.add('GET', '/api/prom/label/:name/values', (ctx) => labelValues(ctx, q), READ_MULTI);
  router.add('GET', '/api/prom/series', (ctx) => series(ctx, q), READ_MULTI);
  registerDrilldownRoutes(router, q);
}

function nowNs(q: QueryContext): bigint {
  return msToNs(q.now());
}


async function queryRange(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseRangeQueryParams(await ctx.query(), nowNs(q));
  ctx.log.debug({ query: p.query }, 'query started');
  const r = await q.service.range({ tenant: ctx.tenants, query: p.query, start: p.start, end: p.end, step: p.step, limit: p.limit, direction: p.direction });
  if (r.kind === 'metric') {
    sendJson(ctx, 200, encodeQueryResponse(r.data, { stats: r.stats, warnings: r.warnings }));
    return;
  }
  const categorizeLabels = wantsCategorizedLabels(ctx.req.headers['x-loki-response-encoding-flags']);
  const data: QueryData = { resultType: 'streams', result: toStreams(r.result, r.direction, categorizeLabels) };
  sendJson(ctx, 200, encodeQueryResponse(data, { categorizeLabels, stats: r.stats, warnings: r.warnings }));
}

async function queryInstant(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseInstantQueryParams(await ctx.query(), nowNs(q));
  ctx.log.debug({ query: p.query }, 'query started');
  const r = await q.service.instant({ tenant: ctx.tenants, query: p.query, time: p.time });
  sendJson(ctx, 200, encodeQueryResponse(r.data, { stats: r.stats, warnings: r.warnings }));
}

function matchersOrEmpty(text: string | undefined): Matcher[] | undefined {
  if (!text) return undefined;
  return parseMatchers(text);
}

async function labels(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseLabelParams(await ctx.query(), nowNs(q));
  const { reader, tenant } = readerFor(q.store, ctx.tenants);
  const names = reader.labelNames(tenant, p.start, p.end, matchersOrEmpty(p.query));
  sendJson(ctx, 200, encodeLabelsResponse(names));
}

async function labelValues(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseLabelParams(await ctx.query(), nowNs(q));
  const { reader, tenant } = readerFor(q.store, ctx.tenants);
  const values = reader.labelValues(tenant, ctx.params.name!, p.start, p.end, matchersOrEmpty(p.query));
  sendJson(ctx, 200, encodeLabelsResponse(values));
}

async function series(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseSeriesParams(await ctx.query(), nowNs(q));
  const { reader, tenant } = readerFor(q.store, ctx.tenants);
  const seen = new Map<number, Record<string, string>>();
  for (const sel of p.match) {
    for (const s of reader.streams(tenant, parseMatchers(sel), p.start, p.end)) seen.set(s.id, s.labels);
  }
  sendJson(ctx, 200, encodeSeriesResponse([...seen.values()]));
}

async function indexStats(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseIndexParams(await ctx.query(), nowNs(q));
  const s = q.store.stats(ctx.tenant, parseMatchers(p.query), p.start, p.end);
  sendJson(ctx, 200, encodeIndexStatsResponse(s));
}

async function volumeHandler(ctx: RequestContext, q: QueryContext, range: boolean): Promise<void> {
  const p = parseVolumeParams(await ctx.query(), nowNs(q), range);
  const body = encodeVolumeResponse(range ? volumeRange(q.store, ctx.tenant, p) : volume(q.store, ctx.tenant, p));
  sendJson(ctx, 200, body);
}

