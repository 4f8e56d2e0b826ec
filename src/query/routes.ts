/**
 * Loki's read API: query, query_range, labels, label values, series, index stats and volume,
 * format_query. Parameter parsing and response shapes live in src/api (params.ts, envelope.ts);
 * evaluation in ./engine. Handlers only connect them.
 */
import type { RequestContext } from '../http/context.js';
import { sendJson } from '../http/context.js';
import type { Router } from '../http/router.js';
import type { Store } from '../store/store.js';
import type { BlockScanner } from './engine/block-scanner.js';
import type { ServerConfig } from '../config/server.js';
import { LogwharfError } from '../api/errors.js';
import { parseExpr, parseMatchers, printExpr } from '../logql/syntax/index.js';
import type { Expr, LogExpr, Matcher } from '../logql/syntax/ast.js';
import { evaluateLogQuery } from './engine/log-query.js';
import { queryDeadline } from './deadline.js';
import {
  parseRangeQueryParams,
  parseInstantQueryParams,
  parseLabelParams,
  parseSeriesParams,
  parseIndexParams,
  parseVolumeParams,
} from '../api/params.js';
import { encodeIndexStatsResponse, encodeLabelsResponse, encodeSeriesResponse, encodeVolumeResponse, wantsCategorizedLabels } from '../api/envelope.js';
import { encodeStreamsResponse } from './encode-streams.js';
import { volume, volumeRange } from './volume.js';
import { runMetricQuery } from './metric-query.js';
import type { QueryPool } from './engine/query-pool.js';
import { registerDrilldownRoutes } from './drilldown/routes.js';

export interface QueryContext {
  store: Store;
  scanner: BlockScanner;
  limits: ServerConfig['limits'];
  timeoutMs: number;
  now: () => number;
  /** Worker threads for metric queries (absent: the calling thread). */
  queryPool?: QueryPool;
}

export function registerQueryRoutes(router: Router, q: QueryContext): void {
  const both = ['GET', 'POST'];
  router.add(both, '/loki/api/v1/query_range', (ctx) => queryRange(ctx, q));
  router.add(both, '/loki/api/v1/query', (ctx) => queryInstant(ctx, q));
  router.add(both, '/loki/api/v1/labels', (ctx) => labels(ctx, q));
  router.add(both, '/loki/api/v1/label', (ctx) => labels(ctx, q));
  router.add(both, '/loki/api/v1/label/:name/values', (ctx) => labelValues(ctx, q));
  router.add(both, '/loki/api/v1/series', (ctx) => series(ctx, q));
  router.add(both, '/loki/api/v1/index/stats', (ctx) => indexStats(ctx, q));
  router.add(both, '/loki/api/v1/index/volume', (ctx) => volumeHandler(ctx, q, false));
  router.add(both, '/loki/api/v1/index/volume_range', (ctx) => volumeHandler(ctx, q, true));
  router.add(both, '/loki/api/v1/format_query', async (ctx) => {
    const params = await ctx.query();
    const text = params.get('query') ?? '';
    sendJson(ctx, 200, { status: 'success', data: printExpr(parseExpr(text)) });
  });
  // Legacy paths some older clients still call.
  router.add('GET', '/api/prom/label', (ctx) => labels(ctx, q));
  router.add('GET', '/api/prom/label/:name/values', (ctx) => labelValues(ctx, q));
  router.add('GET', '/api/prom/series', (ctx) => series(ctx, q));
  registerDrilldownRoutes(router, q);
}

function nowNs(q: QueryContext): bigint {
  return BigInt(q.now()) * 1_000_000n;
}


function checkLimit(limit: number, q: QueryContext): void {
  const max = q.limits.max_entries_limit_per_query;
  if (limit > max) throw new LogwharfError('query_limit', `max entries limit per query exceeded, limit > max_entries_limit_per_query (${limit} > ${max})`);
}

async function runLog(ctx: RequestContext, q: QueryContext, expr: LogExpr, from: bigint, to: bigint, limit: number, direction: 'forward' | 'backward') {
  checkLimit(limit, q);
  const res = await withDeadline(ctx, q, printExpr(expr), (signal) => evaluateLogQuery(q.store, q.scanner, { tenant: ctx.tenant, expr, from, to, direction, limit, signal }));
  const body = encodeStreamsResponse(res, direction, wantsCategorizedLabels(ctx.req.headers['x-loki-response-encoding-flags']));
  ctx.res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  ctx.res.end(body);
}

/** Runs a query under `query.timeout`; its start is logged at debug level (tests wait for it). */
async function withDeadline<T>(ctx: RequestContext, q: QueryContext, query: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  ctx.log.debug({ query }, 'query started');
  const deadline = queryDeadline(q.timeoutMs);
  try {
    return await run(deadline.signal);
  } finally {
    deadline.done();
  }
}

function parseQuery(text: string): Expr {
  return parseExpr(text);
}

async function queryRange(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseRangeQueryParams(await ctx.query(), nowNs(q));
  const expr = parseQuery(p.query);
  if (expr.kind !== 'log') {
    const body = await withDeadline(ctx, q, p.query, (signal) => runMetricQuery(q.store, { tenant: ctx.tenant, expr, start: p.start, end: p.end, step: p.step, instant: false, maxSeries: q.limits.max_query_series, pool: q.queryPool, signal }));
    sendJson(ctx, 200, body);
    return;
  }
  // Loki treats `end` as exclusive for log queries (logcli pages on that).
  await runLog(ctx, q, expr, p.start, p.end, p.limit, p.direction);
}

async function queryInstant(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseInstantQueryParams(await ctx.query(), nowNs(q));
  const expr = parseQuery(p.query);
  if (expr.kind === 'log') {
    // As Loki 3 does: an instant query of a log selector is rejected with this advice.
    throw new LogwharfError('bad_request', 'log queries are not supported as an instant query type, please change your query to a range query type');
  }
  const body = await withDeadline(ctx, q, p.query, (signal) => runMetricQuery(q.store, { tenant: ctx.tenant, expr, start: p.time, end: p.time, step: 1n, instant: true, maxSeries: q.limits.max_query_series, pool: q.queryPool, signal }));
  sendJson(ctx, 200, body);
}

function matchersOrEmpty(text: string | undefined): Matcher[] | undefined {
  if (!text) return undefined;
  return parseMatchers(text);
}

async function labels(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseLabelParams(await ctx.query(), nowNs(q));
  const names = q.store.labelNames(ctx.tenant, p.start, p.end, matchersOrEmpty(p.query));
  sendJson(ctx, 200, encodeLabelsResponse(names));
}

async function labelValues(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseLabelParams(await ctx.query(), nowNs(q));
  const values = q.store.labelValues(ctx.tenant, ctx.params.name!, p.start, p.end, matchersOrEmpty(p.query));
  sendJson(ctx, 200, encodeLabelsResponse(values));
}

async function series(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseSeriesParams(await ctx.query(), nowNs(q));
  const seen = new Map<number, Record<string, string>>();
  for (const sel of p.match) {
    for (const s of q.store.streams(ctx.tenant, parseMatchers(sel), p.start, p.end)) seen.set(s.id, s.labels);
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

