/**
 * The UI's shell in real Chromium: every page loads from a deep link with no console error and no
 * request leaving 127.0.0.1, the navigation keeps the URL, and with auth_enabled the UI asks for a
 * tenant and sends it.
 */
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir } from '../helpers/server.js';
import { launchBrowser, openUi, type UiBrowser } from '../../helpers/browser.js';

// One browser for the file, launched by the first test.
let launched: Promise<UiBrowser | undefined> | undefined;
const browser = (t: TestContext) => (launched ??= launchBrowser(t));
after(async () => (await launched)?.close());

test('each page loads cleanly and the navigation moves between them', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
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

test('with auth_enabled the UI asks for a tenant first and then sends it on its calls', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
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

test('with auth_enabled each tenant sees only its own sources, and switching tenant reloads the page', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  const s = await startServer({ auth_enabled: true });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  // Each tenant's agent reports through the real registry API with its own X-Scope-OrgID.
  const now = new Date().toISOString();
  for (const [tenant, container] of [['team-a', 'a-web'], ['team-b', 'b-db']] as const) {
    const res = await fetch(`${s.url}/api/v1/sources`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': tenant },
      body: JSON.stringify({
        agent: { id: `${tenant}-agent`, host: 'h', version: '0.1.0', started_at: now },
        sources: [{ id: `docker:${container}`, kind: 'docker', container, labels: { container }, state: 'tailing', lines_read: 1, lines_shipped: 1, bytes_shipped: 10, lines_dropped: 0, lag_seconds: 0, first_seen: now, last_shipped_at: now }],
      }),
    });
    assert.equal(res.status, 204, await res.text());
  }
  const p = await openUi(ui, s.url, '/sources');
  await p.page.fill('.tenant-form input[name=tenant]', 'team-a');
  await p.page.click('.tenant-form button[type=submit]');
  await p.page.waitForSelector('tr.source-row[data-source="a-web"]');
  assert.deepEqual(await p.page.$$eval('tr.source-row', (rows) => rows.map((r) => r.getAttribute('data-source'))), ['a-web']);
  // The tenant button asks for another tenant; the page loads that tenant's sources only.
  p.page.once('dialog', (d) => void d.accept('team-b'));
  const sent = p.page.waitForRequest((r) => r.url().endsWith('/api/v1/sources') && r.headers()['x-scope-orgid'] === 'team-b');
  await p.page.click('.tenant-button');
  await sent;
  await p.page.waitForSelector('tr.source-row[data-source="b-db"]');
  assert.deepEqual(await p.page.$$eval('tr.source-row', (rows) => rows.map((r) => r.getAttribute('data-source'))), ['b-db']);
  assert.match(await p.page.textContent('.tenant-button') ?? '', /team-b/);
  p.assertClean();
  await p.close();
});
