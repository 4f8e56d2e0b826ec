/**
 * Explore's query bar in real Chromium against the real server with pushed streams: the LogQL editor
 * (deep link, highlighting, completion of label names and scoped label values, Shift+Enter), the
 * server's error in words and underlined, recent queries, the time picker, Share.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startServer, removeDir, type RunningServer } from '../helpers/server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { launchBrowser, openUi, type UiBrowser } from '../../helpers/browser.js';

async function push(s: RunningServer): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const streams = [
    { stream: { service_name: 'checkout', env: 'prod', level: 'error' }, values: [[String(now - 2_000_000_000n), 'payment failed id=1']] },
    { stream: { service_name: 'payments', env: 'dev', level: 'info' }, values: [[String(now - 1_000_000_000n), 'charged id=2']] },
  ];
  const res = await fetch(s.url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ streams }) });
  assert.equal(res.status, 204, await res.text());
}

const editorText = (page: Page) => page.textContent('.cm-content');
const options = (page: Page) => page.$$eval('.cm-tooltip-autocomplete [role=option]', (els) => els.map((e) => e.querySelector('.cm-completionLabel')!.textContent));
const queryParam = (page: Page) => new URL(page.url()).searchParams.get('query');

test('the query bar: editor, completion, running, errors, history, time range, share', async (t) => {
  const ui = await launchBrowser(t);
  if (!ui) return;
  t.after(() => ui.close());
  const s = await startServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  await push(s);
  const open = (path: string, allowConsole?: RegExp[]) => openUi(ui as UiBrowser, s.url, path, { allowConsole });

  await t.test('a deep link shows its query in the editor, highlighted', async () => {
    const q = '{service_name="checkout"} |= "failed"';
    const p = await open(`/explore?query=${encodeURIComponent(q)}`);
    await p.page.waitForSelector('.cm-content .tok-string');
    assert.equal(await editorText(p.page), q);
    assert.deepEqual(await p.page.$$eval('.cm-content .tok-label', (els) => els.map((e) => e.textContent)), ['service_name']);
    assert.deepEqual(await p.page.$$eval('.cm-content .tok-string', (els) => els.map((e) => e.textContent)), ['"checkout"', '"failed"']);
    assert.deepEqual(await p.page.$$eval('.cm-content .tok-operator', (els) => els.map((e) => e.textContent)), ['=', '|=']);
    p.assertClean();
    await p.close();
  });

  await t.test('typing { offers the pushed label names; a name then offers its values', async () => {
    const p = await open('/explore');
    await p.page.click('.cm-content');
    await p.page.keyboard.type('{');
    await p.page.waitForSelector('.cm-tooltip-autocomplete [role=option]');
    assert.deepEqual((await options(p.page)).sort(), ['env', 'level', 'service_name']);
    await p.page.click('.cm-tooltip-autocomplete [role=option]:has-text("service_name")');
    assert.equal(await editorText(p.page), '{service_name=""}');
    await p.page.waitForSelector('.cm-tooltip-autocomplete [role=option]:has-text("checkout")');
    assert.deepEqual(await options(p.page), ['checkout', 'payments']);
    await p.page.click('.cm-tooltip-autocomplete [role=option]:has-text("payments")');
    assert.equal(await editorText(p.page), '{service_name="payments"}');
    p.assertClean();
    await p.close();
  });

  await t.test('label values are scoped to the selector typed so far', async () => {
    const p = await open('/explore');
    await p.page.click('.cm-content');
    // closeBrackets closes { and " as they are typed; typing the closing quote steps over it.
    await p.page.keyboard.type('{env="dev", service_name="');
    assert.equal(await editorText(p.page), '{env="dev", service_name=""}');
    // Wait for the values (not the label names offered while typing), then check that only one is offered.
    await p.page.waitForSelector('.cm-tooltip-autocomplete [role=option]:has-text("payments")');
    assert.deepEqual(await options(p.page), ['payments']);
    p.assertClean();
    await p.close();
  });

  await t.test('a pipe offers pipeline stages and line filters', async () => {
    const p = await open(`/explore?query=${encodeURIComponent('{env="dev"}')}`);
    await p.page.click('.cm-content');
    await p.page.keyboard.press('End');
    await p.page.keyboard.type(' |');
    await p.page.waitForSelector('.cm-tooltip-autocomplete [role=option]');
    const offered = await options(p.page);
    for (const o of ['json', 'logfmt', 'line_format', '|=', '!~']) assert.ok(offered.includes(o), `${o} in ${offered.join(' ')}`);
    await p.page.keyboard.type(' lo');
    await p.page.waitForSelector('.cm-tooltip-autocomplete [role=option]:has-text("json")', { state: 'detached' });
    await p.page.keyboard.press('Enter');
    assert.equal(await editorText(p.page), '{env="dev"} | logfmt');
    p.assertClean();
    await p.close();
  });

  await t.test('Shift+Enter runs the query (a new URL) and the history lists it', async () => {
    const p = await open(`/explore?query=${encodeURIComponent('{env="dev"}')}`);
    await p.page.click('.cm-content');
    await p.page.keyboard.press('End');
    await p.page.keyboard.type(' |= "charged"');
    await p.page.keyboard.press('Shift+Enter');
    await p.page.waitForURL((u) => u.searchParams.get('query') === '{env="dev"} |= "charged"');
    // Back to the first query: the editor follows the URL.
    await p.page.goBack();
    await waitFor('the editor shows the earlier query', async () => (await editorText(p.page)) === '{env="dev"}');
    await p.page.click('button:has-text("History")');
    const items = await p.page.$$eval('.query-history-list button', (els) => els.map((e) => e.textContent));
    assert.deepEqual(items, ['{env="dev"} |= "charged"']);
    await p.page.click('.query-history-list button:has-text("charged")');
    await waitFor('the picked query fills the editor', async () => (await editorText(p.page)) === '{env="dev"} |= "charged"');
    assert.equal(queryParam(p.page), '{env="dev"}', 'picking from history fills the editor without running');
    await p.page.click('button:has-text("Run query")');
    await p.page.waitForURL((u) => u.searchParams.get('query') === '{env="dev"} |= "charged"');
    p.assertClean();
    await p.close();
  });

  await t.test("a bad query's error is in words under the editor and underlined where the server points", async () => {
    const bad = '{service_name="checkout"} | json | foo bar';
    const p = await open(`/explore?query=${encodeURIComponent(bad)}`, [/status of 400/]);
    const alert = await p.page.waitForSelector('.query-error[role=alert]');
    // The server answers "parse error at line 1, col 40: syntax error: unexpected IDENTIFIER".
    assert.match((await alert.textContent()) ?? '', /^The query is not valid LogQL: at line 1, col 40: syntax error: unexpected IDENTIFIER/);
    assert.equal(await p.page.textContent('.cm-content .cm-query-error'), 'bar');
    // Fixing it and running: the error goes away and the results come.
    await p.page.click('.cm-content');
    await p.page.keyboard.press('End');
    for (let i = 0; i < ' | foo bar'.length; i++) await p.page.keyboard.press('Backspace');
    await p.page.keyboard.press('Shift+Enter');
    await p.page.waitForSelector('.query-error', { state: 'detached' });
    assert.equal(await p.page.locator('.cm-query-error').count(), 0);
    p.assertClean();
    await p.close();
  });

  await t.test('running an unchanged query runs it again', async () => {
    const q = '{service_name="checkout"}';
    const p = await open(`/explore?query=${encodeURIComponent(q)}`);
    await p.page.waitForSelector('.results:not(.loading)');
    const again = p.page.waitForRequest((r) => r.url().includes('/loki/api/v1/query_range') && new URL(r.url()).searchParams.get('query') === q);
    await p.page.click('.cm-content');
    await p.page.keyboard.press('Shift+Enter');
    await again;
    assert.equal(queryParam(p.page), q);
    p.assertClean();
    await p.close();
  });

  await t.test('the time picker: a preset goes into the URL; an unreadable time is explained and not applied', async () => {
    const p = await open(`/explore?query=${encodeURIComponent('{env="dev"}')}`);
    await p.page.click('.time-range-button');
    await p.page.click('.time-presets button:has-text("Last 15 minutes")');
    await p.page.waitForURL((u) => u.searchParams.get('from') === 'now-15m');
    assert.equal(await p.page.textContent('.time-range-button'), 'Last 15 minutes');
    await p.page.click('.time-range-button');
    await p.page.fill('.time-absolute input[name=from]', 'yesterday');
    await p.page.click('button:has-text("Apply time range")');
    assert.match((await p.page.textContent('.time-error[role=alert]')) ?? '', /From "yesterday" is not a time/);
    assert.equal(new URL(p.page.url()).searchParams.get('from'), 'now-15m');
    await p.page.fill('.time-absolute input[name=from]', '2026-01-01T00:00:00Z');
    await p.page.fill('.time-absolute input[name=to]', 'now-1h');
    await p.page.click('button:has-text("Apply time range")');
    await p.page.waitForURL((u) => u.searchParams.get('from') === '2026-01-01T00:00:00Z' && u.searchParams.get('to') === 'now-1h');
    await p.page.selectOption('select[aria-label="Auto-refresh"]', '30s');
    await p.page.waitForURL((u) => u.searchParams.get('refresh') === '30s');
    p.assertClean();
    await p.close();
  });

  await t.test('Live toggles live tail in the URL; Share copies the link', async () => {
    const p = await open(`/explore?query=${encodeURIComponent('{env="dev"}')}`);
    await p.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.url });
    await p.page.click('button:has-text("Share")');
    await p.page.waitForSelector('.share-notice:has-text("Link copied")');
    assert.equal(await p.page.evaluate('navigator.clipboard.readText()'), p.page.url());
    await p.page.click('button.live-toggle');
    await p.page.waitForURL((u) => u.searchParams.get('live') === 'true');
    assert.equal(await p.page.getAttribute('button.live-toggle', 'aria-pressed'), 'true');
    p.assertClean();
    await p.close();
  });
});
