/**
 * Explore's charts in real Chromium against the real server: the volume histogram of a log query
 * (levels and counts as pushed, drag and click to zoom, Back to undo), a metric query's chart
 * (a legend entry per series, hover values, toggling a series) and table (the server's values), and a
 * bad query's error in plain words.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startServer, removeDir, type RunningServer } from '../helpers/server.js';
import { launchBrowser, openUi, type UiBrowser } from '../../helpers/browser.js';
import { seededRandom } from '../../helpers/random.js';
import { waitFor } from '../../helpers/wait-for.js';

// The functions passed to page.evaluate run in the browser; this file is type checked without the DOM lib.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare function getComputedStyle(e: unknown): any;
declare const history: any;
declare function dispatchEvent(e: unknown): void;
declare const PopStateEvent: any;

let ui: UiBrowser | undefined;
let s: RunningServer;
const T0 = Date.now();
/** Milliseconds of each pushed `job="charts"` line, by level. */
const pushed: Record<string, number[]> = { error: [], warn: [], info: [], debug: [] };
const LEVEL_COUNTS: Record<string, number> = { error: 7, warn: 4, info: 11, debug: 3 };
/** `job="x"` streams with a `level` label, for the metric query. */
const LABELLED: Record<string, number> = { error: 6, info: 9 };

async function push(streams: Array<{ stream: Record<string, string>; values: Array<[string, string]> }>): Promise<void> {
  const res = await fetch(s.url + '/loki/api/v1/push', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ streams }) });
  assert.equal(res.status, 204, await res.text());
}

/** Whole seconds plus 500 ms, so no line sits on a zoom boundary (zoomed ranges are whole seconds). */
const ns = (ms: number) => `${ms}000000`;

before(async () => {
  s = await startServer();
  const rnd = seededRandom({ diagnostic: (m) => console.log(`# ${m}`) });
  const values: Array<[string, string]> = [];
  for (const [level, n] of Object.entries(LEVEL_COUNTS)) {
    for (let i = 0; i < n; i++) {
      // Spread over the last 30 minutes (not the last minute: the range's end is "now" when the page runs).
      const ms = Math.floor(T0 / 1000 - 60 - rnd.int(1740)) * 1000 + 500;
      pushed[level]!.push(ms);
      values.push([ns(ms), `level=${level} msg="request ${i}" took=${rnd.int(900)}ms`]);
    }
  }
  values.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const labelled = Object.entries(LABELLED).map(([level, n]) => ({
    stream: { job: 'x', level },
    values: Array.from({ length: n }, (_, i): [string, string] => [ns(T0 - 90_000 - i * 150_000), `${level} line ${i}`]).reverse(),
  }));
  await push([{ stream: { job: 'charts', app: 'web' }, values }, ...labelled]);
});

after(async () => {
  await ui?.close();
  await s.close();
  removeDir(s.dir);
});

const explore = (query: string, extra = '') => `/explore?query=${encodeURIComponent(query)}${extra}`;
const countsIn = (fromMs: number, toMs: number) => Object.values(pushed).flat().filter((ms) => ms > fromMs && ms <= toMs).length;
const total = Object.values(LEVEL_COUNTS).reduce((a, b) => a + b, 0);
const volumeTotal = (page: Page) => page.textContent('.volume-total');
const lines = (n: number) => `${n} ${n === 1 ? 'line' : 'lines'}`;

/** Makes the page believe its tab is hidden or shown (as switching tabs does). A string: tsx would wrap a function's getter in a helper the page lacks. */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate(`Object.defineProperty(document, 'hidden', { configurable: true, value: ${hidden} }); document.dispatchEvent(new Event('visibilitychange'))`);

/** Pixels of the canvas within `tolerance` of a CSS colour (#rrggbb). */
async function pixelsOf(page: Page, canvasSelector: string, colour: string, tolerance = 0): Promise<number> {
  return page.evaluate(
    ({ sel, hex, tol }) => {
      const c = document.querySelector(sel);
      const d: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 200 && Math.abs(d[i]! - r!) <= tol && Math.abs(d[i + 1]! - g!) <= tol && Math.abs(d[i + 2]! - b!) <= tol) n++;
      return n;
    },
    { sel: canvasSelector, hex: colour, tol: tolerance },
  );
}

test('the volume histogram shows the pushed lines stacked by level; dragging zooms to the range, Back undoes it, a click zooms to a bar', async (t) => {
  ui = await launchBrowser(t);
  if (!ui) return;
  const p = await openUi(ui, s.url, explore('{job="charts"}', '&from=now-1h'));
  const { page } = p;
  await page.waitForSelector('.volume-chart canvas');
  await page.waitForFunction((n) => document.querySelector('.volume-total')?.textContent === `${n} lines`, total);
  for (const [level, n] of Object.entries(LEVEL_COUNTS)) {
    assert.equal(await page.textContent(`.volume-legend-item[data-level="${level}"] .count`), String(n), `${level} count in the legend`);
  }
  assert.deepEqual(await page.$$eval('.volume-legend-item', (els) => els.map((e) => e.getAttribute('data-level'))), ['error', 'warn', 'info', 'debug']);
  // The bars are drawn in the level colours of the theme.
  for (const level of ['error', 'info']) {
    const colour = await page.evaluate((l) => getComputedStyle(document.documentElement).getPropertyValue(`--${l}`).trim(), level);
    assert.ok((await pixelsOf(page, '.volume-chart canvas', colour)) > 20, `${level} bars (${colour}) are drawn`);
  }
  // The lines themselves are listed below.
  await page.waitForSelector('.log-row');

  // Drag across the middle half of the plot: the range becomes about now-45m … now-15m.
  const box = (await page.locator('.volume-chart .u-over').boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.25, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, y, { steps: 4 });
  await page.mouse.move(box.x + box.width * 0.75, y, { steps: 4 });
  await page.mouse.up();
  await page.waitForURL((u) => /^\d{4}-/.test(u.searchParams.get('from') ?? ''));
  const url = new URL(page.url());
  const from = Date.parse(url.searchParams.get('from')!);
  const to = Date.parse(url.searchParams.get('to')!);
  assert.ok(Math.abs(from - (T0 - 45 * 60e3)) < 120e3, `dragged from ${url.searchParams.get('from')} is about now-45m`);
  assert.ok(Math.abs(to - (T0 - 15 * 60e3)) < 120e3, `dragged to ${url.searchParams.get('to')} is about now-15m`);
  assert.equal(url.searchParams.get('query'), '{job="charts"}');
  // The histogram counts again over the new range: exactly the pushed lines inside it.
  const inside = countsIn(from, to);
  await waitFor(`the histogram's total over the dragged range to be ${inside}`, async () => {
    const seen = await volumeTotal(page);
    if (seen !== lines(inside)) throw new Error(`shows ${seen}`);
    return true;
  });

  // Back returns to the last hour and its counts.
  await page.goBack();
  await page.waitForURL((u) => u.searchParams.get('from') === 'now-1h');
  await waitFor(`the total back to ${total}`, async () => (await volumeTotal(page)) === `${total} lines`);

  // A click (no drag) on a bar zooms to its bucket: one step (30 s for an hour) on the step grid.
  await page.waitForSelector('.volume-chart .u-over');
  const box2 = (await page.locator('.volume-chart .u-over').boundingBox())!;
  await page.mouse.click(box2.x + box2.width * 0.6, box2.y + box2.height - 5);
  await page.waitForURL((u) => /^\d{4}-/.test(u.searchParams.get('from') ?? ''));
  const u2 = new URL(page.url());
  const bFrom = Date.parse(u2.searchParams.get('from')!);
  const bTo = Date.parse(u2.searchParams.get('to')!);
  assert.equal(bTo - bFrom, 30e3, 'a bucket of the 1h range is 30s');
  assert.equal(bFrom % 30e3, 0, 'buckets are aligned on the step');
  assert.ok(Math.abs(bFrom - (T0 - 24 * 60e3)) < 120e3, 'the bucket under the click (60% across the last hour)');
  await waitFor('the histogram over the bucket', async () => (await volumeTotal(page)) === lines(countsIn(bFrom, bTo)));

  // The chart follows its container's width.
  const wide = (await page.locator('.volume-chart canvas').boundingBox())!.width;
  await page.setViewportSize({ width: 800, height: 900 });
  // The chart redraws its canvas on resize: between two frames there may be none to measure.
  await waitFor('the histogram to narrow with the window', async () => {
    const box = await page.locator('.volume-chart canvas').boundingBox();
    return box !== null && box.width < wide - 400;
  });
  p.assertClean();
  await p.close();
});

test('the histogram counts exactly the lines of the whole query, even when its parser fails on them', async (t) => {
  ui ??= await launchBrowser(t);
  if (!ui) return;
  // A line filter keeps the error lines; `| json` fails on these logfmt lines, which a log query still returns.
  const p = await openUi(ui, s.url, explore('{job="charts"} |= "level=error" | json'));
  const { page } = p;
  await page.waitForFunction((n) => document.querySelector('.volume-total')?.textContent === `${n} lines`, LEVEL_COUNTS.error);
  assert.deepEqual(await page.$$eval('.volume-legend-item', (els) => els.map((e) => e.getAttribute('data-level'))), ['error']);
  assert.equal(await page.locator('.volume .error-box, .volume-note').count(), 0, 'counted in full, no fallback');
  p.assertClean();
  await p.close();
});

test('a metric query draws a chart with a legend entry per series, hover values and series toggles, and a table of the server\'s values', async (t) => {
  ui ??= await launchBrowser(t);
  if (!ui) return;
  const query = 'sum by (level) (count_over_time({job="x"}[5m]))';
  const p = await openUi(ui, s.url, '/');
  const { page } = p;
  // Capture the answer the UI got, to compare the table with it.
  const answer = page.waitForResponse((r) => r.url().includes('/loki/api/v1/query_range') && new URL(r.url()).searchParams.get('query') === query);
  await page.goto(s.url + explore(query));
  const body = (await (await answer).json()) as { data: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } };
  assert.equal(body.data.resultType, 'matrix');
  await page.waitForSelector('.metric-chart .u-legend');
  const labels = await page.$$eval('.metric-chart .u-legend .u-series:not(:first-child) .u-label', (els) => els.map((e) => e.textContent));
  assert.deepEqual(labels.sort(), ['{level="error"}', '{level="info"}']);

  // Hovering the plot shows each series' value at the cursor in the legend.
  const box = (await page.locator('.metric-chart .u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
  await page.waitForFunction(() => [...document.querySelectorAll('.metric-chart .u-legend .u-series:not(:first-child) .u-value')].some((e) => /^\d/.test(e.textContent ?? '')));

  // Clicking a legend entry hides its line (its colour leaves the canvas); clicking again shows it.
  const errorEntry = page.locator('.metric-chart .u-legend .u-series', { hasText: '{level="error"}' });
  const colour = await errorEntry.locator('.u-marker').evaluate((e) => {
    const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(getComputedStyle(e).borderColor)!;
    return '#' + [m[1], m[2], m[3]].map((v) => Number(v).toString(16).padStart(2, '0')).join('');
  });
  await page.mouse.move(0, 0);
  assert.ok((await pixelsOf(page, '.metric-chart canvas', colour, 30)) > 20, `the error series (${colour}) is drawn`);
  const toggle = page.getByRole('button', { name: '{level="error"}' });
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  await toggle.click();
  await page.waitForFunction(() => [...document.querySelectorAll('.metric-chart .u-legend .u-series')].some((e) => e.textContent?.includes('level="error"') && e.classList.contains('u-off')));
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  assert.equal(await pixelsOf(page, '.metric-chart canvas', colour, 30), 0, 'the hidden series is not drawn');
  // The keyboard toggles it back.
  await toggle.focus();
  await page.keyboard.press('Enter');
  await waitFor('the error series drawn again', async () => (await pixelsOf(page, '.metric-chart canvas', colour, 30)) > 20);
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');

  // The table: one row per series with its last value, as the server answered.
  await page.getByRole('button', { name: 'Table' }).click();
  await page.waitForSelector('table.metric-table');
  const rows = await page.$$eval('table.metric-table tbody tr', (trs) => trs.map((tr) => [tr.querySelector('.series')!.textContent, tr.querySelector('.value')!.textContent]));
  const expected = body.data.result.map((r) => [`{level="${r.metric.level}"}`, r.values[r.values.length - 1]![1]]);
  assert.deepEqual(rows.sort(), expected.sort());
  // And the server's last values are the lines pushed in the last five minutes before the last step.
  for (const r of body.data.result) {
    const lastT = r.values[r.values.length - 1]![0] * 1000;
    const n = LABELLED[r.metric.level!]!;
    const times = Array.from({ length: n }, (_, i) => T0 - 90_000 - i * 150_000);
    assert.equal(Number(r.values[r.values.length - 1]![1]), times.filter((ms) => ms > lastT - 300e3 && ms <= lastT).length, `last value of ${r.metric.level}`);
  }

  // Dragging across the chart zooms the range as on the histogram: the x axis spans the last hour.
  await page.getByRole('button', { name: 'Chart' }).click();
  const plot = (await page.locator('.metric-chart .u-over').boundingBox())!;
  await page.mouse.move(plot.x + plot.width * 0.5, plot.y + 20);
  await page.mouse.down();
  await page.mouse.move(plot.x + plot.width * 0.9, plot.y + 20, { steps: 6 });
  await page.mouse.up();
  await page.waitForURL((u) => /^\d{4}-/.test(u.searchParams.get('from') ?? ''));
  const zoomed = new URL(page.url());
  assert.ok(Math.abs(Date.parse(zoomed.searchParams.get('from')!) - (T0 - 30 * 60e3)) < 120e3, `from ${zoomed.searchParams.get('from')} is about now-30m`);
  assert.ok(Math.abs(Date.parse(zoomed.searchParams.get('to')!) - (T0 - 6 * 60e3)) < 120e3, `to ${zoomed.searchParams.get('to')} is about now-6m`);
  assert.equal(zoomed.searchParams.get('query'), query);
  p.assertClean();
  await p.close();
});

test('a bad query shows the server\'s error in plain words and no stale results', async (t) => {
  ui ??= await launchBrowser(t);
  if (!ui) return;
  const p = await openUi(ui, s.url, explore('{job="charts"}'), { allowConsole: [/status of 400/] });
  const { page } = p;
  await page.waitForSelector('.volume');
  // The state changes to a broken query inside the page (as the query bar or Back would change it):
  // the old histogram and lines go away and the error appears.
  await page.evaluate((url) => {
    history.pushState(null, '', url);
    dispatchEvent(new PopStateEvent('popstate'));
  }, explore('{job="charts"'));
  await page.getByText(/The query is not valid LogQL/).waitFor();
  assert.match((await page.getByText(/The query is not valid LogQL/).textContent()) ?? '', /line 1, col \d+/);
  assert.equal(await page.locator('.volume').count(), 0);
  assert.equal(await page.locator('.log-row').count(), 0);
  // Back to the good query: its results return and the error goes.
  await page.goBack();
  await page.waitForSelector('.volume');
  assert.equal(await page.getByText(/The query is not valid LogQL/).count(), 0);
  p.assertClean();
  await p.close();
});

test('auto-refresh runs the query again on its own, and not while the tab is hidden', async (t) => {
  ui ??= await launchBrowser(t);
  if (!ui) return;
  const line = (text: string) => push([{ stream: { job: 'refresh' }, values: [[ns(Date.now() - 1000), text]] }]);
  await line('level=info first');
  const p = await openUi(ui, s.url, explore('{job="refresh"}', '&refresh=1s'));
  const { page } = p;
  const runs: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/loki/api/v1/query_range') && new URL(r.url()).searchParams.get('query') === '{job="refresh"}') runs.push(r.url());
  });
  await page.waitForFunction(() => document.querySelector('.volume-total')?.textContent === '1 line');
  // A line pushed after the page opened shows up without anyone running the query.
  await line('level=info second');
  await page.waitForFunction(() => document.querySelector('.volume-total')?.textContent === '2 lines', undefined, { timeout: 10_000 });

  // Hidden: no run for a few intervals. Hide just after a refresh's last answer (its histogram's total),
  // when the next run is most of an interval away, so no run is under way.
  await page.waitForResponse((r) => r.url().includes('/loki/api/v1/query?'));
  await setHidden(page, true);
  const before = runs.length;
  await line('level=info third');
  await page.waitForTimeout(3500); // an observation window of three intervals, not a synchronisation
  assert.ok(runs.length - before <= 1, `${runs.length - before} runs while hidden`);
  assert.notEqual(await volumeTotal(page), '3 lines');
  // Visible again: the missed refresh comes at once.
  await setHidden(page, false);
  await page.waitForFunction(() => document.querySelector('.volume-total')?.textContent === '3 lines', undefined, { timeout: 5_000 });
  p.assertClean();
  await p.close();
});

test('beyond 100 series the chart draws the first 100 and says so; the table lists them all', async (t) => {
  ui ??= await launchBrowser(t);
  if (!ui) return;
  const at = ns(T0 - 120_000);
  await push(Array.from({ length: 120 }, (_, i) => ({ stream: { job: 'many', shard: String(i).padStart(3, '0') }, values: [[at, `line ${i}`]] })));
  const p = await openUi(ui, s.url, explore('sum by (shard) (count_over_time({job="many"}[5m]))'));
  const { page } = p;
  await page.getByText('Showing the first 100 of 120 series').waitFor();
  assert.equal(await page.locator('.metric-chart .u-legend .u-series:not(:first-child)').count(), 100);
  await page.getByRole('button', { name: 'Table' }).click();
  await page.waitForSelector('table.metric-table');
  assert.equal(await page.locator('table.metric-table tbody tr').count(), 120);
  p.assertClean();
  await p.close();
});
