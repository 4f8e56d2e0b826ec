/**
 * Live tail in real Chromium against the real server: lines pushed after the page opened appear;
 * Pause holds them until Resume; the cap drops the oldest lines and says how many; a server that
 * goes away shows "Reconnecting" and the tail resumes with the lines pushed after it came back;
 * with auth_enabled the tail follows the chosen tenant only.
 */
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir } from '../helpers/server.js';
import { launchBrowser, openUi, type UiBrowser } from '../../helpers/browser.js';

// One browser for the file, launched by the first test (it skips them all when Chromium is missing).
let shared: UiBrowser | undefined;
const browser = async (t: TestContext) => (shared ??= await launchBrowser(t));
after(async () => shared?.close());

let seq = 0;
async function push(url: string, labels: Record<string, string>, lines: string[], tenant?: string) {
  const base = Date.now() * 1_000_000;
  const values = lines.map((l) => [String(base + seq++ * 1000), l]);
  const res = await fetch(url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(tenant ? { 'X-Scope-OrgID': tenant } : {}) },
    body: JSON.stringify({ streams: [{ stream: labels, values }] }),
  });
  assert.equal(res.status, 204);
}

const LIVE = '/explore?query=' + encodeURIComponent('{job="x"}') + '&live=true';

test('lines pushed after the page opened appear; pause holds them; a restarted server is reconnected to', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  let s = await startServer();
  const dir = s.dir;
  t.after(async () => (await s.close(), removeDir(dir)));
  const p = await openUi(ui, s.url, LIVE, {
    // While the server is down the browser logs the refused socket and the explaining request.
    allowConsole: [/WebSocket connection to .* failed/, /Failed to load resource: net::ERR_CONNECTION_REFUSED/],
  });
  t.after(() => p.close());
  const { page } = p;
  await page.waitForSelector('.tail-status-live');

  await push(s.url, { job: 'x' }, ['first line after open']);
  await page.waitForSelector('.log-row:has-text("first line after open")', { timeout: 5000 });
  await push(s.url, { job: 'other' }, ['not this stream']);

  await page.click('button:has-text("Pause")');
  await push(s.url, { job: 'x' }, ['pushed while paused']);
  // The line has arrived (it is counted) but is not shown until Resume.
  await page.waitForSelector('.tail-status-paused:has-text("1 new lines")');
  assert.equal(await page.locator('.log-row:has-text("pushed while paused")').count(), 0);
  await page.click('button:has-text("Resume")');
  await page.waitForSelector('.log-row:has-text("pushed while paused")');
  assert.equal(await page.locator('.log-row:has-text("not this stream")').count(), 0);

  // The server goes away: the tail says it is reconnecting, then picks up where it left off.
  const port = new URL(s.url).port;
  await s.close();
  await page.waitForSelector('.tail-status-reconnecting');
  s = await startServer({ data: dir, listen: `127.0.0.1:${port}` });
  await page.waitForSelector('.tail-status-live', { timeout: 15_000 });
  await push(s.url, { job: 'x' }, ['after the restart']);
  await page.waitForSelector('.log-row:has-text("after the restart")');
  // Nothing was shown twice when the reconnect asked for the lines after the last one received.
  assert.equal(await page.locator('.log-row:has-text("first line after open")').count(), 1);
  assert.equal(await page.locator('.log-row:has-text("pushed while paused")').count(), 1);
  p.assertClean();
});

test('the cap keeps the newest lines and says how many it dropped; a burst is received whole', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  const s = await startServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const p = await openUi(ui, s.url, '/explore?query=' + encodeURIComponent('{job="burst"}') + '&live=true');
  t.after(() => p.close());
  const { page } = p;
  await page.waitForSelector('.tail-status-live');
  await page.selectOption('select[aria-label="Lines kept"]', '1000');
  // 6,000 lines in six pushes: about what 2,000 lines/s for 3 s sends.
  for (let b = 0; b < 6; b++) await push(s.url, { job: 'burst' }, Array.from({ length: 1000 }, (_, i) => `burst line ${b * 1000 + i}`));
  await page.waitForSelector('.tail-count:has-text("6,000 lines received")', { timeout: 15_000 });
  await page.waitForSelector('.tail-notice-cap:has-text("5,000 older lines were dropped to keep at most 1,000 lines")');
  // Newest first: the last line pushed is at the top; the oldest kept is line 5000.
  assert.match((await page.locator('.log-row').first().textContent()) ?? '', /burst line 5999/);
  p.assertClean();
});

test('with auth_enabled the tail follows the chosen tenant and not another', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  const s = await startServer({ auth_enabled: true });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const p = await openUi(ui, s.url, LIVE);
  t.after(() => p.close());
  const { page } = p;
  const socket = page.waitForEvent('websocket');
  await page.fill('.tenant-form input[name=tenant]', 'team-a');
  await page.click('.tenant-form button[type=submit]');
  const ws = await socket;
  assert.match(ws.url(), /[?&]orgId=team-a(&|$)/);
  const closed = new Promise((resolve) => ws.on('close', resolve));
  await page.waitForSelector('.tail-status-live');
  await push(s.url, { job: 'x' }, ['secret of team b'], 'team-b');
  await push(s.url, { job: 'x' }, ['line of team a'], 'team-a');
  await push(s.url, { job: 'x' }, ['second line of team a'], 'team-a');
  await page.waitForSelector('.log-row:has-text("second line of team a")');
  await page.waitForSelector('.log-row:has-text("line of team a")');
  assert.equal(await page.locator('.log-row:has-text("secret of team b")').count(), 0);
  // Leaving live mode (the query bar's Live toggle) closes the socket.
  await page.click('button.live-toggle');
  await closed;
  assert.equal(new URL(page.url()).searchParams.get('live'), null);
  p.assertClean();
});

test('a query the tail refuses is explained in plain words: bad LogQL, or a metric query', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  const s = await startServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  // The browser logs the refused handshake and the explaining request's 400 itself.
  const allowConsole = [/WebSocket connection to .* failed/, /Failed to load resource: the server responded with a status of 400/];
  const bad = await openUi(ui, s.url, '/explore?query=' + encodeURIComponent('{job="x"') + '&live=true', { allowConsole });
  t.after(() => bad.close());
  await bad.page.waitForSelector('.tail-status-failed');
  assert.match((await bad.page.locator('[role=alert]').first().textContent()) ?? '', /not valid LogQL/);
  bad.assertClean();

  const metric = await openUi(ui, s.url, '/explore?query=' + encodeURIComponent('count_over_time({job="x"}[1m])') + '&live=true', { allowConsole });
  t.after(() => metric.close());
  await metric.page.waitForSelector('.tail-status-failed');
  assert.match((await metric.page.locator('.live-tail [role=alert]').textContent()) ?? '', /use a log query/);
  metric.assertClean();
});
