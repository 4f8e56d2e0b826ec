/**
 * `GET /api/v1/status`: the health monitor's answer (docs/api.md, "Server status").
 *
 * Tenantless, role `read`: the figures are the server's (disk, WAL, every tenant's ingest and
 * agents), what an operator needs, the way /metrics names every tenant too; X-Scope-OrgID is not
 * read. It always answers 200 when it could check (a critical component is in the body, and
 * `logwharf status` turns it into its exit code): a probe that wants a status code has /ready.
 *
 * `component=a,b` (or repeated) narrows the answer to those components; an unknown or empty name is a 400.
 */
import { LogwharfError } from '../api/errors.js';
import { STATUS_PATH } from '../api/status.js';
import { sendJson } from '../http/context.js';
import type { Router } from '../http/router.js';
import type { HealthMonitor } from './monitor.js';

export function registerStatusRoute(router: Router, monitor: HealthMonitor): void {
  router.add('GET', STATUS_PATH, async (ctx) => {
    sendJson(ctx, 200, await monitor.check(parseComponents(ctx.url.searchParams)));
  }, { role: 'read', tenantless: true });
}

/** The `component` parameter: undefined when absent, else the names given. */
export function parseComponents(params: URLSearchParams): string[] | undefined {
  const raw = params.getAll('component');
  if (raw.length === 0) return undefined;
  const names = raw.flatMap((v) => v.split(',')).map((s) => s.trim());
  if (names.some((n) => n === '')) throw new LogwharfError('invalid_param', 'component: an empty name; give component names separated by commas, e.g. component=store,agents');
  return [...new Set(names)];
}
