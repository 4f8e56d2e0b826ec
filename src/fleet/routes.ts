/**
 * The fleet API (issue #13), tenantless — the fleet belongs to the server, not to a tenant — with
 * role `read` for reads and `admin` for changes (audited by the HTTP server like every admin route):
 *
 *   GET  /api/v1/fleet/agents                          agents as they last reported
 *   GET  /api/v1/fleet/rollouts                        rollouts, newest first
 *   GET  /api/v1/fleet/rollouts/:id                    one rollout with its per-agent steps
 *   GET  /api/v1/fleet/configs                         configurations: selector, latest and good version, running rollout
 *   GET  /api/v1/fleet/configs/:name/history           versions with a diff to the previous one
 *   GET  /api/v1/fleet/configs/:name/versions/:version the body of one version (YAML); ?offered=true what
 *        agents are offered (for a Collector configuration its rendering, else the body)
 *   POST /api/v1/fleet/configs/:name                   body: the remote configuration (YAML);
 *        ?selector=k=v,…&canary=N|P%&window=30s&comment=… → 201 {version, rollout} (200 when unchanged)
 *   POST /api/v1/fleet/configs/:name/rollback?to=V     → 201 {version, rollout}
 */
import { LogwharfError } from '../api/errors.js';
import { FLEET_API } from '../api/fleet.js';
import { parseDurationMs } from '../config/duration.js';
import { DURATION_PATTERN } from '../config/server.js';
import { sendJson, type RequestContext } from '../http/context.js';
import type { RouteOptions, Router } from '../http/router.js';
import type { Fleet } from './fleet.js';

const READ: RouteOptions = { role: 'read', tenantless: true };
const ADMIN: RouteOptions = { role: 'admin', tenantless: true };

/** `fleet` throws when the fleet is not started. */
export function registerFleetRoutes(router: Router, fleet: () => Fleet): void {
  router.add('GET', `${FLEET_API}/agents`, (ctx) => ok(ctx, 200, fleet().agents()), READ);
  router.add('GET', `${FLEET_API}/rollouts`, (ctx) => ok(ctx, 200, fleet().rollouts()), READ);
  router.add('GET', `${FLEET_API}/rollouts/:id`, (ctx) => ok(ctx, 200, fleet().rollout(pathInt(ctx.params.id!, (t) => `no rollout with id ${t}`))), READ);
  router.add('GET', `${FLEET_API}/configs`, (ctx) => ok(ctx, 200, fleet().configs()), READ);
  router.add('GET', `${FLEET_API}/configs/:name/history`, (ctx) => ok(ctx, 200, fleet().history(ctx.params.name!)), READ);
  router.add('GET', `${FLEET_API}/configs/:name/versions/:version`, (ctx) => {
    const offered = ctx.url.searchParams.get('offered');
    if (offered !== null && offered !== 'true' && offered !== 'false') throw new LogwharfError('invalid_param', `invalid offered "${offered.slice(0, 40)}": want true or false`);
    const version = pathInt(ctx.params.version!, (t) => `configuration "${ctx.params.name!.slice(0, 80)}" has no version ${t}`);
    const body = fleet().versionBody(ctx.params.name!, version, offered === 'true');
    ctx.res.writeHead(200, { 'Content-Type': 'application/yaml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    ctx.res.end(body);
  }, READ);
  router.add('POST', `${FLEET_API}/configs/:name`, async (ctx) => {
    const p = ctx.url.searchParams;
    const window = p.get('window');
    if (window !== null && !DURATION_PATTERN.test(window)) throw new LogwharfError('invalid_param', `invalid window "${window.slice(0, 40)}": want a duration such as 30s, 5m`);
    const result = fleet().apply({
      name: ctx.params.name!,
      body: utf8(await ctx.body()),
      selector: p.get('selector') ?? undefined,
      canary: p.get('canary') ?? undefined,
      windowMs: window === null ? undefined : parseDurationMs(window),
      author: author(ctx),
      comment: p.get('comment') ?? undefined,
    });
    ctx.auditDetails = { config: result.config, version: result.version, rollout: result.rollout?.id, unchanged: result.unchanged };
    ok(ctx, result.unchanged ? 200 : 201, result);
  }, ADMIN);
  router.add('POST', `${FLEET_API}/configs/:name/rollback`, (ctx) => {
    const to = ctx.url.searchParams.get('to');
    if (to === null) throw new LogwharfError('invalid_param', 'missing parameter "to": the version to roll back to');
    const result = fleet().rollback(ctx.params.name!, positiveInt('to', to), author(ctx));
    ctx.auditDetails = { config: result.config, version: result.version, rollout: result.rollout?.id, to: Number(to) };
    ok(ctx, 201, result);
  }, ADMIN);
}

function ok(ctx: RequestContext, status: number, data: unknown): void {
  sendJson(ctx, status, { status: 'success', data });
}

function positiveInt(name: string, text: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new LogwharfError('invalid_param', `invalid ${name} "${text.slice(0, 40)}": want a positive integer`);
  return Number(text);
}

/** A number in the path: anything else names nothing that exists (404, as for an unknown number). */
function pathInt(text: string, notFound: (shown: string) => string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new LogwharfError('not_found', notFound(JSON.stringify(text.slice(0, 40))));
  return Number(text);
}

function utf8(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new LogwharfError('bad_request', 'the remote configuration is not valid UTF-8');
  }
}

/** Who made a version: the token's name with tokens on, else "anonymous" (the audit log has the address). */
function author(ctx: RequestContext): string {
  return ctx.identity?.name ?? 'anonymous';
}
