/**
 * STAND-IN for the server's ruler API, used until logwharf's own (src/ruler) is on this branch: a real
 * HTTP server that answers Loki's ruler API as Loki documents it — YAML on GET, 202 on POST and
 * DELETE, 404 for a missing namespace or group, 404 "no rule groups found" when a tenant has none —
 * with rules kept in memory per X-Scope-OrgID. It records every request so tests can check what went
 * over the wire.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatNamespacesYaml, formatRuleGroupYaml, parseRuleGroup, RuleFileError } from '../../../src/rules/parse.js';
import type { RuleGroupSpec } from '../../../src/rules/model.js';

export interface RulerRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RulerStandIn {
  url: string;
  requests: RulerRequest[];
  /** tenant → namespace → groups (in the order they were first set). */
  rules: Map<string, Map<string, RuleGroupSpec[]>>;
  close(): Promise<void>;
}

const PREFIX = '/loki/api/v1/rules';

export async function startRulerStandIn(): Promise<RulerStandIn> {
  const requests: RulerRequest[] = [];
  const rules = new Map<string, Map<string, RuleGroupSpec[]>>();
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
      const answer = (status: number, text: string, type = 'text/plain') => {
        res.writeHead(status, { 'Content-Type': type });
        res.end(text);
      };
      if (url.pathname !== PREFIX && !url.pathname.startsWith(PREFIX + '/')) return answer(404, '404 page not found\n');
      const parts = url.pathname.slice(PREFIX.length).split('/').filter((x) => x !== '').map(decodeURIComponent);
      const tenant = String(req.headers['x-scope-orgid'] ?? 'fake');
      let mine = rules.get(tenant);
      if (!mine) rules.set(tenant, (mine = new Map()));
      const [ns, group] = parts;
      if (req.method === 'GET') {
        if (ns === undefined) {
          if (mine.size === 0) return answer(404, 'no rule groups found\n');
          return answer(200, formatNamespacesYaml(Object.fromEntries(mine)), 'application/yaml');
        }
        const groups = mine.get(ns);
        if (!groups) return answer(404, 'no rule groups found\n');
        if (group === undefined) return answer(200, formatNamespacesYaml({ [ns]: groups }), 'application/yaml');
        const g = groups.find((x) => x.name === group);
        return g ? answer(200, formatRuleGroupYaml(g), 'application/yaml') : answer(404, 'group does not exist\n');
      }
      if (req.method === 'POST' && ns !== undefined && group === undefined) {
        let spec: RuleGroupSpec;
        try {
          spec = parseRuleGroup(body);
        } catch (e) {
          if (e instanceof RuleFileError) return answer(400, e.message);
          throw e;
        }
        const groups = mine.get(ns) ?? [];
        const i = groups.findIndex((g) => g.name === spec.name);
        if (i >= 0) groups[i] = spec;
        else groups.push(spec);
        mine.set(ns, groups);
        return answer(202, '{"status":"success","data":null,"errorType":"","error":""}', 'application/json');
      }
      if (req.method === 'DELETE' && ns !== undefined) {
        const groups = mine.get(ns);
        if (!groups) return answer(404, 'no rule groups found\n');
        if (group === undefined) mine.delete(ns);
        else {
          const i = groups.findIndex((g) => g.name === group);
          if (i < 0) return answer(404, 'group does not exist\n');
          groups.splice(i, 1);
          if (groups.length === 0) mine.delete(ns);
        }
        return answer(202, '{"status":"success","data":null,"errorType":"","error":""}', 'application/json');
      }
      return answer(405, 'method not allowed\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rules,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
