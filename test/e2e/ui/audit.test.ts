/**
 * The audit log in the web UI's Explore (issue #11), in real Chromium: signed in with an admin
 * token of the audit tenant, the documented LogQL query shows the refused request with its reason.
 */
import { test } from 'node:test';
import { startServer, removeDir, tempDir } from '../helpers/server.js';
import { createTestTokens } from '../helpers/tokens.js';
import { launchBrowser, openUi } from '../../helpers/browser.js';
import { waitFor } from '../../helpers/wait-for.js';
import { auditRecords } from '../helpers/audit.js';

test('Explore shows the audit log to an admin of the audit tenant', async (t) => {
  const ui = await launchBrowser(t);
  if (!ui) return;
  t.after(() => ui.close());
  const dir = tempDir();
  const tokens = createTestTokens(dir, [{ role: 'admin', tenants: ['logwharf-audit'] }, { role: 'read', tenants: ['team-a'] }]);
  const s = await startServer({ data: dir, auth: { tokens_enabled: true } });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const auditor = tokens.secret('admin', 'logwharf-audit');
  // A refusal to find: a read token trying to change rules.
  await (await fetch(`${s.url}/loki/api/v1/rules/ns1`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.secret('read', 'team-a')}` }, body: 'name: g\nrules: []\n' })).arrayBuffer();
  await waitFor('the refusal recorded', async () => (await auditRecords(s.url, { Authorization: `Bearer ${auditor}` })).length === 1);

  const query = '{log_type="audit"} | json | outcome="denied"';
  const p = await openUi(ui, s.url, `/explore?query=${encodeURIComponent(query)}`);
  t.after(() => p.close());
  await p.page.fill('input[name=token]', auditor);
  await p.page.click('form.tenant-form button[type=submit]');
  await p.page.locator('.log-row', { hasText: '"who":"read-team-a"' }).filter({ hasText: '"reason":"role"' }).waitFor();
});
