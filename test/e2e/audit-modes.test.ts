/**
 * The audit tenant without tokens (issue #11): with auth_enabled, X-Scope-OrgID: logwharf-audit
 * reads it like any tenant and a request without the header is a recorded refusal; with auth off
 * (every request is tenant "fake"), a header naming exactly the audit tenant selects it. In both,
 * nobody pushes to it. Real server, port 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, startServer, tempDir } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';
import { auditRecords } from './helpers/audit.js';
import { waitFor } from '../helpers/wait-for.js';

const GROUP = 'name: g1\nrules:\n  - record: x:count1m\n    expr: sum(count_over_time({app="web"}[1m]))\n';

function push(url: string, tenant?: string): Promise<Response> {
  const body = JSON.stringify({ streams: [{ stream: { log_type: 'audit' }, values: [[String(Date.now() * 1e6), '{"action":"forged"}']] }] });
  return fetch(`${url}/loki/api/v1/push`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(tenant ? { 'X-Scope-OrgID': tenant } : {}) }, body });
}

test('auth_enabled without tokens: the audit tenant is read by its header, never pushed to; a missing org id is recorded', async (t) => {
  const dir = tempDir();
  // The token API needs an admin token even with tokens off.
  const tokens = createTestTokens(dir, [{ role: 'read', tenants: ['team-a'] }, { role: 'admin', tenants: ['team-a'] }]);
  const s = await startServer({ data: dir, auth_enabled: true });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const mint = (who: string) => fetch(`${s.url}/api/v1/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.secret(who as 'read', 'team-a')}` }, body: '{"role":"read","tenants":["team-a"],"name":"dash"}' });
  assert.equal((await mint('read')).status, 403);
  assert.equal((await mint('admin')).status, 201);
  const refused = await push(s.url, 'logwharf-audit');
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /holds the audit log, which only the server writes/);
  assert.equal((await fetch(`${s.url}/loki/api/v1/labels`)).status, 401);
  assert.equal((await fetch(`${s.url}/loki/api/v1/rules/ns1`, { method: 'POST', headers: { 'X-Scope-OrgID': 'team-a' }, body: GROUP })).status, 202);
  const records = await waitFor('the refusals and the action', async () => {
    const r = await auditRecords(s.url, { 'X-Scope-OrgID': 'logwharf-audit' });
    return r.length === 5 && r;
  });
  assert.deepEqual(records.map((r) => [r.labels.outcome, r.line.reason, r.line.action, r.line.who_kind, r.line.tenant]), [
    ['denied', 'role', 'token.create', 'token', undefined],
    ['allowed', undefined, 'token.create', 'token', undefined],
    ['denied', 'reserved_tenant', 'POST /loki/api/v1/push', 'anonymous', 'logwharf-audit'],
    ['denied', 'tenant_missing', 'GET /loki/api/v1/labels', 'anonymous', undefined],
    ['allowed', undefined, 'rules.group.set', 'anonymous', 'team-a'],
  ]);
  assert.deepEqual([records[0]!.line.who, records[0]!.line.role, records[1]!.line.who, records[1]!.line.target?.token_name], ['read-team-a', 'read', 'admin-team-a', 'dash']);
  assert.equal((await fetch(`${s.url}/loki/api/v1/labels`, { headers: { 'X-Scope-OrgID': 'team-a' } })).status, 200);
});

test('auth off: X-Scope-OrgID naming the audit tenant selects it for reading; pushing to it is refused, other headers still mean "fake"', async (t) => {
  const s = await startServer({});
  t.after(async () => (await s.close(), removeDir(s.dir)));
  assert.equal((await push(s.url, 'logwharf-audit')).status, 403);
  assert.equal((await push(s.url)).status, 204, 'tenant fake');
  assert.equal((await push(s.url, 'team-a')).status, 204, 'any other header is tenant fake, as in Loki');
  assert.equal((await fetch(`${s.url}/loki/api/v1/rules/ns1`, { method: 'POST', body: GROUP })).status, 202);
  const records = await waitFor('the records', async () => {
    const r = await auditRecords(s.url, { 'X-Scope-OrgID': 'logwharf-audit' });
    return r.length === 2 && r;
  });
  assert.deepEqual(records.map((r) => [r.labels.outcome, r.line.action, r.line.tenant]), [
    ['denied', 'POST /loki/api/v1/push', 'logwharf-audit'],
    ['allowed', 'rules.group.set', 'fake'],
  ]);
  // The pushes went to fake, not to the audit tenant.
  const fake = await auditRecords(s.url, {}, '{log_type="audit"}');
  assert.deepEqual(fake.map((r) => r.line.action), ['forged', 'forged']);
});
