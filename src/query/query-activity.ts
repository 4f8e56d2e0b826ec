/**
 * Queries in flight and queries that hit `query.timeout`, counted around the typed query service, so
 * every caller (the HTTP routes, the ruler's evaluations) is counted once, where the work is. The
 * health monitor reads both (GET /api/v1/status, component `queries`); Prometheus scrapes them as
 * `logwharf_queries_in_flight` and `logwharf_query_timeouts_total`.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { isLogwharfError } from '../api/errors.js';
import type { QueryService } from './service.js';

export interface QueryActivity {
  /** The service with every call counted. */
  service: QueryService;
  inFlight(): number;
}

export function trackQueryActivity(inner: QueryService, registry: Registry): QueryActivity {
  let inFlight = 0;
  new Gauge({
    name: 'logwharf_queries_in_flight',
    help: 'Queries running now (HTTP queries and rule evaluations), through the query service.',
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });
  const timeouts = new Counter({
    name: 'logwharf_query_timeouts_total',
    help: 'Queries stopped by query.timeout (answered 504; a rule evaluation counts as failed).',
    registers: [registry],
  });
  const counted = async <T>(run: () => Promise<T>): Promise<T> => {
    inFlight++;
    try {
      return await run();
    } catch (e) {
      if (isLogwharfError(e) && e.code === 'timeout') timeouts.inc();
      throw e;
    } finally {
      inFlight--;
    }
  };
  return {
    service: {
      range: (req) => counted(() => inner.range(req)),
      instant: (req) => counted(() => inner.instant(req)),
    },
    inFlight: () => inFlight,
  };
}
