/**
 * "All lines of this request" in real Chromium: two services log JSON lines in the observability
 * kit's schema (docs/log-schema.md) sharing a request_id; expanding one service's line and following
 * the link shows both services' lines of that request, oldest first, and no other request's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir } from '../helpers/server.js';
import { launchBrowser, openUi } from '../../helpers/browser.js';

test('a line with a request_id links to every service line of that request', async (t) => {
  const ui = await launchBrowser(t);
  if (!ui) return;
  t.after(() => ui.close());
  const s = await startServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const base = Date.now() - 5 * 60_000;
  const line = (ms: number, service: string, request: string, msg: string) => [
    `${ms}000000`,
    JSON.stringify({ time: new Date(ms).toISOString(), level: 'info', service, request_id: request, msg }),
  ];
  const res = await fetch(s.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      streams: [
        { stream: { service_name: 'gateway' }, values: [line(base, 'gateway', 'req-7f3a9c', 'request received'), line(base + 30, 'gateway', 'req-11aa22', 'request received'), line(base + 90, 'gateway', 'req-7f3a9c', 'request done')] },
        { stream: { service_name: 'payments' }, values: [line(base + 40, 'payments', 'req-7f3a9c', 'charge card'), line(base + 50, 'payments', 'req-11aa22', 'charge card')] },
      ],
    }),
  });
  assert.equal(res.status, 204);
  const p = await openUi(ui, s.url, `/explore?query=${encodeURIComponent('{service_name="gateway"}')}&from=now-1h`);
  t.after(() => p.close());
  const row = p.page.locator('.log-row', { hasText: 'request done' });
  await row.locator('.log-row-main').click();
  await p.page.click('text=All lines of this request');
  await p.page.waitForURL((u) => u.searchParams.get('query') === '{service_name=~".+"} |= "req-7f3a9c"');
  // The previous answer (three gateway lines) stays on screen until the new one arrives: wait for the other service's line.
  await p.page.locator('.log-row', { hasText: 'payments' }).waitFor();
  assert.equal(await p.page.locator('.log-row').count(), 3);
  const texts = await p.page.$$eval('.log-row .log-line', (els) => els.map((e) => JSON.parse(e.textContent ?? '{}') as { service: string; msg: string }));
  assert.deepEqual(texts.map((x) => `${x.service}: ${x.msg}`), ['gateway: request received', 'payments: charge card', 'gateway: request done']);
  p.assertClean();
});
