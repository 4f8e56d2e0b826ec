/**
 * The web UI with access tokens (issue #11 `auth.tokens_enabled`), in real Chromium: the UI asks for
 * a token before anything else, then shows the token's tenant's lines (Explore) and live-tails them
 * over the WebSocket with the token as `access_token`; a wrong token's calls are refused in plain
 * words; Sign out forgets the token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, tempDir } from '../helpers/server.js';
import { createTestTokens, pushAsWriter } from '../helpers/tokens.js';
import { launchBrowser, openUi } from '../../helpers/browser.js';

// The function passed to page.evaluate runs in the browser; this file is type checked without the DOM lib.
declare const sessionStorage: { getItem(k: string): string | null };

test('the UI signs in with a token, shows only its tenant, tails with it, and signs out', async (t) => {
  const ui = await launchBrowser(t);
  if (!ui) return;
  t.after(() => ui.close());
  const dir = tempDir();
  const tokens = createTestTokens(dir, [
    { role: 'write', tenants: ['team-a'] },
    { role: 'write', tenants: ['team-b'] },
    { role: 'read', tenants: ['team-a'] },
  ]);
  const s = await startServer({ data: dir, auth: { tokens_enabled: true } });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const push = (tenant: string, line: string) => pushAsWriter(s.url, tokens, tenant, line);
  await push('team-a', 'line of team a');
  await push('team-b', 'line of team b');

  // The refused first calls of a wrong token are expected on the console.
  const p = await openUi(ui, s.url, `/explore?query=${encodeURIComponent('{job="web"}')}`, { allowConsole: [/status of 401/] });
  t.after(() => p.close());
  await p.page.fill('input[name=token]', 'lwt_0000000000000000_wrong');
  await p.page.click('form.tenant-form button[type=submit]');
  await p.page.locator('.error-box', { hasText: /credentials/ }).first().waitFor();
  await p.page.click('button.sign-out');
  await p.page.fill('input[name=token]', tokens.secret('read', 'team-a'));
  await p.page.click('form.tenant-form button[type=submit]');
  await p.page.locator('.log-row', { hasText: 'line of team a' }).waitFor();
  assert.equal(await p.page.locator('.log-row', { hasText: 'team b' }).count(), 0);

  // Live tail over the WebSocket with the token as access_token: a line pushed now appears.
  await p.page.click('button:has-text("Live")');
  await p.page.waitForURL((u) => u.searchParams.get('live') === 'true');
  await p.page.locator('.live-tail .log-row', { hasText: 'line of team a' }).waitFor();
  await push('team-a', 'pushed after the tail opened');
  await p.page.locator('.live-tail .log-row', { hasText: 'pushed after the tail opened' }).waitFor();

  await p.page.click('button.sign-out');
  await p.page.waitForSelector('input[name=token]');
  assert.equal(await p.page.evaluate(() => sessionStorage.getItem('logwharf.token')), null);
  p.assertClean();
});
