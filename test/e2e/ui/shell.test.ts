/**
 * The UI's shell in real Chromium: every page loads from a deep link with no console error and no
 * request leaving 127.0.0.1, the navigation keeps the URL, and with auth_enabled the UI asks for a
 * tenant and sends it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir } from '../helpers/server.js';
import { launchBrowser, openUi } from '../../helpers/browser.js';

test('each page loads cleanly and the navigation moves between them', async (t) => {
  const ui = await launchBrowser(t);
  if (!ui) return;
  t.after(() => ui.close());
  const s = await startServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  for (const path of ['/', '/explore', '/overview', '/sources', '/alerts']) {
    const p = await openUi(ui, s.url, path);
    await p.page.waitForSelector('.page > *');
    p.assertClean();
    await p.close();
  }
  const p = await openUi(ui, s.url, '/explore');
  await p.page.click('nav a[href="/sources"]');
  await p.page.waitForURL(/\/sources$/);
  assert.equal(await p.page.getAttribute('nav a[href="/sources"]', 'aria-current'), 'page');
  await p.page.goBack();
  await p.page.waitForURL(/\/explore$/);
  p.assertClean();
  await p.close();
});

test('with auth_enabled the UI asks for a tenant first and then sends it on its calls', { todo: 'passes once the sources page calls its API' }, async (t) => {
  const ui = await launchBrowser(t);
  if (!ui) return;
  t.after(() => ui.close());
  const s = await startServer({ auth_enabled: true });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const p = await openUi(ui, s.url, '/explore');
  await p.page.fill('.tenant-form input[name=tenant]', 'team-a');
  const sent = p.page.waitForRequest((r) => r.url().includes('/loki/api/v1/') || r.url().includes('/api/v1/sources'));
  await p.page.click('.tenant-form button[type=submit]');
  await p.page.waitForSelector('.tenant-button');
  assert.match(await p.page.textContent('.tenant-button') ?? '', /team-a/);
  // The next API call (any page's) carries the tenant.
  await p.page.click('nav a[href="/sources"]');
  const req = await sent;
  assert.equal(req.headers()['x-scope-orgid'], 'team-a');
  p.assertClean();
  await p.close();
});
