/**
 * Loki's ruler API (the rule-group configuration part): what Grafana, lokitool/cortextool and the
 * Terraform providers call. Served under `/loki/api/v1/rules` and Loki's older `/api/prom/rules`
 * (which Grafana's Loki ruler proxy uses), with Loki's answers:
 *
 *   GET    …/rules                     200 YAML {namespace: [group…]}, 404 "no rule groups found"
 *   GET    …/rules/{namespace}         the same for one namespace
 *   GET    …/rules/{namespace}/{group} 200 YAML of the group, 404 "group does not exist"
 *   POST   …/rules/{namespace}         YAML body of one group (created or replaced): 202
 *   DELETE …/rules/{namespace}/{group} 202, 404 "group does not exist"
 *   DELETE …/rules/{namespace}         202, 404 "group namespace does not exist"
 *
 * 202 bodies are Loki's `{"status":"success","data":null,"errorType":"","error":""}`; errors are
 * plain text through the one error mapper. Names arrive percent-encoded in the path and are decoded
 * once (by the router). The body's content type is not checked: lokitool sends none, curl sends a
 * form type, Grafana application/yaml, and Loki reads them all as YAML.
 */
import { LogwharfError } from '../api/errors.js';
import type { RequestContext } from '../http/context.js';
import type { RouteOptions, Router } from '../http/router.js';
import type { RuleGroup, RuleGroupSpec } from '../rules/model.js';
import type { RuleCodec } from './rule-codec.js';
import type { RuleRepository } from './repository.js';
import { nameProblem } from './rule-paths.js';

/** The prefixes Loki serves the ruler's configuration API under. */
export const RULER_API_PREFIXES = ['/loki/api/v1/rules', '/api/prom/rules'] as const;

/** Loki's body for an accepted write (its Go struct has no omitempty, hence the empty fields). */
const ACCEPTED_BODY = JSON.stringify({ status: 'success', data: null, errorType: '', error: '' });

/** `getRepo` throws (503) while the repository is not open; `codec` parses and prints rule text (off the event loop when large). */
/** Reading rules is `read`; changing them is `admin` (issue #11). */
const READ: RouteOptions = { role: 'read' };
const ADMIN: RouteOptions = { role: 'admin' };

export function registerRulerApiRoutes(router: Router, getRepo: () => RuleRepository, codec: RuleCodec): void {
  for (const prefix of RULER_API_PREFIXES) {
    router.add('GET', prefix, (ctx) => listRules(ctx, codec, getRepo().list(ctx.tenant)), READ);
    router.add('GET', `${prefix}/:namespace`, (ctx) => listRules(ctx, codec, getRepo().get(ctx.tenant, param(ctx, 'namespace'))), READ);
    router.add('GET', `${prefix}/:namespace/:group`, async (ctx) => {
      const group = getRepo().get(ctx.tenant, param(ctx, 'namespace'), param(ctx, 'group'));
      if (!group) throw new LogwharfError('not_found', 'group does not exist');
      sendYaml(ctx, await codec.formatGroup(group.spec));
    }, READ);
    router.add('POST', `${prefix}/:namespace`, async (ctx) => {
      const namespace = param(ctx, 'namespace');
      const repo = getRepo();
      const spec = await codec.parseGroup((await ctx.body()).toString('utf8'));
      const problem = nameProblem('group', spec.name);
      if (problem) throw new LogwharfError('bad_request', problem);
      await repo.put(ctx.tenant, namespace, spec);
      ctx.auditDetails = { group: spec.name };
      ctx.log.info({ tenant: ctx.tenant, namespace, group: spec.name, rules: spec.rules.length }, 'rule group stored');
      sendAccepted(ctx);
    }, ADMIN);
    router.add('DELETE', `${prefix}/:namespace`, async (ctx) => {
      const namespace = param(ctx, 'namespace');
      if (!(await getRepo().delete(ctx.tenant, namespace))) throw new LogwharfError('not_found', 'group namespace does not exist');
      ctx.log.info({ tenant: ctx.tenant, namespace }, 'rule namespace deleted');
      sendAccepted(ctx);
    }, ADMIN);
    router.add('DELETE', `${prefix}/:namespace/:group`, async (ctx) => {
      const namespace = param(ctx, 'namespace');
      const group = param(ctx, 'group');
      if (!(await getRepo().delete(ctx.tenant, namespace, group))) throw new LogwharfError('not_found', 'group does not exist');
      ctx.log.info({ tenant: ctx.tenant, namespace, group }, 'rule group deleted');
      sendAccepted(ctx);
    }, ADMIN);
  }
}

/** A decoded path name, refused (400) when the API cannot serve it. */
function param(ctx: RequestContext, name: 'namespace' | 'group'): string {
  const value = ctx.params[name] ?? '';
  const problem = nameProblem(name, value);
  if (problem) throw new LogwharfError('bad_request', problem);
  return value;
}

async function listRules(ctx: RequestContext, codec: RuleCodec, groups: RuleGroup[]): Promise<void> {
  if (groups.length === 0) throw new LogwharfError('not_found', 'no rule groups found');
  const byNamespace = new Map<string, RuleGroupSpec[]>();
  for (const g of groups) {
    const list = byNamespace.get(g.namespace);
    if (list) list.push(g.spec);
    else byNamespace.set(g.namespace, [g.spec]);
  }
  sendYaml(ctx, await codec.formatNamespaces(byNamespace));
}

function sendYaml(ctx: RequestContext, text: string): void {
  ctx.res.writeHead(200, { 'Content-Type': 'application/yaml', 'Content-Length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

function sendAccepted(ctx: RequestContext): void {
  ctx.res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(ACCEPTED_BODY) });
  ctx.res.end(ACCEPTED_BODY);
}
