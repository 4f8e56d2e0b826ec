/**
 * The README's and docs/ui.md's screenshots of Explore and Overview, made from a realistic hour of
 * four services' logs in the observability kit's JSON schema, with the checks a user would make of
 * those two views: the histogram's total is every pushed line, the lines are the newest ones, and
 * Overview's error rates are the pushed ones. `UPDATE_SCREENSHOTS=1` writes docs/images/*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir } from '../helpers/server.js';
import { launchBrowser, openUi, saveScreenshot } from '../../helpers/browser.js';
import { seededRandom } from '../../helpers/random.js';

// The functions passed to waitForFunction run in the browser; this file is type checked without the DOM lib.
declare const document: { querySelector(s: string): { textContent: string | null } | null; querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> };

const SERVICES: Record<string, { errorShare: number; messages: string[] }> = {
  gateway: { errorShare: 0.02, messages: ['request completed', 'request received', 'upstream slow', 'rate limit close'] },
  payments: { errorShare: 0.12, messages: ['charge authorised', 'card declined', 'provider timeout', 'refund issued'] },
  orders: { errorShare: 0.05, messages: ['order placed', 'order shipped', 'stock reserved', 'inventory lookup failed'] },
  auth: { errorShare: 0.01, messages: ['login ok', 'token refreshed', 'password wrong', 'session expired'] },
};

test('Explore and Overview over an hour of four services, as the screenshots show them', async (t) => {
  const ui = await launchBrowser(t);
  if (!ui) return;
  t.after(() => ui.close());
  const s = await startServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const rnd = seededRandom(t);
  const now = Date.now();
  const errors = new Map<string, number>();
  const counts = new Map<string, number>();
  const streams = Object.entries(SERVICES).map(([service, spec]) => {
    const values: Array<[string, string]> = [];
    // About 6 lines a minute, more in a burst 20 minutes ago.
    for (let ms = now - 58 * 60_000; ms < now - 5_000; ms += Math.round(rnd.between(2_000, 18_000))) {
      const burst = Math.abs(ms - (now - 20 * 60_000)) < 3 * 60_000;
      const level = rnd.next() < spec.errorShare * (burst ? 6 : 1) ? 'error' : rnd.next() < 0.15 ? 'warn' : rnd.next() < 0.2 ? 'debug' : 'info';
      const msg = spec.messages[rnd.int(spec.messages.length)]!;
      const line = { time: new Date(ms).toISOString(), level, service, msg, request_id: `req-${rnd.int(1e9).toString(16).padStart(8, '0')}`, duration_ms: Math.round(rnd.between(2, burst ? 900 : 120)) };
      values.push([`${ms}000000`, JSON.stringify(line)]);
      counts.set(service, (counts.get(service) ?? 0) + 1);
      if (level === 'error') errors.set(service, (errors.get(service) ?? 0) + 1);
    }
    return { stream: { service_name: service, env: 'prod' }, values };
  });
  // The screenshot expands an error line, whatever the seed drew: the newest line of all is made an
  // error (a seed may otherwise leave none among the rows the list renders).
  const newestStream = streams.reduce((best, x) => (x.values[x.values.length - 1]![0] > best.values[best.values.length - 1]![0] ? x : best));
  const newestValue = newestStream.values[newestStream.values.length - 1]!;
  const asError = JSON.parse(newestValue[1]) as { level: string };
  if (asError.level !== 'error') {
    asError.level = 'error';
    newestValue[1] = JSON.stringify(asError);
    errors.set(newestStream.stream.service_name, (errors.get(newestStream.stream.service_name) ?? 0) + 1);
  }
  const res = await fetch(s.url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ streams }) });
  assert.equal(res.status, 204);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);

  const explore = await openUi(ui, s.url, `/explore?query=${encodeURIComponent('{env="prod"} | json')}&from=now-1h`);
  t.after(() => explore.close());
  await explore.page.waitForSelector('.log-row');
  // The histogram counts every pushed line (the list shows the newest `limit` of them).
  await explore.page.waitForFunction((n) => document.querySelector('.volume-total')?.textContent === n, `${total.toLocaleString('en-US')} lines`);
  const newest = streams.flatMap((x) => x.values).sort((a, b) => (a[0] < b[0] ? 1 : -1))[0]![1];
  assert.equal(await explore.page.locator('.log-row .log-line').first().textContent(), newest);
  // One line expanded, as a user would look at it.
  await explore.page.locator('.log-row', { hasText: '"level":"error"' }).first().locator('.log-row-main').click();
  await explore.page.waitForSelector('.log-detail');
  await saveScreenshot(explore.page, 'explore');
  explore.assertClean();

  const overview = await openUi(ui, s.url, '/overview');
  t.after(() => overview.close());
  for (const [service, n] of counts) {
    const row = overview.page.locator('tr', { has: overview.page.locator(`text="${service}"`) }).first();
    await row.waitFor();
    await overview.page.waitForFunction(
      ([svc, lines]) => Array.from(document.querySelectorAll('tr')).some((tr) => tr.textContent!.startsWith(svc as string) && tr.textContent!.includes(String(lines))),
      [service, n] as const,
    );
    const text = (await row.textContent()) ?? '';
    assert.ok(text.includes(String(errors.get(service) ?? 0)), `${service}: ${text} should show ${errors.get(service) ?? 0} errors`);
  }
  await overview.page.waitForSelector('text=Server health');
  await saveScreenshot(overview.page, 'overview');
  overview.assertClean();
});
