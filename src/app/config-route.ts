/**
 * Loki's `GET /config`: the configuration the server runs with, as YAML, in the file's own names
 * (docs/configuration.md) — the file, LOGWHARF_* variables and flags already merged and every
 * default filled in. As in Loki, `?mode=diff` answers only the values that differ from the
 * defaults and `?mode=defaults` the defaults themselves.
 *
 * Admin only and tenantless, like `/runtime_config` (Loki serves both on its admin port). Secrets
 * are never printed, whatever the mode: the Slack `api_url` and webhook `url` of the notifier's
 * receivers (Alertmanager counts both as secrets) and the password of any URL with user
 * information (`http://user:pass@host`) show as Loki's `********`. Token files, the metrics token
 * file and the TLS key appear as paths only; their contents are never read here. With tokens on,
 * proxy-mode group mappings naming a tenant the caller's token lacks are left out, so a tenant's
 * admin learns no other tenant's name.
 */
import { stringify } from 'yaml';
import { LogwharfError } from '../api/errors.js';
import { serverConfigSchema, type ServerConfig } from '../config/server.js';
import type { RequestContext } from '../http/context.js';
import type { Router } from '../http/router.js';

/** What a secret shows as: Loki's flagext.Secret mask. */
export const SECRET_MASK = '********';

/** Paths (keys from the root, `*` for any list item) whose values are secrets. */
const SECRET_PATHS: ReadonlyArray<readonly string[]> = [
  ['notify', 'receivers', '*', 'slack_configs', '*', 'api_url'],
  ['notify', 'receivers', '*', 'webhook_configs', '*', 'url'],
];

type Tree = unknown;

function isSecretPath(path: readonly string[]): boolean {
  return SECRET_PATHS.some((p) => p.length === path.length && p.every((k, i) => k === '*' || k === path[i]));
}

/** `http://user:pass@host/…` → `http://user:********@host/…`; several comma-separated URLs each. */
function maskUrlPasswords(s: string): string {
  return s.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@,]*:)[^\s/@,]*@/gi, `$1${SECRET_MASK}@`);
}

/** A copy of `v` with every secret masked. */
export function redactSecrets(v: Tree, path: string[] = []): Tree {
  if (Array.isArray(v)) return v.map((x) => redactSecrets(x, [...path, '*']));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactSecrets(x, [...path, k]);
    return out;
  }
  if (typeof v === 'string') return isSecretPath(path) && v !== '' ? SECRET_MASK : maskUrlPasswords(v);
  return v;
}

/** The keys of `v` whose values differ from `defaults`, mapping by mapping (lists compared whole). */
export function configDiff(v: Tree, defaults: Tree): Tree | undefined {
  const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isMap(v) && isMap(defaults)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const d = configDiff(x, defaults[k]);
      if (d !== undefined) out[k] = d;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return JSON.stringify(v) === JSON.stringify(defaults) ? undefined : v;
}

/** Leaves out proxy group mappings naming a tenant outside `tenants`. */
function visibleTo(config: ServerConfig, tenants: ReadonlySet<string>): ServerConfig {
  const groups = config.auth.proxy.groups.filter((g) => g.tenants.every((t) => tenants.has(t)));
  return { ...config, auth: { ...config.auth, proxy: { ...config.auth.proxy, groups } } };
}

const MODES = new Set(['', 'diff', 'defaults']);

export function registerConfigRoute(router: Router, config: ServerConfig): void {
  const defaults = serverConfigSchema.parse({});
  router.add(
    'GET',
    '/config',
    async (ctx: RequestContext) => {
      const mode = (await ctx.query()).get('mode') ?? '';
      if (!MODES.has(mode)) {
        throw new LogwharfError('invalid_param', `invalid parameter "mode": "${mode.slice(0, 40)}" is not a mode; use mode=diff, mode=defaults or leave it out`, { param: 'mode' });
      }
      const running = ctx.identity ? visibleTo(config, new Set(ctx.identity.tenants)) : config;
      const shown = mode === 'defaults' ? defaults : mode === 'diff' ? (configDiff(running, defaults) ?? {}) : running;
      const text = stringify(redactSecrets(shown));
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      ctx.res.end(text);
    },
    { role: 'admin', tenantless: true },
  );
}
