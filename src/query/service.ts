/**
 * The query service: parses, plans and evaluates LogQL range and instant queries, log and metric,
 * under `query.timeout`, and returns typed results (entries, or vector/matrix/scalar data) with
 * Loki's stats and warnings. It never encodes: the HTTP routes do (src/api/envelope.ts), and other
 * callers (the ruler's instant metric queries) take the values as they are.
 */
import { LogwharfError } from '../api/errors.js';
import type { LokiStats } from '../api/stats.js';
import type { ServerConfig } from '../config/server.js';
import { parseExpr } from '../logql/syntax/index.js';
import type { Expr, MetricExpr } from '../logql/syntax/ast.js';
import type { Store } from '../store/store.js';
import type { BlockScanner } from './engine/block-scanner.js';
import { evaluateLogQuery, type Direction, type LogQueryResult } from './engine/log-query.js';
import type { QueryPool } from './engine/query-pool.js';
import { withQueryDeadline } from './deadline.js';
import { runMetricQuery, type MetricQueryData } from './metric-query.js';
import { logQueryStats } from './streams.js';
import { createScanner } from './engine/scanner-factory.js';
import { readerFor } from './tenant-union.js';

export type QueryLimits = Pick<ServerConfig['limits'], 'max_entries_limit_per_query' | 'max_query_series'>;

export interface QueryServiceDeps {
  store: Store;
  scanner: BlockScanner;
  /** Worker threads for metric queries (absent: the calling thread). */
  pool?: QueryPool;
  limits: QueryLimits;
  /** A tenant's own limits (per-tenant overrides, reloaded at run time); `limits` for every tenant when absent. */
  limitsFor?: (tenant: string) => QueryLimits;
  timeoutMs: number;
}

export interface RangeQueryRequest {
  /** One tenant, or several for a multi-tenant query (./tenant-union.ts: results carry `__tenant_id__`). */
  tenant: string | readonly string[];
  query: string;
  /** Nanoseconds; `end` is exclusive for log queries, as in Loki. */
  start: bigint;
  end: bigint;
  step: bigint;
  limit: number;
  direction: Direction;
}

export interface InstantQueryRequest {
  /** One tenant, or several for a multi-tenant query. */
  tenant: string | readonly string[];
  query: string;
  /** Nanoseconds. */
  time: bigint;
}

/** Entries of a log query, newest or oldest first as asked; group them with ./streams.ts. */
export interface LogResult {
  kind: 'log';
  result: LogQueryResult;
  direction: Direction;
  stats: LokiStats;
  warnings: string[];
}

export interface MetricResult {
  kind: 'metric';
  data: MetricQueryData;
  stats: LokiStats;
  warnings: string[];
}

export type QueryResult = LogResult | MetricResult;

export interface QueryService {
  range(req: RangeQueryRequest): Promise<QueryResult>;
  /** Metric queries only, as in Loki 3 (a log selector is a 400 with Loki's advice). */
  instant(req: InstantQueryRequest): Promise<MetricResult>;
}

export function createQueryService(deps: QueryServiceDeps): QueryService {
  // Read per query, so a reload of the overrides applies from the next query on. A multi-tenant
  // query gets the smallest of its tenants' limits, as in Loki's multi-tenant querier.
  const limitsOf = (tenants: string | readonly string[]): QueryLimits => {
    const list = typeof tenants === 'string' ? [tenants] : tenants;
    let smallest: QueryLimits | undefined;
    for (const t of list) {
      const l = deps.limitsFor?.(t) ?? deps.limits;
      smallest = smallest
        ? { max_entries_limit_per_query: Math.min(smallest.max_entries_limit_per_query, l.max_entries_limit_per_query), max_query_series: Math.min(smallest.max_query_series, l.max_query_series) }
        : l;
    }
    return smallest ?? deps.limits;
  };
  const withDeadline = <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => withQueryDeadline(deps.timeoutMs, run);

  // Several tenants are read as one store (./tenant-union.ts), so limit, direction and
  // max_query_series apply to the merged result, as in Loki's multi-tenant querier.
  const metric = async (tenants: string | readonly string[], expr: MetricExpr, start: bigint, end: bigint, step: bigint, instant: boolean): Promise<MetricResult> => {
    const { reader, tenant } = readerFor(deps.store, tenants);
    const r = await withDeadline((signal) =>
      runMetricQuery(reader, { tenant, expr, start, end, step, instant, maxSeries: limitsOf(tenants).max_query_series, pool: deps.pool, signal }),
    );
    return { kind: 'metric', data: r.data, stats: r.stats, warnings: r.warnings };
  };

  return {
    async range(req) {
      const expr: Expr = parseExpr(req.query);
      if (expr.kind !== 'log') return metric(req.tenant, expr, req.start, req.end, req.step, false);
      const max = limitsOf(req.tenant).max_entries_limit_per_query;
      if (req.limit > max) {
        throw new LogwharfError('query_limit', `max entries limit per query exceeded, limit > max_entries_limit_per_query (${req.limit} > ${max})`);
      }
      const { reader, tenant, multi } = readerFor(deps.store, req.tenant);
      // The view's block references carry its own stream ids: its scanner maps them back when a
      // damaged block is reported.
      const scanner = multi ? createScanner(reader, deps.pool) : deps.scanner;
      const result = await withDeadline((signal) =>
        evaluateLogQuery(reader, scanner, { tenant, expr, from: req.start, to: req.end, direction: req.direction, limit: req.limit, signal }),
      );
      return { kind: 'log', result, direction: req.direction, stats: logQueryStats(result), warnings: result.warnings ?? [] };
    },
    async instant(req) {
      const expr = parseExpr(req.query);
      if (expr.kind === 'log') {
        throw new LogwharfError('bad_request', 'log queries are not supported as an instant query type, please change your query to a range query type');
      }
      return metric(req.tenant, expr, req.time, req.time, 1n, true);
    },
  };
}
