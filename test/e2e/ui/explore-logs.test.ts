/**
 * Explore's log lines in real Chromium against the real server, with lines pushed through the push
 * API: a deep link shows them in order with their level; the UTC toggle; expanding a line shows its
 * labels, structured metadata and parsed fields; "Filter for / out" edits the query in the URL and
 * the list follows; Context shows the neighbours in the same stream; "Load more" pages back through
 * lines that share timestamps without losing or repeating one; downloads hold the loaded lines; and
 * 100,000 lines keep only a few hundred rows in the page.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, removeDir, type RunningServer } from '../helpers/server.js';
import { launchBrowser, openUi, type UiBrowser } from '../../helpers/browser.js';

// The functions passed to page.evaluate run in the browser; this file is type checked without the DOM lib.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const getComputedStyle: any;

let ui: UiBrowser | undefined;
before(async (t) => {
  ui = await launchBrowser(t as unknown as Parameters<typeof launchBrowser>[0]);
});
after(async () => ui?.close());

type Value = [string, string] | [string, string, Record<string, string>];

async function push(s: RunningServer, streams: Array<{ stream: Record<string, string>; values: Value[] }>) {
  const res = await fetch(s.url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ streams }) });
  assert.equal(res.status, 204, await res.text());
}

const ns = (ms: number, extra = 0) => (BigInt(Math.round(ms)) * 1_000_000n + BigInt(extra)).toString();
const utcText = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
const explore = (query: string, extra = '') => `/explore?query=${encodeURIComponent(query)}&from=now-1h&to=now${extra}`;

/** Expands a row unless it is already open (a list keeps lines open across runs of the query). */
async function expand(row: import('playwright-core').Locator) {
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.log-row-main').click();
  await row.locator('.log-detail').waitFor();
}

async function lines(page: import('playwright-core').Page): Promise<string[]> {
  return page.$$eval('.log-row .log-line', (els) => els.map((e) => e.textContent ?? ''));
}

test('a deep link shows the lines in order with levels; UTC; expanding shows labels, metadata and fields; filters edit the query', async (t) => {
  if (!ui) return t.skip('no chromium');
  const s = await startServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const base = Date.now() - 10 * 60_000;
  const web: Value[] = [
    [ns(base), 'level=info msg="order placed" order=o-7 user=u-42'],
    [ns(base + 1000), '{"level":"error","msg":"payment failed","user":{"id":"u-42"},"amount":12.5}', { trace_id: 'abc123' }],
    [ns(base + 2000), '{"level":"info","msg":"payment ok","user":{"id":"u-7"}}'],
    [ns(base + 3000), 'WARN: disk almost full'],
    [ns(base + 4000), '{"level":"debug","msg":"cache hit","user":{"id":"u-42"}}'],
  ];
  await push(s, [
    { stream: { job: 'shop', app: 'web' }, values: web },
    { stream: { job: 'shop', app: 'db' }, values: [[ns(base + 500), 'level=info msg="db ready"']] },
  ]);
  // Local time is India's (UTC+05:30, no daylight saving), so local and UTC differ by a known amount.
  const p = await openUi(ui, s.url, explore('{job="shop"}'), { timezoneId: 'Asia/Kolkata' });
  t.after(() => p.close());
  const { page } = p;
  await page.waitForSelector('.log-row');
  // Newest first by default.
  assert.deepEqual(await lines(page), [web[4]![1], web[3]![1], web[2]![1], web[1]![1], 'level=info msg="db ready"', web[0]![1]]);
  assert.match(await page.textContent('.log-count') ?? '', /^6 lines/);

  const failed = page.locator('.log-row', { hasText: 'payment failed' });
  assert.equal(await failed.getAttribute('data-level'), 'error');
  assert.match(await failed.getAttribute('class') ?? '', /\blevel-error\b/);
  assert.equal(await page.locator('.log-row', { hasText: 'disk almost full' }).getAttribute('data-level'), 'warn');
  // The level colour bar is the level's theme colour.
  const [bar, errorColour] = await failed.evaluate((el) => [getComputedStyle(el).borderLeftColor, getComputedStyle(document.documentElement).getPropertyValue('--error').trim()]);
  assert.equal(bar, 'rgb(242, 73, 92)');
  assert.equal(errorColour, '#f2495c');

  // Local time, then UTC after the toggle (kept in the URL).
  assert.equal(await failed.locator('.log-ts').textContent(), utcText(base + 1000 + 5.5 * 3600_000));
  await page.getByRole('button', { name: 'UTC' }).click();
  await page.waitForURL(/utc=true/);
  assert.equal(await failed.locator('.log-ts').textContent(), utcText(base + 1000));
  assert.equal(await page.getByRole('button', { name: 'UTC' }).getAttribute('aria-pressed'), 'true');

  // Keyboard: focus a row, move down with the arrow, Enter expands it.
  await page.locator('.log-row').first().focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-index')), '1');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('.log-row[data-index="1"]').getAttribute('aria-expanded'), 'true');
  await page.locator('.log-row[data-index="1"] .log-detail').waitFor();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('.log-detail').count(), 0);

  // Expanding with a click: stream labels, structured metadata, fields the json parser would extract.
  await expand(failed);
  const detail = failed.locator('.log-detail');
  const table = async (name: string) =>
    detail.getByRole('region', { name }).locator('tr').evaluateAll((trs) => Object.fromEntries(trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('.log-field-value')!.textContent])));
  const labels = await table('Stream labels');
  assert.equal(labels.job, 'shop');
  assert.equal(labels.app, 'web');
  const meta = await table('Structured metadata');
  assert.equal(meta.trace_id, 'abc123');
  assert.deepEqual(await table('Fields (json)'), { level: 'error', msg: 'payment failed', user_id: 'u-42', amount: '12.5' });

  // Filter for a parsed field: the query in the URL gains `| json | user_id="u-42"`, the list follows.
  await detail.getByRole('button', { name: 'Filter for user_id=u-42' }).click();
  await page.waitForURL((u) => u.searchParams.get('query') === '{job="shop"} | json | user_id="u-42"');
  await page.waitForFunction(() => document.querySelectorAll('.log-row').length === 2);
  assert.deepEqual(await lines(page), [web[4]![1], web[1]![1]]);

  // Filter out a stream label and a metadata value.
  const cacheHit = page.locator('.log-row', { hasText: 'cache hit' });
  await expand(cacheHit);
  await cacheHit.getByRole('button', { name: 'Filter out app=web' }).click();
  await page.waitForURL((u) => u.searchParams.get('query') === '{job="shop", app!="web"} | json | user_id="u-42"');
  await page.waitForSelector('.empty:has-text("No log lines")');
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('.log-row').length === 2);
  await expand(failed);
  await failed.getByRole('button', { name: 'Filter out trace_id=abc123' }).click();
  await page.waitForURL((u) => u.searchParams.get('query') === '{job="shop"} | json | user_id="u-42" | trace_id!="abc123"');
  await page.waitForFunction(() => document.querySelectorAll('.log-row').length === 1);
  assert.deepEqual(await lines(page), [web[4]![1]]);
  p.assertClean();
});

test('Context shows the neighbours in the same stream; Load more pages back without losing or repeating lines; downloads hold the loaded lines', async (t) => {
  if (!ui) return t.skip('no chromium');
  const s = await startServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const base = Date.now() - 20 * 60_000;
  // Two interleaved streams; context must stay in the line's own stream.
  const ctxA: Value[] = Array.from({ length: 30 }, (_, i) => [ns(base + i * 1000), `a line ${i}`]);
  const ctxB: Value[] = Array.from({ length: 30 }, (_, i) => [ns(base + i * 1000 + 500), `b line ${i}`]);
  // Pages: 3 lines share each timestamp (in two streams), so page edges fall inside groups.
  const pagesA: Value[] = [];
  const pagesB: Value[] = [];
  for (let i = 0; i < 25; i++) {
    const ts = ns(base + 60_000 + i * 1000, 123);
    pagesA.push([ts, `p ${i} first, "quoted"`], [ts, `p ${i} second`]);
    pagesB.push([ts, `p ${i} other stream`]);
  }
  await push(s, [
    { stream: { job: 'ctx', side: 'a' }, values: ctxA },
    { stream: { job: 'ctx', side: 'b' }, values: ctxB },
    { stream: { job: 'pages', s: 'a' }, values: pagesA },
    { stream: { job: 'pages', s: 'b' }, values: pagesB },
  ]);

  const p = await openUi(ui, s.url, explore('{job="ctx"}'));
  t.after(() => p.close());
  const { page } = p;
  const row = page.locator('.log-row').filter({ has: page.locator('.log-row-main .log-line', { hasText: /^a line 15$/ }) });
  await row.waitFor();
  await expand(row);
  await row.getByRole('button', { name: 'Context' }).click();
  const ctx = row.getByRole('region', { name: 'Context' });
  await ctx.locator('.log-context-self').waitFor();
  await ctx.locator('.log-context-line').nth(20).waitFor();
  const ctxLines = await ctx.locator('.log-context-line .log-line').allTextContents();
  assert.deepEqual(ctxLines, Array.from({ length: 21 }, (_, k) => `a line ${5 + k}`));
  assert.equal(await ctx.locator('.log-context-self .log-line').textContent(), 'a line 15');
  await p.close();

  // Load more: 10 lines a page, oldest first and newest first.
  for (const order of ['backward', 'forward'] as const) {
    const q = await openUi(ui, s.url, explore('{job="pages"}', `&limit=10${order === 'forward' ? '&order=forward' : ''}`));
    const pg = q.page;
    await pg.waitForSelector('.log-row');
    assert.match(await pg.textContent('.log-count') ?? '', /^10 lines \(more in range\)/);
    const more = pg.getByRole('button', { name: 'Load more' });
    for (let k = 0; k < 20 && (await more.isEnabled()); k++) {
      const before = await pg.textContent('.log-count');
      await more.click();
      await pg.waitForFunction((b) => document.querySelector('.log-count')?.textContent !== b || document.querySelector('.log-load-more')?.disabled, before);
      await pg.waitForFunction(() => document.querySelector('.log-load-more')?.textContent === 'Load more');
    }
    assert.match(await pg.textContent('.log-count') ?? '', /^75 lines$/);
    // Every line exactly once: read them through the JSON lines download (the list shows only what fits).
    const [dl] = await Promise.all([pg.waitForEvent('download'), pg.getByRole('button', { name: 'Download JSON lines' }).click()]);
    assert.match(dl.suggestedFilename(), /^logwharf-\d{8}T\d{6}Z\.jsonl$/);
    const objs = readFileSync((await dl.path())!, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { timestamp: string; labels: Record<string, string>; line: string });
    const expected = [...pagesA, ...pagesB].map((v) => v[1]).sort();
    assert.deepEqual(objs.map((o) => o.line).sort(), expected, `${order}: all lines once`);
    // Oldest first in the file, with RFC 3339 nanosecond times and the stream labels.
    assert.equal(objs[0]!.timestamp, new Date(base + 60_000).toISOString().replace(/Z$/, '000123Z'));
    assert.equal(objs[0]!.labels.job, 'pages');
    const [csv] = await Promise.all([pg.waitForEvent('download'), pg.getByRole('button', { name: 'Download CSV' }).click()]);
    assert.match(csv.suggestedFilename(), /^logwharf-\d{8}T\d{6}Z\.csv$/);
    const text = readFileSync((await csv.path())!, 'utf8');
    assert.equal(text.split('\r\n')[0], 'timestamp,labels,line');
    assert.equal(text.trimEnd().split('\r\n').length, 76);
    assert.ok(text.includes(`"p 0 first, ""quoted"""`), 'quotes and commas are CSV-quoted');
    q.assertClean();
    await q.close();
  }
});

test('100,000 lines: the list keeps only a few hundred rows in the page and scrolls to the oldest line', async (t) => {
  if (!ui) return t.skip('no chromium');
  const mb = 1000;
  const s = await startServer({ limits: { ingestion_rate_mb: mb, ingestion_burst_size_mb: mb, per_stream_rate_limit_mb: mb, per_stream_rate_limit_burst_mb: mb } });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const total = 100_000;
  const base = Date.now() - 30 * 60_000;
  for (let off = 0; off < total; off += 10_000) {
    const values: Value[] = [];
    for (let i = off; i < off + 10_000; i++) values.push([ns(base + i * 10), `line ${String(i).padStart(6, '0')} ${i % 7 === 0 ? 'a longer line that wraps on narrow screens '.repeat(4) : 'short'}`]);
    await push(s, [{ stream: { job: 'big' }, values }]);
  }
  const p = await openUi(ui, s.url, explore('{job="big"}', '&limit=5000'));
  t.after(() => p.close());
  const { page } = p;
  await page.waitForSelector('.log-row');
  const more = page.getByRole('button', { name: 'Load more' });
  // Each page asks again for the boundary line's timestamp (dropped as already shown), so 5,000 a page adds 4,999.
  for (let k = 0; k < 25 && !(await page.textContent('.log-count'))?.startsWith('100,000 lines'); k++) {
    const before = await page.textContent('.log-count');
    await more.click();
    await page.waitForFunction((b) => document.querySelector('.log-count')?.textContent !== b, before, { timeout: 60_000 });
  }
  assert.match(await page.textContent('.log-count') ?? '', /^100,000 lines/);
  const rowCount = () => page.locator('.log-row').count();
  assert.ok((await rowCount()) < 300, `rows in the DOM: ${await rowCount()}`);
  assert.equal((await lines(page))[0], `line 099999 short`);
  // Scroll to the end (wrapped rows of varied heights): the oldest line is reached and shown.
  await page.evaluate(() => {
    const el = document.querySelector('.log-list')!;
    el.scrollTop = el.scrollHeight;
  });
  await page.waitForFunction(() => {
    const el = document.querySelector('.log-list')!;
    el.scrollTop = el.scrollHeight;
    return [...document.querySelectorAll('.log-row .log-line')].some((e) => e.textContent?.startsWith('line 000000 '));
  });
  assert.ok((await rowCount()) < 300);
  // The middle, by scroll position: rows around line 050000 show, and still few rows.
  await page.evaluate(() => {
    const el = document.querySelector('.log-list')!;
    el.scrollTop = el.scrollHeight / 2;
  });
  await page.waitForFunction(() => {
    const ls = [...document.querySelectorAll('.log-row .log-line')].map((e) => Number(e.textContent!.slice(5, 11)));
    return ls.length > 0 && ls.some((n) => n > 40_000 && n < 60_000);
  });
  assert.ok((await rowCount()) < 300);
  // A filter from a line down there runs another query: its answer is shown from the top.
  const mid = page.locator('.log-row').nth(20);
  await expand(mid);
  await mid.getByRole('button', { name: 'Filter for service_name=big' }).click();
  await page.waitForURL((u) => u.searchParams.get('query') === '{job="big", service_name="big"}');
  await page.waitForFunction(() => document.querySelector('.log-count')?.textContent?.startsWith('5,000 lines'));
  await page.waitForFunction(() => document.querySelector('.log-list').scrollTop === 0);
  assert.equal((await lines(page))[0], 'line 099999 short');
  p.assertClean();
});
