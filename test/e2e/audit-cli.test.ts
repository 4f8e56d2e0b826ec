/**
 * Token changes made by `logwharf token` on the data directory reach the audit log (issue #11):
 * made while the server is down, they are recorded at its start; made while it runs, within a few
 * seconds (the token database's outbox, drained every second). And `logwharf query` reads the audit
 * log with an admin token of the audit tenant, as docs/security.md shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, runCli, startServer, tempDir } from './helpers/server.js';
import { auditRecords } from './helpers/audit.js';
import { waitFor } from '../helpers/wait-for.js';

const lastLine = (s: string) => s.trimEnd().split('\n').at(-1)!;

test('token create and revoke by the CLI, with the server down and while it runs, are in the audit log; logwharf query reads it', async (t) => {
  const dir = tempDir('logwharf-audit-cli-');
  t.after(() => removeDir(dir));
  // The first admin token comes from the CLI before the server ever ran.
  const first = await runCli(['token', 'create', '--data', dir, '--tenant', 'logwharf-audit', '--role', 'admin', '--name', 'auditor']);
  assert.equal(first.code, 0, first.stderr);
  const auditor = lastLine(first.stdout);
  const s = await startServer({ data: dir, auth: { tokens_enabled: true } });
  t.after(() => s.close());
  const headers = { Authorization: `Bearer ${auditor}` };

  const atStart = await auditRecords(s.url, headers);
  assert.equal(atStart.length, 1, JSON.stringify(atStart));
  const rec = atStart[0]!;
  assert.equal(rec.labels.outcome, 'allowed');
  assert.equal(rec.line.action, 'token.create');
  assert.equal(rec.line.who_kind, 'cli');
  assert.match(rec.line.who!, /^\S+ \(uid \d+\)$/, 'the operating-system user who ran the CLI');
  assert.deepEqual(rec.line.target, { token_id: auditor.slice(4, 20), token_name: 'auditor', token_role: 'admin', token_tenants: ['logwharf-audit'] });

  // While the server runs.
  const started = Date.now();
  const made = await runCli(['token', 'create', '--data', dir, '--tenant', 'team-a', '--role', 'write', '--name', 'promtail', '--expires', '30d']);
  assert.equal(made.code, 0, made.stderr);
  const revoked = await runCli(['token', 'revoke', '--data', dir, 'promtail']);
  assert.equal(revoked.code, 0, revoked.stderr);
  const live = await waitFor('the CLI changes in the audit log', async () => {
    const all = await auditRecords(s.url, headers);
    return all.length === 3 && all;
  }, { timeoutMs: 5000 });
  t.diagnostic(`recorded ${Date.now() - started} ms after the CLI started`);
  assert.deepEqual(live.map((r) => [r.line.action, r.line.target?.token_name, r.line.who_kind]), [
    ['token.create', 'auditor', 'cli'],
    ['token.create', 'promtail', 'cli'],
    ['token.revoke', 'promtail', 'cli'],
  ]);
  assert.match(String(live[1]!.line.target?.token_expires_at), /^20\d\d-/);
  const secret = lastLine(made.stdout).slice(21);
  assert.equal(JSON.stringify(live).includes(secret), false, 'no record holds the secret');

  // Drained once: the outbox is empty, nothing is recorded twice.
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /^logwharf_audit_events_total\{outcome="allowed"\} 3$/m);

  // The documented way to read it: logwharf query with the audit tenant.
  const q = await runCli(['query', '--addr', s.url, '--org-id', 'logwharf-audit', '--bearer-token', auditor, '--since', '1h', '--output', 'raw', '{log_type="audit"} | json | action="token.revoke"']);
  assert.equal(q.code, 0, q.stderr);
  const lines = q.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1, q.stdout);
  assert.equal(JSON.parse(lines[0]!).target.token_name, 'promtail');
});
