/**
 * The endpoints Grafana's Logs Drilldown app calls besides the query API (issue #3 §2), in Loki
 * 3.x's shapes: detected_labels, detected_fields, detected_field/<name>/values, patterns and
 * drilldown-limits. Parameters are parsed in src/api/params.ts; the work is in the files beside
 * this one.
 */
import { msToNs } from '../../api/time-units.js';
import { formatPromDuration } from '../../api/duration.js';
import { parseDurationMs } from '../../config/duration.js';
import { withQueryDeadline } from '../deadline.js';
import type { RequestContext } from '../../http/context.js';
import { sendJson } from '../../http/context.js';
import type { RouteOptions, Router } from '../../http/router.js';
import { LogwharfError } from '../../api/errors.js';
import { parseDetectedFieldsParams, parseDetectedLabelsParams, parsePatternsParams } from '../../api/params.js';
import { parseLogExpr, parseMatchers } from '../../logql/syntax/index.js';
import type { LogExpr } from '../../logql/syntax/ast.js';
import { evaluateLogQuery } from '../engine/log-query.js';
import type { QueryContext } from '../routes.js';
import { detectLabels } from './detected-labels.js';
import { detectFields, encodeDetectedFields, fieldValues } from './detected-fields.js';
import { queryPatterns } from './patterns.js';

/**
 * The Loki version drilldown-limits reports. It matches /loki/api/v1/status/buildinfo
 * (src/app/build-info.ts), which query/ may not import.
 */
export const DRILLDOWN_LOKI_VERSION = '3.4.0';

const READ: RouteOptions = { role: 'read' };

export function registerDrilldownRoutes(router: Router, q: QueryContext): void {
  const both = ['GET', 'POST'];
  router.add(both, '/loki/api/v1/detected_labels', (ctx) => detectedLabelsHandler(ctx, q), READ);
  router.add(both, '/loki/api/v1/detected_fields', (ctx) => detectedFieldsHandler(ctx, q), READ);
  router.add(both, '/loki/api/v1/detected_field/:name/values', (ctx) => detectedFieldValuesHandler(ctx, q), READ);
  router.add(both, '/loki/api/v1/patterns', (ctx) => patternsHandler(ctx, q), READ);
  router.add('GET', '/loki/api/v1/drilldown-limits', (ctx) => sendJson(ctx, 200, drilldownLimits(q, ctx.tenant)), READ);
}

/** The tenant's limits, its runtime overrides included. */
function limitsOf(q: QueryContext, tenant: string): QueryContext['limits'] {
  return q.limitsFor?.(tenant) ?? q.limits;
}

function nowNs(q: QueryContext): bigint {
  return msToNs(q.now());
}

function logQuery(text: string): LogExpr {
  if (text.trim() === '') throw new LogwharfError('invalid_param', 'invalid parameter "query": a log query is required, e.g. {service_name="api"}', { param: 'query' });
  return parseLogExpr(text);
}

async function detectedLabelsHandler(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parseDetectedLabelsParams(await ctx.query(), nowNs(q));
  // Logs Drilldown sends an empty query for "every stream" (`{}` is not a valid selector).
  const text = p.query.replace(/\s+/g, '');
  const matchers = text === '' || text === '{}' ? [] : parseMatchers(p.query);
  sendJson(ctx, 200, { detectedLabels: detectLabels(q.store, ctx.tenant, matchers, p.start, p.end + 1n) });
}

/** The newest `line_limit` entries of the query, as Loki samples them for field detection. */
async function sample(ctx: RequestContext, q: QueryContext) {
  const p = parseDetectedFieldsParams(await ctx.query(), nowNs(q));
  const expr = logQuery(p.query);
  const max = limitsOf(q, ctx.tenant).max_entries_limit_per_query;
  if (p.lineLimit > max) throw new LogwharfError('query_limit', `max entries limit per query exceeded, limit > max_entries_limit_per_query (${p.lineLimit} > ${max})`);
  // Under query.timeout, which answers Loki's 504 and stops the workers.
  const res = await withQueryDeadline(q.timeoutMs, (signal) =>
    evaluateLogQuery(q.store, q.scanner, { tenant: ctx.tenant, expr, from: p.start, to: p.end, direction: 'backward', limit: p.lineLimit, signal }),
  );
  return { p, entries: res.entries };
}

async function detectedFieldsHandler(ctx: RequestContext, q: QueryContext): Promise<void> {
  const { p, entries } = await sample(ctx, q);
  sendJson(ctx, 200, encodeDetectedFields(detectFields(entries, p.limit), p.limit));
}

async function detectedFieldValuesHandler(ctx: RequestContext, q: QueryContext): Promise<void> {
  const { p, entries } = await sample(ctx, q);
  sendJson(ctx, 200, { values: fieldValues(entries, ctx.params.name!, p.limit), limit: p.limit });
}

async function patternsHandler(ctx: RequestContext, q: QueryContext): Promise<void> {
  const p = parsePatternsParams(await ctx.query(), nowNs(q));
  const expr = logQuery(p.query);
  const body = await withQueryDeadline(q.timeoutMs, (signal) =>
    queryPatterns(q.store, q.scanner, { tenant: ctx.tenant, expr, start: p.start, end: p.end, step: p.step, signal }),
  );
  sendJson(ctx, 200, body);
}

/** The tenant's retention in force as Loki prints it (`1w`, `30d`, `0s` = kept forever). */
function retentionText(q: QueryContext, tenant: string): string {
  const period = q.retentionFor?.(tenant);
  return period === undefined ? '0s' : formatPromDuration(parseDurationMs(period));
}

/**
 * Loki's `/loki/api/v1/drilldown-limits` (added in Loki 3.5): the tenant limits Logs Drilldown
 * reads, whether patterns are available, and the version. Limits we do not enforce answer Loki's
 * "no limit" values (`0s`, `0B`); `retention_period` is the tenant's in force, its runtime
 * override included, so Drilldown's time picker knows how far back data goes.
 */
export function drilldownLimits(q: QueryContext, tenant: string): { limits: Record<string, unknown>; pattern_ingester_enabled: boolean; version: string } {
  const l = limitsOf(q, tenant);
  return {
    limits: {
      // Defaults as src/ingest/limits.ts and detect-level.ts (query may not import ingest).
      discover_log_levels: l.discover_log_levels ?? true,
      discover_service_name: l.discover_service_name ?? ['service', 'app', 'application', 'app_name', 'name', 'app_kubernetes_io_name', 'container', 'container_name', 'k8s_container_name', 'component', 'workload', 'job', 'k8s_job_name'],
      log_level_fields: ['level', 'LEVEL', 'Level', 'log.level', 'severity', 'SEVERITY', 'Severity', 'SeverityText', 'lvl', 'LVL', 'Lvl', 'severity_text', 'Severity_Text', 'SEVERITY_TEXT'],
      max_entries_limit_per_query: l.max_entries_limit_per_query,
      max_line_size_truncate: l.max_line_size_truncate ?? false,
      max_query_bytes_read: '0B',
      max_query_length: '0s',
      max_query_lookback: '0s',
      max_query_range: '0s',
      max_query_series: l.max_query_series,
      metric_aggregation_enabled: false,
      pattern_persistence_enabled: false,
      query_timeout: formatPromDuration(q.timeoutMs),
      retention_period: retentionText(q, tenant),
      volume_enabled: true,
      volume_max_series: 1000,
    },
    pattern_ingester_enabled: true,
    version: DRILLDOWN_LOKI_VERSION,
  };
}
