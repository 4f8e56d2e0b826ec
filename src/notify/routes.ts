/**
 * The subset of Alertmanager's v2 API that Grafana's Alertmanager data source and amtool use,
 * under /alertmanager/api/v2/, with Alertmanager 0.25's JSON shapes and its error style (a JSON
 * string body). Every call is for the request's tenant (X-Scope-OrgID; "fake" without auth).
 */
import { stringify } from 'yaml';
import { LogwharfError } from '../api/errors.js';
import type { RequestContext } from '../http/context.js';
import { sendJson } from '../http/context.js';
import type { Router, RouteOptions } from '../http/router.js';
import { compileRe2 } from '../logql/regex.js';
import { pushAll } from '../util/arrays.js';
import { formatTime } from './alerts.js';
import { parseFilter, type LabelMatcher } from './matchers.js';
import type { AlertFilter, Notifier, NotifyConfig } from './notifier.js';

export const NOTIFY_PREFIX = '/alertmanager';
const API = `${NOTIFY_PREFIX}/api/v2`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface VersionInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  goVersion: string;
}

function filterMatchers(q: URLSearchParams): LabelMatcher[] {
  const out: LabelMatcher[] = [];
  for (const f of q.getAll('filter')) pushAll(out, parseFilter(f));
  return out;
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new LogwharfError('bad_request', `${name} must be true or false, got ${JSON.stringify(v)}`);
}

function alertFilter(q: URLSearchParams): AlertFilter {
  const receiver = q.get('receiver');
  let receiverTest: ((name: string) => boolean) | undefined;
  if (receiver) {
    let re;
    try {
      re = compileRe2(receiver, { anchored: true });
    } catch (e) {
      throw new LogwharfError('bad_request', `failed to parse receiver param: ${(e as Error).message}`);
    }
    receiverTest = (name) => re.test(name);
  }
  return {
    matchers: filterMatchers(q),
    active: boolParam(q, 'active'),
    silenced: boolParam(q, 'silenced'),
    inhibited: boolParam(q, 'inhibited'),
    unprocessed: boolParam(q, 'unprocessed'),
    receiver: receiverTest,
  };
}

async function jsonBody(ctx: RequestContext, what: string): Promise<unknown> {
  const text = (await ctx.body()).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new LogwharfError('bad_request', `parsing ${what} body failed: ${(e as Error).message}`);
  }
}

function silenceId(ctx: RequestContext): string {
  const id = ctx.params.silenceID!;
  if (!UUID.test(id)) throw new LogwharfError('bad_request', `silenceID in path must be of type uuid: ${JSON.stringify(id)}`);
  return id;
}

/** The notify block as Alertmanager's configuration YAML; Slack URLs hold a secret and are masked as Alertmanager masks them. */
export function originalConfig(c: NotifyConfig): string {
  const receivers = c.receivers.map((r) => {
    const out: Record<string, unknown> = { name: r.name };
    if (r.webhook_configs.length > 0) out.webhook_configs = r.webhook_configs;
    if (r.slack_configs.length > 0) out.slack_configs = r.slack_configs.map((s) => ({ ...s, api_url: '<secret>' }));
    return out;
  });
  return stringify({ route: c.route, receivers });
}

export function registerNotifyRoutes(router: Router, getNotifier: () => Notifier, version: VersionInfo): void {
  // Reading alerts and silences is `read`; alerts arrive from rulers as pushes (`write`); silences
  // change what the notifier sends, an `admin` change (issue #11).
  const opts: RouteOptions = { errorBody: 'json-string', role: 'read' };
  const write: RouteOptions = { errorBody: 'json-string', role: 'write' };
  const admin: RouteOptions = { errorBody: 'json-string', role: 'admin' };
  const ok = (ctx: RequestContext) => {
    ctx.res.writeHead(200, { 'Content-Length': 0 });
    ctx.res.end();
  };

  router.add('GET', `${API}/alerts`, async (ctx) => {
    const f = alertFilter(await ctx.query());
    sendJson(ctx, 200, getNotifier().alerts(ctx.tenant, f));
  }, opts);
  router.add('POST', `${API}/alerts`, async (ctx) => {
    const body = await jsonBody(ctx, 'alerts');
    if (!Array.isArray(body)) throw new LogwharfError('bad_request', 'parsing alerts body failed: expected a JSON array of alerts');
    await getNotifier().send(ctx.tenant, body);
    ok(ctx);
  }, write);
  router.add('GET', `${API}/alerts/groups`, async (ctx) => {
    const f = alertFilter(await ctx.query());
    sendJson(ctx, 200, getNotifier().groups(ctx.tenant, f));
  }, opts);
  router.add('GET', `${API}/silences`, async (ctx) => {
    const m = filterMatchers(await ctx.query());
    sendJson(ctx, 200, getNotifier().silences(ctx.tenant, m));
  }, opts);
  router.add('POST', `${API}/silences`, async (ctx) => {
    const body = await jsonBody(ctx, 'silence');
    const id = await getNotifier().putSilence(ctx.tenant, body);
    ctx.auditDetails = { silenceID: id };
    sendJson(ctx, 200, { silenceID: id });
  }, admin);
  router.add('GET', `${API}/silence/:silenceID`, (ctx) => {
    sendJson(ctx, 200, getNotifier().silence(ctx.tenant, silenceId(ctx)));
  }, opts);
  router.add('DELETE', `${API}/silence/:silenceID`, async (ctx) => {
    await getNotifier().expireSilence(ctx.tenant, silenceId(ctx));
    ok(ctx);
  }, admin);
  router.add('GET', `${API}/receivers`, (ctx) => {
    sendJson(ctx, 200, getNotifier().receivers().map((name) => ({ name })));
  }, opts);
  router.add('GET', `${API}/status`, (ctx) => {
    const n = getNotifier();
    sendJson(ctx, 200, {
      cluster: { peers: [], status: 'disabled' },
      config: { original: originalConfig(n.config) },
      uptime: formatTime(n.startedAt),
      versionInfo: version,
    });
  }, opts);
  for (const probe of ['ready', 'healthy']) {
    router.add('GET', `${NOTIFY_PREFIX}/-/${probe}`, (ctx) => {
      getNotifier();
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      ctx.res.end('OK');
    }, { public: true });
  }
}
