/**
 * A flood of refused requests does not become a flood of audit writes (issue #11): per client
 * address, `audit.denied_burst` refusals a window get a record each, the rest one summary record
 * with their count, written when the window ends or the server stops. Real server, port 0; the
 * flood comes from 127.0.0.2 so the reader on 127.0.0.1 is not caught by the failure limiter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { removeDir, startServer, tempDir } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';
import { auditRecords } from './helpers/audit.js';
import { waitFor } from '../helpers/wait-for.js';
import { metricSum } from '../helpers/metrics.js';

/** `n` sequential GETs from `localAddress`, over one keep-alive connection; the statuses seen, counted. */
async function flood(url: string, localAddress: string, n: number, headers: Record<string, string>): Promise<Record<number, number>> {
  const u = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const seen: Record<number, number> = {};
  try {
    for (let i = 0; i < n; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, path: '/loki/api/v1/labels', headers, localAddress, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end();
      });
      seen[status] = (seen[status] ?? 0) + 1;
    }
  } finally {
    agent.destroy();
  }
  return seen;
}

test('1,000 refused requests from one address: 10 records and one summary of the 990 others, kept across a restart', async (t) => {
  const dir = tempDir('logwharf-audit-flood-');
  t.after(() => removeDir(dir));
  const tokens = createTestTokens(dir, [{ role: 'admin', tenants: ['logwharf-audit'] }]);
  const auditor = { Authorization: `Bearer ${tokens.secret('admin', 'logwharf-audit')}` };
  const config = { data: dir, auth: { tokens_enabled: true } };
  let s = await startServer(config);
  t.after(() => s.close());

  const statuses = await flood(s.url, '127.0.0.2', 1000, { Authorization: 'Bearer lwt_0123456789abcdef_' + 'x'.repeat(43) });
  assert.deepEqual(statuses, { 401: 10, 429: 990 }, 'the failure limiter turns the address away after 10 failures');
  const live = await waitFor('the first 10 refusals', async () => {
    const r = await auditRecords(s.url, auditor);
    return r.length === 10 && r;
  });
  assert.ok(live.every((r) => r.line.reason === 'bad_credentials' && r.line.client === '127.0.0.2' && r.line.status === 401));
  assert.equal(await metricSum(s.role.registry, 'logwharf_audit_denied_suppressed_total'), 990);
  assert.equal(await metricSum(s.role.registry, 'logwharf_audit_denied_pending'), 990);
  assert.equal(await metricSum(s.role.registry, 'logwharf_audit_events_total', { outcome: 'denied' }), 10);

  // Stopping writes the summary of the window still open.
  await s.close();
  s = await startServer(config);
  const records = await auditRecords(s.url, auditor);
  assert.equal(records.length, 11);
  const summary = records.find((r) => r.line.reason === 'suppressed')!;
  assert.deepEqual(
    { labels: summary.labels, action: summary.line.action, client: summary.line.client, suppressed: summary.line.suppressed, reasons: summary.line.reasons },
    { labels: { log_type: 'audit', outcome: 'denied', service_name: 'logwharf' }, action: 'requests.denied', client: '127.0.0.2', suppressed: 990, reasons: { rate_limited: 990 } },
  );
  assert.match(String(summary.line.window_start), /^20\d\d-/);
});

test('the summary of an ended window is written without a restart (audit.denied_interval)', async (t) => {
  const dir = tempDir('logwharf-audit-window-');
  t.after(() => removeDir(dir));
  const tokens = createTestTokens(dir, [{ role: 'admin', tenants: ['logwharf-audit'] }]);
  const auditor = { Authorization: `Bearer ${tokens.secret('admin', 'logwharf-audit')}` };
  const s = await startServer({ data: dir, auth: { tokens_enabled: true }, audit: { denied_interval: '1s', denied_burst: 3 } });
  t.after(() => s.close());
  // No credentials at all is no guess: the failure limiter lets these through to a 401 each.
  const started = Date.now();
  assert.deepEqual(await flood(s.url, '127.0.0.3', 25, {}), { 401: 25 });
  const took = Date.now() - started;
  const from = Date.now();
  // Every refusal is in the log once the windows' summaries are written: one by one, or counted in a summary.
  const records = await waitFor('every refusal recorded or summarised', async () => {
    const r = (await auditRecords(s.url, auditor)).filter((x) => x.line.client === '127.0.0.3');
    const oneByOne = r.filter((x) => x.line.reason !== 'suppressed').length;
    const summarised = r.reduce((n, x) => n + (x.line.reason === 'suppressed' ? x.line.suppressed ?? 0 : 0), 0);
    return oneByOne + summarised === 25 && r;
  }, { timeoutMs: 10_000 });
  t.diagnostic(`flood took ${took} ms; summaries written ${Date.now() - from} ms after the last refusal`);
  const summaries = records.filter((x) => x.line.reason === 'suppressed');
  assert.ok(summaries.length >= 1 && records.length - summaries.length >= 3, `${records.length - summaries.length} records and ${summaries.length} summaries`);
  assert.equal(await metricSum(s.role.registry, 'logwharf_audit_denied_pending'), 0);
  // A window ends 1 s after its first refusal: a flood shorter than that falls into one window.
  if (took < 1000) {
    assert.deepEqual({ records: records.length, suppressed: summaries.map((x) => x.line.suppressed) }, { records: 4, suppressed: [22] }, '3 records and one summary');
  }
});
