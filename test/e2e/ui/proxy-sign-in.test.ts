/**
 * The web UI behind a single sign-on proxy (issue #11 proxy mode), in real Chromium: the browser's
 * requests carry the user and groups headers an authenticating proxy adds (set here as the browser's
 * extra headers; the server trusts the test's address 127.0.0.1 as the proxy), so the UI asks for no
 * token, names the user, shows the group's tenant's lines and live-tails them. Without the headers
 * the same UI asks for a token, as with tokens alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, tempDir } from '../helpers/server.js';
import { createTestTokens, pushAsWriter } from '../helpers/tokens.js';
import { launchBrowser, newUiPage } from '../../helpers/browser.js';

test('behind the proxy the UI signs in by the user\'s headers, shows the group\'s tenant and tails it; without them it asks for a token', async (t) => {
  const ui = await launchBrowser(t);
  if (!ui) return;
  t.after(() => ui.close());
  const dir = tempDir();
  const tokens = createTestTokens(dir, [{ role: 'write', tenants: ['team-a'] }, { role: 'write', tenants: ['team-b'] }]);
  const s = await startServer({
    data: dir,
    auth: { tokens_enabled: true, proxy: { trusted_proxies: ['127.0.0.1', '::ffff:127.0.0.1'], groups: [{ group: 'dev-a', tenants: ['team-a'], role: 'read' }] } },
  });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const push = (tenant: string, line: string) => pushAsWriter(s.url, tokens, tenant, line);
  await push('team-a', 'line of team a');
  await push('team-b', 'line of team b');
  const path = `/explore?query=${encodeURIComponent('{job="web"}')}`;

  const p = await newUiPage(ui);
  t.after(() => p.close());
  await p.context.setExtraHTTPHeaders({ 'X-Forwarded-User': 'alice@example.com', 'X-Forwarded-Groups': 'staff,dev-a' });
  await p.page.goto(s.url + path);
  await p.page.locator('.topbar .signed-in', { hasText: 'alice@example.com' }).waitFor();
  await p.page.locator('.log-row', { hasText: 'line of team a' }).waitFor();
  assert.equal(await p.page.locator('input[name=token]').count(), 0, 'no token asked for');
  assert.equal(await p.page.locator('.log-row', { hasText: 'team b' }).count(), 0);
  await p.page.click('button:has-text("Live")');
  await p.page.locator('.live-tail .log-row', { hasText: 'line of team a' }).waitFor();
  await push('team-a', 'pushed while tailing');
  await p.page.locator('.live-tail .log-row', { hasText: 'pushed while tailing' }).waitFor();
  p.assertClean();

  const bare = await newUiPage(ui);
  t.after(() => bare.close());
  await bare.page.goto(s.url + path);
  await bare.page.waitForSelector('input[name=token]');
  assert.equal(await bare.page.locator('.topbar .signed-in').count(), 0);
  bare.assertClean();
});
