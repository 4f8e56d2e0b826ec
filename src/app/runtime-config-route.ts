/**
 * Loki's `GET /runtime_config`: the runtime config in force as YAML, each tenant's limits in full
 * (Loki's defaults, the server's `limits` and `retention`, then the tenant's overrides), or with
 * `?mode=diff` only the keys where a tenant differs from the server's defaults. Admin only and
 * tenantless, like Loki's (which serves it on the admin port); with tokens on it shows only the
 * tenants the caller's token holds, so a tenant's admin learns nothing of the others.
 */
import { stringify } from 'yaml';
import { LogwharfError } from '../api/errors.js';
import { limitOverrides, tenantRetention, type LimitsSection, type RetentionSection, type TenantOverrides } from '../config/runtime-config.js';
import type { RequestContext } from '../http/context.js';
import type { Router } from '../http/router.js';
import { DEFAULT_LIMITS_CONFIG } from '../ingest/limits.js';
import type { RuntimeConfig } from './runtime-config.js';

type Flat = Record<string, unknown>;

/** Keys in a stable order, with no undefined values (YAML would print them as null). */
function sorted(o: Flat): Flat {
  const out: Flat = {};
  for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function retentionKeys(r: RetentionSection): Flat {
  return { retention_period: r.period, retention_stream: r.streams.map((s) => ({ selector: s.selector, priority: s.priority, period: s.period })) };
}

/** What every tenant gets without overrides, in the file's names. */
export function defaultTenantConfig(limits: LimitsSection, retention: RetentionSection): Flat {
  return sorted({ ...DEFAULT_LIMITS_CONFIG, ...sorted(limits), ...retentionKeys(retention) });
}

/** A tenant's effective config: the defaults with its overrides laid on. */
export function effectiveTenantConfig(defaults: Flat, retention: RetentionSection, o: TenantOverrides): Flat {
  return sorted({ ...defaults, ...limitOverrides(o), ...retentionKeys(tenantRetention(retention, o)) });
}

/** The keys of `effective` whose values differ from `defaults`. */
function diff(effective: Flat, defaults: Flat): Flat {
  const out: Flat = {};
  for (const [k, v] of Object.entries(effective)) if (JSON.stringify(v) !== JSON.stringify(defaults[k])) out[k] = v;
  return out;
}

export function registerRuntimeConfigRoute(router: Router, runtime: RuntimeConfig, server: { limits: LimitsSection; retention: RetentionSection }): void {
  const defaults = defaultTenantConfig(server.limits, server.retention);
  router.add(
    'GET',
    '/runtime_config',
    async (ctx: RequestContext) => {
      const mode = (await ctx.query()).get('mode') ?? '';
      if (mode !== '' && mode !== 'diff') throw new LogwharfError('invalid_param', `invalid parameter "mode": "${mode.slice(0, 40)}" is not a mode; use mode=diff or leave it out`, { param: 'mode' });
      // With tokens on, only the caller's tenants (the route is tenantless: no X-Scope-OrgID narrows it).
      const visible = ctx.identity ? new Set(ctx.identity.tenants) : undefined;
      const overrides: Record<string, Flat> = {};
      const all = runtime.overrides();
      for (const tenant of Object.keys(all).sort()) {
        if (visible && !visible.has(tenant)) continue;
        const effective = effectiveTenantConfig(defaults, server.retention, all[tenant]!);
        overrides[tenant] = mode === 'diff' ? diff(effective, defaults) : effective;
      }
      const text = stringify({ overrides });
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      ctx.res.end(text);
    },
    { role: 'admin', tenantless: true },
  );
}
