/**
 * The requests real ruler clients send, replayed byte for byte against the real server (none of
 * these clients runs here: they are Go programs or Grafana itself):
 *
 * - lokitool / cortextool (Go net/http): `User-Agent: Go-http-client/1.1`, `X-Scope-OrgID`,
 *   `Accept-Encoding: gzip`, no Content-Type; the body is gopkg.in/yaml.v3's rendering of the group
 *   (4-space indentation, sequences indented, literal blocks kept); names escaped with
 *   url.PathEscape. A 404 on a list means "no rules" to them.
 * - Grafana's Loki ruler proxy (lotex ruler): the legacy `/api/prom/rules` prefix, `User-Agent:
 *   Grafana/<version>`, the data source's custom X-Scope-OrgID header, no Content-Type; it reads
 *   the YAML answers into map namespace → groups.
 * - curl --data-binary: Content-Type application/x-www-form-urlencoded on a YAML body.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { startServer, removeDir } from './helpers/server.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A raw HTTP/1.1 request with exactly these headers (node adds Host and Connection only). */
function replay(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, method, path, headers, setHost: true }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Go's url.PathEscape: like encodeURIComponent, but keeps what a path segment may hold. */
function goPathEscape(s: string): string {
  return encodeURIComponent(s).replace(/%(24|26|2B|2C|3A|3B|3D|40)/g, (m) => decodeURIComponent(m));
}

/** What lokitool posts for a group read from a rule file (yaml.v3 output, literal block kept). */
const LOKITOOL_GROUP = `name: web-errors
interval: 1m
rules:
    - alert: HighErrorRate
      expr: |
        sum by (container) (count_over_time({container="web"} |= "ERROR" [1m])) > 5
      for: 5m
      labels:
        severity: page
      annotations:
        description: '{{ $labels.container }} logged {{ $value }} errors in a minute'
    - record: container:errors:rate1m
      expr: sum by (container) (rate({container="web"} |= "ERROR" [1m]))
`;

/** What Grafana's lotex ruler posts (yaml.v3 of its PostableRuleGroupConfig). */
const GRAFANA_GROUP = `name: checkout
interval: 30s
rules:
    - alert: CheckoutErrors
      expr: sum(count_over_time({app="checkout"} |= "error" [5m])) > 0
      for: 1m
      labels:
        team: payments
      annotations:
        summary: Checkout is failing
`;

test('lokitool / cortextool: load, list, get, diff and delete as the Go client sends them', async (t) => {
  const srv = await startServer({ auth_enabled: true });
  t.after(async () => {
    await srv.close();
    removeDir(srv.dir);
  });
  const go = { 'User-Agent': 'Go-http-client/1.1', 'X-Scope-OrgID': 'team-web', 'Accept-Encoding': 'gzip' };
  const namespace = 'My: Namespace';
  const ns = goPathEscape(namespace);
  assert.equal(ns, 'My:%20Namespace');

  // `lokitool rules sync` starts by listing: nothing yet is a 404, which the tool reads as "no rules".
  const empty = await replay(srv.url, 'GET', '/loki/api/v1/rules', go);
  assert.equal(empty.status, 404);
  assert.equal(empty.text, 'no rule groups found\n');

  const posted = await replay(srv.url, 'POST', `/loki/api/v1/rules/${ns}`, { ...go, 'Content-Length': String(Buffer.byteLength(LOKITOOL_GROUP)) }, LOKITOOL_GROUP);
  assert.equal(posted.status, 202, posted.text);
  assert.equal(posted.text, '{"status":"success","data":null,"errorType":"","error":""}');
  assert.equal(posted.headers['content-type'], 'application/json');

  const list = await replay(srv.url, 'GET', '/loki/api/v1/rules', go);
  assert.equal(list.status, 200);
  assert.equal(list.headers['content-type'], 'application/yaml');
  const parsed = parseYaml(list.text) as Record<string, Array<Record<string, unknown>>>;
  assert.deepEqual(Object.keys(parsed), [namespace]);
  // What the tool compares in `diff`: the group as it sent it.
  assert.deepEqual(parsed[namespace], [parseYaml(LOKITOOL_GROUP)]);

  const one = await replay(srv.url, 'GET', `/loki/api/v1/rules/${ns}/${goPathEscape('web-errors')}`, go);
  assert.equal(one.status, 200);
  assert.deepEqual(parseYaml(one.text), parseYaml(LOKITOOL_GROUP));

  const del = await replay(srv.url, 'DELETE', `/loki/api/v1/rules/${ns}/web-errors`, go);
  assert.equal(del.status, 202);
  // cortextool with an API key adds basic auth; the tenant still comes from X-Scope-OrgID.
  const basic = { ...go, Authorization: 'Basic ' + Buffer.from('team-web:secret').toString('base64') };
  assert.equal((await replay(srv.url, 'GET', '/loki/api/v1/rules', basic)).status, 404);
});

test('Grafana\'s Loki ruler proxy: /api/prom/rules with its headers, YAML back in the shape it reads', async (t) => {
  const srv = await startServer({ auth_enabled: true });
  t.after(async () => {
    await srv.close();
    removeDir(srv.dir);
  });
  const grafana = { 'User-Agent': 'Grafana/10.4.1', 'X-Scope-OrgID': 'ops', 'Accept-Encoding': 'gzip', 'X-Grafana-Org-Id': '1' };
  // Grafana builds the path from the folder name it shows; Go escapes the space when sending.
  const post = await replay(srv.url, 'POST', '/api/prom/rules/Payments%20alerts', { ...grafana, 'Content-Length': String(Buffer.byteLength(GRAFANA_GROUP)) }, GRAFANA_GROUP);
  assert.equal(post.status, 202, post.text);
  const all = await replay(srv.url, 'GET', '/api/prom/rules', grafana);
  assert.equal(all.status, 200);
  assert.deepEqual(parseYaml(all.text), { 'Payments alerts': [parseYaml(GRAFANA_GROUP)] });
  const ns = await replay(srv.url, 'GET', '/api/prom/rules/Payments%20alerts', grafana);
  assert.deepEqual(parseYaml(ns.text), { 'Payments alerts': [parseYaml(GRAFANA_GROUP)] });
  const group = await replay(srv.url, 'GET', '/api/prom/rules/Payments%20alerts/checkout', grafana);
  assert.deepEqual(parseYaml(group.text), parseYaml(GRAFANA_GROUP));
  // Grafana deletes a whole folder's rules with one DELETE of the namespace.
  assert.equal((await replay(srv.url, 'DELETE', '/api/prom/rules/Payments%20alerts', grafana)).status, 202);
  const after = await replay(srv.url, 'GET', '/api/prom/rules', grafana);
  assert.equal(after.status, 404);
  // An invalid rule is shown to the Grafana user as the response text: it must say what is wrong.
  const bad = 'name: checkout\nrules:\n    - alert: X\n      for: 1m\n';
  const refused = await replay(srv.url, 'POST', '/api/prom/rules/Payments%20alerts', { ...grafana, 'Content-Length': String(Buffer.byteLength(bad)) }, bad);
  assert.equal(refused.status, 400);
  assert.match(refused.text, /checkout/);
  assert.match(refused.text, /expr/);
});

test('curl --data-binary (a form content type on a YAML body) is read as YAML, as Loki does', async (t) => {
  const srv = await startServer();
  t.after(async () => {
    await srv.close();
    removeDir(srv.dir);
  });
  const curl = { 'User-Agent': 'curl/7.88.1', Accept: '*/*', 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(GRAFANA_GROUP)) };
  const r = await replay(srv.url, 'POST', '/loki/api/v1/rules/shop', curl, GRAFANA_GROUP);
  assert.equal(r.status, 202, r.text);
  const got = await replay(srv.url, 'GET', '/loki/api/v1/rules/shop/checkout', { 'User-Agent': 'curl/7.88.1', Accept: '*/*' });
  assert.deepEqual(parseYaml(got.text), parseYaml(GRAFANA_GROUP));
});
