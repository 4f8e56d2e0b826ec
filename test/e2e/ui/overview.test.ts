/**
 * The Overview page in real Chromium against the real server, with lines pushed from two services:
 * the volume charts, the error rate per service matching what was pushed, the newest errors (a
 * click opens that stream in Explore), a pattern, and the server's health (ingest and disk above
 * zero, the configured retention).
 */
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir } from '../helpers/server.js';
import { launchBrowser, openUi, type UiBrowser } from '../../helpers/browser.js';

// One browser for the file, launched by the first test (it skips them all when Chromium is missing).
let shared: UiBrowser | undefined;
const browser = async (t: TestContext) => (shared ??= await launchBrowser(t));
after(async () => shared?.close());

async function push(url: string, streams: Array<{ stream: Record<string, string>; lines: string[] }>) {
  const now = Date.now() * 1_000_000;
  let k = 0;
  const body = { streams: streams.map((s) => ({ stream: s.stream, values: s.lines.map((l) => [String(now - 60_000_000_000 + k++ * 1_000_000), l]) })) };
  const res = await fetch(url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 204);
}

test('overview shows volume, error rate per service, newest errors, patterns and server health', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  const s = await startServer({ retention: { period: '48h', streams: [{ selector: '{app="shop"}', period: '720h', priority: 1 }] } });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  // shop (service_name discovered from `app`): 10 lines, 3 errors; auth: 4 lines, 1 error.
  const shop = [
    ...Array.from({ length: 7 }, (_, i) => `level=info msg="order ${i} paid"`),
    'level=error msg="payment failed for order 7"',
    'level=error msg="payment failed for order 8"',
    'level=error msg="payment failed for order 9"',
  ];
  const auth = ['level=info msg="login ok user=1"', 'level=info msg="login ok user=2"', 'level=info msg="login ok user=3"', 'level=error msg="token expired user=4"'];
  await push(s.url, [
    { stream: { app: 'shop', env: 'prod' }, lines: shop },
    { stream: { service_name: 'auth' }, lines: auth },
  ]);

  const p = await openUi(ui, s.url, '/overview');
  t.after(() => p.close());
  const { page } = p;

  // Error rate per service, as pushed.
  const row = (svc: string) => page.locator(`.error-rate tr[data-service="${svc}"]`);
  await row('shop').waitFor();
  assert.equal(await row('shop').locator('.lines').textContent(), '10');
  assert.equal(await row('shop').locator('.errors').textContent(), '3');
  assert.equal(await row('shop').locator('.rate-text').textContent(), '30.0%');
  assert.equal(await row('auth').locator('.lines').textContent(), '4');
  assert.equal(await row('auth').locator('.errors').textContent(), '1');
  assert.equal(await row('auth').locator('.rate-text').textContent(), '25.0%');

  // Volume: a chart per service, with its level totals.
  await page.waitForSelector('.panel-volume figure[data-service="shop"] canvas');
  await page.waitForSelector('.panel-volume figure[data-service="auth"] canvas');
  assert.match((await page.locator('.panel-volume figure[data-service="shop"] .total').textContent()) ?? '', /^10 lines$/);
  assert.match((await page.locator('.panel-volume figure[data-service="shop"] .level-error').textContent()) ?? '', /error 3/);

  // Newest errors: the four error lines, newest first.
  await page.waitForSelector('.newest-errors .log-row');
  const errors = await page.locator('.newest-errors .log-line').allTextContents();
  assert.deepEqual(errors, ['level=error msg="token expired user=4"', 'level=error msg="payment failed for order 9"', 'level=error msg="payment failed for order 8"', 'level=error msg="payment failed for order 7"']);

  // The info lines of both services share one pattern (the values vary): all 10 of them.
  const pattern = page.locator('.top-patterns tr', { hasText: 'level=info msg=<_>' });
  await pattern.waitFor();
  assert.equal(await pattern.locator('.count').textContent(), '10');
  assert.equal(await pattern.locator('.level').textContent(), 'info');

  // Health: ingest and disk above zero, the configured retention.
  const value = async (sel: string) => (await page.locator(`.panel-health ${sel} .value`).textContent()) ?? '';
  await page.waitForSelector('.panel-health .ingest-lines .value');
  assert.ok(Number.parseFloat(await value('.ingest-lines')) > 0, await value('.ingest-lines'));
  assert.match(await value('.disk'), /^[\d.]+ (B|KiB|MiB|GiB)$/);
  assert.ok(Number.parseFloat(await value('.disk')) > 0);
  assert.match((await page.locator('.retention-period').textContent()) ?? '', /kept for 48h/);
  assert.match((await page.locator('.retention-rules').textContent()) ?? '', /\{app="shop"\}.*720h/);

  // Refresh reloads the panels: a new error appears without reloading the page.
  await push(s.url, [{ stream: { service_name: 'auth' }, lines: ['level=error msg="token expired user=5"'] }]);
  await page.click('button.refresh');
  await page.waitForSelector('.newest-errors .log-line:has-text("user=5")');
  await page.waitForSelector('.error-rate tr[data-service="auth"] .errors:text-is("2")');

  // A newest error opens its stream in Explore: its stream labels, not its structured metadata.
  await page.click('.newest-errors .error-line:has-text("payment failed for order 9")');
  await page.waitForURL(/\/explore\?/);
  const query = new URL(page.url()).searchParams.get('query');
  assert.equal(query, '{app="shop", env="prod", service_name="shop"}');
  p.assertClean();
});

test('a failing panel shows its own error and the others still work; panels reload every 30 s', async (t) => {
  const ui = await browser(t);
  if (!ui) return;
  // The newest-errors panel asks for 20 lines: above this limit the server refuses it (a real 400).
  const s = await startServer({ limits: { max_entries_limit_per_query: 10 } });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  await push(s.url, [{ stream: { service_name: 'auth' }, lines: ['level=info msg="login ok"', 'level=error msg="token expired"'] }]);

  const p = await openUi(ui, s.url, '/overview?range=15m', { allowConsole: [/Failed to load resource: the server responded with a status of 400/] });
  t.after(() => p.close());
  const { page } = p;
  await page.waitForSelector('.panel-newest-errors [role=alert]');
  assert.match((await page.locator('.panel-newest-errors [role=alert]').textContent()) ?? '', /max_entries_limit_per_query/);
  await page.waitForSelector('.error-rate tr[data-service="auth"] .errors:text-is("1")');
  await page.waitForSelector('.panel-health .ingest-lines .value');
  assert.equal(await page.locator('select[aria-label="Time range"]').inputValue(), '15m');

  // The next automatic reload (timers from here on run on a clock the test moves) counts a new line.
  await page.clock.install();
  const reloaded = page.waitForResponse((r) => r.url().includes('/loki/api/v1/query?'));
  await page.click('button.refresh');
  assert.equal((await reloaded).status(), 200);
  await push(s.url, [{ stream: { service_name: 'auth' }, lines: ['level=error msg="token expired again"'] }]);
  await page.clock.fastForward(31_000);
  await page.waitForSelector('.error-rate tr[data-service="auth"] .errors:text-is("2")');
  p.assertClean();
});
