/**
 * The durable audit log of issue #11, end to end on a real server (port 0, temp data dir): admin
 * actions through the API (tokens, a rule group, a silence) and refused requests (no token, wrong
 * role, another tenant, the live tail) are in the reserved tenant's stream with who, what, where and
 * the status, never a secret; only an admin token holding that tenant reads it, nobody pushes to it;
 * the records survive a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, startChildServer, startServer, tempDir } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';
import { auditRecords, type AuditRecord } from './helpers/audit.js';
import { waitFor } from '../helpers/wait-for.js';
import { metricSum } from '../helpers/metrics.js';

const AUDIT = 'logwharf-audit';
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

const GROUP = `name: g1
rules:
  - alert: Many
    expr: sum(count_over_time({app="web"}[1m])) > 5
`;

/** Every file under `dir`, for checking that no secret reached the disk. */
function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

/** A WebSocket upgrade of the live tail without credentials: the server answers before upgrading. */
function tailUpgrade(url: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: '/loki/api/v1/tail?query=%7Bapp%3D%22web%22%7D', headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (res) => (res.resume(), resolve(res.statusCode!)));
    req.on('upgrade', () => reject(new Error('upgraded without a token')));
    req.on('error', reject);
    req.end();
  });
}

test('tokens on: admin actions and refusals are in the audit tenant, readable only by its admins, and survive a restart', async (t) => {
  const dir = tempDir('logwharf-audit-');
  t.after(() => removeDir(dir));
  const tokens = createTestTokens(dir, [
    { role: 'admin', tenants: ['team-a'] },
    { role: 'read', tenants: ['team-a'] },
    { role: 'read', tenants: ['team-b'] },
    { role: 'admin', tenants: [AUDIT] },
    { role: 'read', tenants: [AUDIT] },
    { role: 'write', tenants: [AUDIT] },
  ]);
  // Every request here comes from 127.0.0.1: room for all its refusals one by one.
  const config = { data: dir, auth: { tokens_enabled: true }, audit: { denied_burst: 100 } };
  let s = await startServer(config);
  t.after(() => s.close());
  const admin = tokens.secret('admin', 'team-a');
  const auditor = tokens.secret('admin', AUDIT);

  // Admin actions through the API.
  const made = await fetch(`${s.url}/api/v1/tokens`, { method: 'POST', headers: { ...bearer(admin), 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'ci', role: 'read', tenants: ['team-a'] }) });
  assert.equal(made.status, 201);
  const createdId = made.headers.get('x-request-id');
  const minted = ((await made.json()) as { data: { id: string; token: string } }).data;
  assert.equal((await fetch(`${s.url}/api/v1/tokens/${minted.id}`, { method: 'DELETE', headers: bearer(admin) })).status, 200);
  assert.equal((await fetch(`${s.url}/loki/api/v1/rules/ns1`, { method: 'POST', headers: { ...bearer(admin), 'Content-Type': 'application/yaml' }, body: GROUP })).status, 202);
  assert.equal((await fetch(`${s.url}/loki/api/v1/rules/ns1/g1`, { method: 'DELETE', headers: bearer(admin) })).status, 202);
  assert.equal((await fetch(`${s.url}/loki/api/v1/rules/ns1/nope`, { method: 'DELETE', headers: bearer(admin) })).status, 404);
  const now = Date.now();
  const sil = await fetch(`${s.url}/alertmanager/api/v2/silences`, {
    method: 'POST',
    headers: { ...bearer(admin), 'Content-Type': 'application/json' },
    body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'Many', isRegex: false, isEqual: true }], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), createdBy: 'ops', comment: 'deploy' }),
  });
  assert.equal(sil.status, 200);
  const { silenceID } = (await sil.json()) as { silenceID: string };
  assert.equal((await fetch(`${s.url}/alertmanager/api/v2/silence/${silenceID}`, { method: 'DELETE', headers: bearer(admin) })).status, 200);

  // Refusals: no token, an unknown token, the wrong role, another tenant, the live tail.
  assert.equal((await fetch(`${s.url}/loki/api/v1/labels`)).status, 401);
  assert.equal((await fetch(`${s.url}/loki/api/v1/labels`, { headers: bearer('lwt_0123456789abcdef_' + 'x'.repeat(43)) })).status, 401);
  assert.equal((await fetch(`${s.url}/loki/api/v1/rules/ns2`, { method: 'POST', headers: bearer(tokens.secret('read', 'team-a')), body: GROUP })).status, 403);
  assert.equal((await fetch(`${s.url}/loki/api/v1/labels`, { headers: { ...bearer(tokens.secret('read', 'team-b')), 'X-Scope-OrgID': 'team-a' } })).status, 403);
  assert.equal(await tailUpgrade(s.url), 401);

  // The audit tenant: nobody pushes, and only an admin token holding it reads.
  const line = JSON.stringify({ streams: [{ stream: { log_type: 'audit' }, values: [[String(now * 1e6), '{"action":"forged"}']] }] });
  for (const who of [tokens.secret('write', AUDIT), auditor]) {
    const pushed = await fetch(`${s.url}/loki/api/v1/push`, { method: 'POST', headers: { ...bearer(who), 'Content-Type': 'application/json' }, body: line });
    assert.equal(pushed.status, 403);
    assert.match(await pushed.text(), /tenant "logwharf-audit" holds the audit log, which only the server writes/);
  }
  const otlp = await fetch(`${s.url}/otlp/v1/logs`, { method: 'POST', headers: { ...bearer(tokens.secret('write', AUDIT)), 'Content-Type': 'application/json' }, body: '{"resourceLogs":[]}' });
  assert.equal(otlp.status, 403);
  const readOnly = await fetch(`${s.url}/loki/api/v1/labels`, { headers: bearer(tokens.secret('read', AUDIT)) });
  assert.equal(readOnly.status, 403);
  assert.match(await readOnly.text(), /reading the audit log \(tenant "logwharf-audit"\) needs a token with the admin role/);
  assert.equal((await fetch(`${s.url}/loki/api/v1/labels`, { headers: { ...bearer(admin), 'X-Scope-OrgID': AUDIT } })).status, 403, "team-a's admin does not hold the audit tenant");

  const check = (records: AuditRecord[]) => {
    const one = (what: string, pred: (r: AuditRecord) => boolean) => {
      const found = records.filter(pred);
      assert.equal(found.length, 1, `one record of ${what}: ${JSON.stringify(records, null, 1).slice(0, 3000)}`);
      return found[0]!;
    };
    const created = one('token.create', (r) => r.line.action === 'token.create');
    assert.equal(created.labels.outcome, 'allowed');
    assert.deepEqual(
      { who: created.line.who, who_kind: created.line.who_kind, role: created.line.role, tenants: created.line.tenants, client: created.line.client, method: created.line.method, route: created.line.route, status: created.line.status, request_id: created.line.request_id },
      { who: 'admin-team-a', who_kind: 'token', role: 'admin', tenants: ['team-a'], client: '127.0.0.1', method: 'POST', route: '/api/v1/tokens', status: 201, request_id: createdId },
    );
    assert.deepEqual(created.line.target, { token_id: minted.id, token_name: 'ci', token_role: 'read', token_tenants: ['team-a'] });
    assert.equal(one('token.revoke', (r) => r.line.action === 'token.revoke').line.target?.token_id, minted.id);
    const set = one('rules.group.set', (r) => r.line.action === 'rules.group.set' && r.labels.outcome === 'allowed');
    assert.deepEqual([set.line.tenant, set.line.status, set.line.target], ['team-a', 202, { namespace: 'ns1', group: 'g1' }]);
    one('rules.group.delete', (r) => r.line.action === 'rules.group.delete' && r.line.status === 202 && r.line.target?.group === 'g1');
    const failed = one('the failed delete', (r) => r.line.action === 'rules.group.delete' && r.labels.outcome === 'failed');
    assert.deepEqual([failed.labels.outcome, failed.line.status, failed.line.target?.group], ['failed', 404, 'nope']);
    one('silence.set', (r) => r.line.action === 'silence.set' && r.line.status === 200 && r.line.tenant === 'team-a' && r.line.target?.silenceID === silenceID);
    one('silence.expire', (r) => r.line.action === 'silence.expire' && r.line.target?.silenceID === silenceID);

    const denied = records.filter((r) => r.labels.outcome === 'denied');
    const none = one('no token', (r) => r.line.reason === 'no_credentials' && r.line.route === '/loki/api/v1/labels');
    assert.deepEqual([none.line.who_kind, none.line.who, none.line.status, none.line.client, none.line.action], ['anonymous', undefined, 401, '127.0.0.1', 'GET /loki/api/v1/labels']);
    one('an unknown token', (r) => r.line.reason === 'bad_credentials');
    const role = one('the wrong role', (r) => r.line.reason === 'role');
    assert.deepEqual([role.line.who, role.line.who_kind, role.line.role, role.line.action, role.line.status, role.line.target], ['read-team-a', 'token', 'read', 'rules.group.set', 403, { namespace: 'ns2' }]);
    const other = one('another tenant', (r) => r.line.reason === 'tenant' && r.line.who === 'read-team-b');
    assert.deepEqual([other.line.tenant, other.line.tenants], ['team-a', ['team-b']]);
    one('the tail', (r) => r.line.reason === 'no_credentials' && r.line.route === '/loki/api/v1/tail');
    assert.equal(denied.filter((r) => r.line.reason === 'reserved_tenant').length, 4, 'two pushes, OTLP, a read token');
    one("team-a's admin naming the audit tenant", (r) => r.line.reason === 'tenant' && r.line.who === 'admin-team-a' && r.line.tenant === AUDIT);
    assert.equal(records.some((r) => r.line.action === 'forged'), false);
  };
  // Refusals are written without holding their answer: wait for the last of them.
  const before = await waitFor('every refusal in the audit log', async () => {
    const records = await auditRecords(s.url, bearer(auditor));
    return records.filter((r) => r.labels.outcome === 'denied').length >= 10 && records;
  });
  check(before);
  const everything = JSON.stringify(before);
  for (const secret of [...tokens.all(), minted.token]) assert.equal(everything.includes(secret.slice(21)), false, 'no record holds a secret');

  // LogQL over the records, as an admin would ask.
  const q = new URLSearchParams({ query: '{log_type="audit"} | json | outcome="denied" | reason="role"', start: String((now - 3_600_000) * 1e6), limit: '100' });
  const res = await fetch(`${s.url}/loki/api/v1/query_range?${q}`, { headers: bearer(auditor) });
  assert.equal(res.status, 200);
  const streams = ((await res.json()) as { data: { result: Array<{ stream: Record<string, string>; values: string[][] }> } }).data.result;
  assert.deepEqual(streams.map((x) => [x.stream.who, x.values.length]), [['read-team-a', 1]]);

  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /^logwharf_audit_events_total\{outcome="allowed"\} [1-9]/m);
  assert.match(metrics, /^logwharf_audit_events_total\{outcome="denied"\} [1-9]/m);
  assert.match(metrics, /^logwharf_audit_write_failures_total 0$/m);

  // Durable: the same records after a restart.
  await s.close();
  s = await startServer(config);
  const after = await auditRecords(s.url, bearer(auditor));
  assert.deepEqual(after.map((r) => r.raw), before.map((r) => r.raw));
  for (const f of allFiles(dir)) {
    const bytes = readFileSync(f);
    for (const secret of [...tokens.all(), minted.token]) assert.equal(bytes.includes(secret.slice(21)), false, `${f} holds a secret`);
  }
});

test('when the audit record cannot be written, the admin action still answers what happened, marked X-Logwharf-Audit: not-recorded', async (t) => {
  const s = await startServer({});
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const ok = await fetch(`${s.url}/loki/api/v1/rules/ns1`, { method: 'POST', body: GROUP });
  assert.equal(ok.status, 202);
  assert.equal(ok.headers.get('x-logwharf-audit'), null);
  // The store stops taking writes (as on a full or failed disk); rule groups live in their own files.
  await s.role.store.close();
  const res = await fetch(`${s.url}/loki/api/v1/rules/ns2`, { method: 'POST', body: GROUP });
  assert.equal(res.status, 202, 'the group was stored: the answer says so');
  assert.equal(res.headers.get('x-logwharf-audit'), 'not-recorded');
  assert.equal(await metricSum(s.role.registry, 'logwharf_audit_write_failures_total'), 1);
  assert.equal(await metricSum(s.role.registry, 'logwharf_audit_events_total', { outcome: 'allowed' }), 1);
  const stored = await fetch(`${s.url}/loki/api/v1/rules/ns2`);
  assert.equal(stored.status, 200);
});

test('an acknowledged admin action is in the audit log even when the server is killed right after answering', async (t) => {
  const dir = tempDir('logwharf-audit-kill-');
  t.after(() => removeDir(dir));
  const child = await startChildServer(dir, ['--log-level', 'warn']);
  const res = await fetch(`${child.url}/loki/api/v1/rules/ns1`, { method: 'POST', body: GROUP });
  child.proc.kill('SIGKILL');
  assert.equal(res.status, 202);
  const requestId = res.headers.get('x-request-id');
  await child.exited;
  const s = await startServer({ data: dir });
  t.after(() => s.close());
  const records = await auditRecords(s.url, { 'X-Scope-OrgID': AUDIT });
  assert.deepEqual(records.map((r) => [r.line.action, r.line.request_id, r.line.status]), [['rules.group.set', requestId, 202]]);
});

test('every write route of the route table refuses the audit tenant, to its write and admin tokens and, with auth off, to its header', async (t) => {
  const dir = tempDir('logwharf-audit-routes-');
  t.after(() => removeDir(dir));
  const tokens = createTestTokens(dir, [{ role: 'write', tenants: [AUDIT] }, { role: 'admin', tenants: [AUDIT] }]);
  const withTokens = await startServer({ data: dir, auth: { tokens_enabled: true } });
  t.after(() => withTokens.close());
  const open = await startServer({});
  t.after(async () => (await open.close(), removeDir(open.dir)));
  // Tenantless write routes (OpAMP) write no tenant's data, so the audit tenant does not apply to them.
  const writes = withTokens.role.routes().filter((r) => r.options.role === 'write' && !r.options.tenantless);
  assert.ok(writes.length >= 5, `push, /api/prom/push, OTLP, sources, alerts: ${writes.map((r) => r.pattern).join(' ')}`);
  for (const r of writes) {
    for (const method of r.methods) {
      const path = r.pattern.replace(/\/[:*][^/]+/g, '/x');
      const cases: Array<[string, string, Record<string, string>]> = [
        ['write token', withTokens.url, bearer(tokens.secret('write', AUDIT))],
        ['admin token', withTokens.url, bearer(tokens.secret('admin', AUDIT))],
        ['auth off', open.url, { 'X-Scope-OrgID': AUDIT }],
      ];
      for (const [who, url, headers] of cases) {
        const res = await fetch(url + path, { method, headers: { ...headers, 'Content-Type': 'application/json' }, body: '{}' });
        assert.equal(res.status, 403, `${method} ${r.pattern} with the ${who}`);
        assert.match(await res.text(), /holds the audit log/);
      }
    }
  }
});
