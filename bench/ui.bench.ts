/**
 * The web UI's performance in real headless Chromium (issue #10), against `logwharf server` from
 * dist/ with data pushed through the push API (protobuf + snappy, as Promtail sends it):
 *
 *   npm run build && node --import tsx bench/ui.bench.ts
 *   RUNS=5 ONLY=size,pages,explore,scroll,tail PROFILE=1 node --import tsx bench/ui.bench.ts
 *
 * 1. explore: `/explore?query={job="bench-ui",set="1k"}` over 1,000 lines pushed in the last 30
 *    minutes. Time from navigation start to the first animation frame after the one in which the DOM
 *    holds both parts of the answer — the first line of the finished answer with the list's count
 *    "1,000 lines", and the volume histogram's total "1,000 lines" — so that frame has been drawn.
 *    A fresh browser context per run (no HTTP cache: a first visit). Target: median ≤ 1 s.
 * 2. scroll: 100,000 lines (SCROLL_LINES) loaded into the list (`&limit=5000`, then "Load more"),
 *    then scrolled top to bottom one list height per animation frame. Target: no long task over 50 ms.
 * 3. tail: live tail open, TAIL_RATE lines/s (2,000) pushed for TAIL_SECONDS (10) in batches of 100
 *    every 50 ms from this process; in the page: frame gaps, long tasks, how long after its push a
 *    batch is on screen, and lines received over the WebSocket against lines pushed. Target ("without
 *    freezing"): no frame gap over 200 ms, no long task over 100 ms, the newest line keeps up.
 * 4. size: the JavaScript (and CSS) the first page loads, as dist/ui's .gz copies (the budget's
 *    measure) and as the bytes Chromium received (brotli). Budget: 300 KB of JS after gzip.
 * 5. pages: first contentful paint and the first frame with each page's part in the DOM and no busy
 *    region or "Loading…" message left.
 *
 * Long tasks come from a PerformanceObserver (wall time) and, for the scroll and the tail, from a
 * Chromium trace that also gives each task's CPU time on the main thread: on a shared machine a task
 * is long on the wall while its thread waits for a core. CDP's Performance metrics split each phase's
 * main-thread time into script, layout and style. PROFILE=1 also writes a CPU profile of each phase
 * to bench/out/ui-<phase>.cpuprofile (for DevTools) and prints its costliest functions.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page, WebSocket } from 'playwright-core';
import type { StreamPush } from '../src/api/model.js';
import { newUiPage, startChromium, type UiBrowser, type UiPage } from '../test/helpers/browser.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { corpusRows, ensureCorpus, median, OUT, percentile, pushStreams, REPO, startLogwharf } from './harness.js';
import { installProbe, loadTimings, numberIn, sampleSeqs, scrollThrough, windowStart, windowStats, type Probe, type Watch } from './ui-page.js';

const RUNS = Number(process.env.RUNS ?? 5);
const SCROLL_LINES = Number(process.env.SCROLL_LINES ?? 100_000);
const TAIL_RATE = Number(process.env.TAIL_RATE ?? 2000);
const TAIL_SECONDS = Number(process.env.TAIL_SECONDS ?? 10);
const TAIL_BATCH = 100;
const ONLY = new Set((process.env.ONLY ?? 'size,pages,explore,scroll,tail').split(','));
const PROFILE = process.env.PROFILE === '1';
const CORPUS_LINES = 200_000;
const TIMEOUT_MS = 60_000;

/** What the bench looks for in the UI (the log list's and results' stable class names). */
const SEL = {
  row: '.log-row',
  /** A line of a finished answer (not one still on screen from a previous run). */
  answerRow: '.results:not([aria-busy="true"]) .log-row',
  /** The log list's count: "1,000 lines". */
  count: '.log-count',
  /** The volume histogram's total: "1,000 lines". */
  volumeTotal: '.volume-total',
  loadMore: /^load more$/i,
};
/** A page has rendered once its own part is in the DOM and no busy region or loading message is left. */
const SETTLED: Watch['all'] = [
  { selector: '.page [aria-busy="true"]', absent: true },
  { selector: '.page .empty, .page [role="status"], .page .loading', text: '^(Loading|Running|Counting|Connecting)', absent: true },
];
const PAGES: Array<{ path: string; ready: Watch['all'] }> = [
  { path: '/explore', ready: [{ selector: '.explore' }, ...SETTLED] },
  { path: '/overview', ready: [{ selector: '.page > *' }, ...SETTLED] },
  { path: '/sources', ready: [{ selector: '.page > *' }, ...SETTLED] },
  { path: '/alerts', ready: [{ selector: '.page > *' }, ...SETTLED] },
];

const Q_1K = '{job="bench-ui", set="1k"}';
const Q_SCROLL = '{job="bench-ui", set="scroll"}';
const Q_TAIL = '{job="bench-ui", set="tail"}';

type Row = { container: string; line: string };
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const log = (s: string) => console.error(s);

/** Pushes rows as live data spread over [endMs - spanMs, endMs], grouped by container like Promtail, 2,000 lines a request. */
async function pushSet(url: string, set: string, rows: Row[], endMs: number, spanMs: number): Promise<void> {
  const stepNs = (BigInt(spanMs) * 1_000_000n) / BigInt(Math.max(1, rows.length));
  const t0 = BigInt(endMs - spanMs) * 1_000_000n;
  for (let i = 0; i < rows.length; i += 2000) {
    const batch = new Map<string, StreamPush>();
    rows.slice(i, i + 2000).forEach((r, k) => {
      let s = batch.get(r.container);
      if (!s) batch.set(r.container, (s = { labels: { job: 'bench-ui', set, container: r.container }, entries: [] }));
      s.entries.push({ ts: t0 + BigInt(i + k) * stepNs, line: r.line });
    });
    await pushStreams(url, [...batch.values()]);
  }
}

/** CDP's main-thread time split (seconds), to say where a phase's time went. */
async function cdpMetrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  const keep = ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration', 'JSHeapUsedSize', 'Nodes', 'LayoutCount'];
  return Object.fromEntries(metrics.filter((m) => keep.includes(m.name)).map((m) => [m.name, m.value]));
}

function metricDelta(a: Record<string, number>, b: Record<string, number>) {
  const ms = (k: string) => round(((b[k] ?? 0) - (a[k] ?? 0)) * 1000);
  return { taskMs: ms('TaskDuration'), scriptMs: ms('ScriptDuration'), layoutMs: ms('LayoutDuration'), styleMs: ms('RecalcStyleDuration'), layouts: (b.LayoutCount ?? 0) - (a.LayoutCount ?? 0), domNodes: b.Nodes, heapMb: round((b.JSHeapUsedSize ?? 0) / 2 ** 20, 1) };
}

/** A recorded page with the probe installed and CDP attached; not yet navigated. */
async function probePage(ui: UiBrowser, watches: Watch[]): Promise<UiPage & { cdp: CDPSession }> {
  const p = await newUiPage(ui);
  await p.page.addInitScript(installProbe, watches);
  const cdp = await p.context.newCDPSession(p.page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  return { ...p, cdp };
}

/** Runs `fn` under the CDP profiler when PROFILE=1 and writes bench/out/ui-<name>.cpuprofile. */
async function profiled<T>(cdp: CDPSession, name: string, fn: () => Promise<T>): Promise<T> {
  if (!PROFILE) return fn();
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, `ui-${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    log(`  profile: ${file}; top self time: ${topSelf(profile).join('; ')}`);
  }
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** The functions with the most self time in a CPU profile, "name (file:line:col) ms" (names and positions of the minified bundle in dist/ui). */
function topSelf(p: CpuProfile, n = 8): string[] {
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') return;
    const key = `${f.functionName || '(anonymous)'} (${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}:${f.columnNumber + 1})`;
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => `${k} ${round(ms)} ms`);
}

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/**
 * Runs `fn` under a Chromium trace of top-level tasks and reports the renderer main thread's tasks
 * over 50 ms by wall time and by the thread's own CPU time: on a shared machine a task can last long
 * on the wall while its thread waited for a core, which is the machine's doing, not the page's.
 */
async function tracedTasks<T>(ui: UiBrowser, fn: () => Promise<T>): Promise<{ value: T; tasks: { over50Wall: number; over50Cpu: number; maxWallMs: number; maxCpuMs: number; worst: Array<[number, number, number]> } }> {
  await ui.browser.startTracing(undefined, { categories: ['toplevel', '__metadata'] });
  const outcome = await fn().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const buf = await ui.browser.stopTracing();
  if ('error' in outcome) throw outcome.error;
  const events = (JSON.parse(buf.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) {
    const k = `${e.pid}:${e.tid}`;
    if (e.ph !== 'X' || !mains.has(k) || !e.cat.includes('toplevel') || e.dur === undefined) continue;
    byThread.set(k, [...(byThread.get(k) ?? []), e]);
  }
  // The busiest renderer main thread is the page's; of nested tasks keep the outermost.
  const tasks = [...byThread.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  tasks.sort((a, b) => a.ts - b.ts);
  const top: TraceEvent[] = [];
  for (const e of tasks) if (!top.length || e.ts >= top.at(-1)!.ts + top.at(-1)!.dur!) top.push(e);
  const t0 = top[0]?.ts ?? 0;
  // [wall ms, CPU ms, ms into the phase] of each task over 50 ms on the wall.
  const long = top.filter((e) => e.dur! > 50_000).map((e): [number, number, number] => [round(e.dur! / 1000), round((e.tdur ?? e.dur!) / 1000), round((e.ts - t0) / 1000)]);
  return {
    value: outcome.value,
    tasks: {
      over50Wall: long.length,
      over50Cpu: long.filter(([, cpu]) => cpu > 50).length,
      maxWallMs: long.reduce((m, [w]) => Math.max(m, w), 0),
      // The costliest task by CPU, whether or not it was long on the wall.
      maxCpuMs: top.reduce((m, e) => Math.max(m, round((e.tdur ?? e.dur!) / 1000)), 0),
      worst: long.sort((a, b) => b[1] - a[1]).slice(0, 5),
    },
  };
}

async function waitMark(page: Page, name: string): Promise<boolean> {
  try {
    await page.waitForFunction((n) => (globalThis as unknown as { __bench: Probe }).__bench.marks[n]?.painted !== undefined, name, { timeout: TIMEOUT_MS, polling: 50 });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------

/** 4. The first page's JavaScript and CSS: dist/ui's .gz copies of what it loaded, and what Chromium received. */
async function measureSize(ui: UiBrowser, url: string) {
  const out: Record<string, unknown> = {};
  for (const { path, ready } of PAGES) {
    const p = await probePage(ui, [{ name: 'ready', all: ready }]);
    const loaded: string[] = [];
    p.page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/assets/')) loaded.push(u.pathname);
    });
    await p.page.goto(url + path, { waitUntil: 'networkidle' });
    const t = await p.page.evaluate(loadTimings);
    const bytes = (ext: string, kind: 'gz' | 'raw') =>
      loaded.filter((f) => f.endsWith(ext)).reduce((s, f) => s + statSync(join(REPO, 'dist/ui', f + (kind === 'gz' ? '.gz' : ''))).size, 0);
    const received = (ext: string) => t.resources.filter((r) => new URL(r.name).pathname.endsWith(ext)).reduce((s, r) => s + r.encodedBytes, 0);
    out[path] = {
      jsFiles: loaded.filter((f) => f.endsWith('.js')).length,
      jsGzipKb: round(bytes('.js', 'gz') / 1024, 1),
      jsRawKb: round(bytes('.js', 'raw') / 1024, 1),
      jsReceivedKb: round(received('.js') / 1024, 1),
      cssGzipKb: round(bytes('.css', 'gz') / 1024, 1),
    };
    p.assertClean();
    await p.close();
  }
  log(`size: ${JSON.stringify(out)}`);
  return out;
}

/** 5. Per page: first contentful paint and the first frame with the page's own content. */
async function measurePages(ui: UiBrowser, url: string) {
  const out: Record<string, unknown> = {};
  for (const { path, ready } of PAGES) {
    const fcp: number[] = [];
    const shown: number[] = [];
    const apis: number[] = [];
    let slowest = '';
    for (let i = 0; i < RUNS; i++) {
      const p = await probePage(ui, [{ name: 'ready', all: ready }]);
      await p.page.goto(url + path);
      if (await waitMark(p.page, 'ready')) {
        const t = await p.page.evaluate(loadTimings);
        fcp.push(t.fcp ?? NaN);
        shown.push(t.marks.ready!.painted!);
        // The page's API calls answered before it was ready, and the slowest of them.
        const calls = t.resources.filter((r) => r.type === 'fetch' && r.end <= t.marks.ready!.seen);
        apis.push(Math.max(0, ...calls.map((r) => r.end)));
        const worst = calls.sort((a, b) => b.end - b.start - (a.end - a.start))[0];
        if (worst) slowest = `${new URL(worst.name).pathname} ${round(worst.end - worst.start)} ms`;
      }
      p.assertClean();
      await p.close();
    }
    out[path] = { runs: shown.length, fcpMs: round(median(fcp)), lastApiResponseMs: round(median(apis)), contentMs: round(median(shown)), contentMaxMs: round(percentile(shown, 100)), slowestCallLastRun: slowest };
    log(`pages ${path}: ${JSON.stringify(out[path])}`);
  }
  return out;
}

/** Counts the lines in the page's answers to `query` (query_range responses of a log query), as they arrive. */
function countAnswers(page: Page, query: string): { lines: number; responses: number; next(): Promise<void> } {
  const c = { lines: 0, responses: 0, waiters: [] as Array<() => void>, next: () => new Promise<void>((r) => c.waiters.push(r)) };
  page.on('response', async (res) => {
    const u = new URL(res.url());
    if (u.pathname !== '/loki/api/v1/query_range' || u.searchParams.get('query') !== query) return;
    const body = (await res.json().catch(() => undefined)) as { data?: { resultType: string; result: Array<{ values?: unknown[] }> } } | undefined;
    if (body?.data?.resultType !== 'streams') return;
    c.lines += body.data.result.reduce((s, r) => s + (r.values?.length ?? 0), 0);
    c.responses++;
    c.waiters.splice(0).forEach((w) => w());
  });
  return c;
}

/**
 * 1. Explore with 1,000 result lines: from navigation start to the frame after the one in which both
 * parts of the answer are in the DOM — the first log line of the finished answer, and the volume
 * histogram's total reading "1,000 lines" — i.e. that frame has been drawn.
 */
async function measureExplore(ui: UiBrowser, url: string) {
  const runs: Array<Record<string, number | undefined>> = [];
  const watches: Watch[] = [
    { name: 'lines', all: [{ selector: SEL.answerRow }, { selector: SEL.count, text: '^1,?000 lines' }] },
    { name: 'volume', all: [{ selector: SEL.volumeTotal, text: '^1,?000 lines' }] },
  ];
  for (let i = 0; i < RUNS; i++) {
    const p = await probePage(ui, watches);
    const answers = countAnswers(p.page, Q_1K);
    const m0 = await cdpMetrics(p.cdp);
    const ok = await profiled(p.cdp, 'explore', async () => {
      await p.page.goto(url + '/explore?' + new URLSearchParams({ query: Q_1K }).toString());
      return (await waitMark(p.page, 'lines')) && (await waitMark(p.page, 'volume'));
    });
    const m1 = await cdpMetrics(p.cdp);
    const t = await p.page.evaluate(loadTimings);
    const st = await p.page.evaluate(windowStats, { from: 0, frames0: 0 });
    const api = (path: string) => t.resources.find((r) => new URL(r.name).pathname === path && new URL(r.name).searchParams.get('query') === Q_1K);
    const q = api('/loki/api/v1/query_range');
    const settings = t.resources.find((r) => new URL(r.name).pathname === '/api/v1/ui/settings');
    // The histogram's own queries: a metric query over the same selector.
    const vol = t.resources.filter((r) => /\/loki\/api\/v1\/query(_range)?$/.test(new URL(r.name).pathname) && new URL(r.name).searchParams.get('query') !== Q_1K && (new URL(r.name).searchParams.get('query') ?? '').includes('set="1k"'));
    const jsEnd = Math.max(...t.resources.filter((r) => r.name.endsWith('.js')).map((r) => r.end));
    const { lines, volume } = t.marks;
    const run = {
      painted: ok ? Math.max(lines!.painted!, volume!.painted!) : undefined,
      linesPainted: lines?.painted,
      volumePainted: volume?.painted,
      answerLines: answers.lines,
      fcp: t.fcp,
      html: t.html,
      jsLoaded: jsEnd,
      settingsResponse: settings?.end,
      queryStart: q?.start,
      queryResponse: q?.end,
      queryServerMs: q ? q.responseStart - q.requestStart : undefined,
      volumeStart: vol.length ? Math.min(...vol.map((r) => r.start)) : undefined,
      volumeResponse: vol.length ? Math.max(...vol.map((r) => r.end)) : undefined,
      longTasks: st.longTasks,
      longTaskMaxMs: st.longTaskMaxMs,
      ...metricDelta(m0, m1),
    };
    runs.push(Object.fromEntries(Object.entries(run).map(([k, v]) => [k, v === undefined ? undefined : round(v)])));
    log(`explore run ${i + 1}/${RUNS}: ${JSON.stringify(runs.at(-1))}`);
    if (ok && answers.lines !== 1000) throw new Error(`the answer had ${answers.lines} lines, not 1,000`);
    p.assertClean();
    await p.close();
  }
  const painted = runs.map((r) => r.painted).filter((x): x is number => x !== undefined);
  const med = (k: string) => round(median(runs.map((r) => r[k]).filter((x): x is number => x !== undefined)));
  return {
    runs: runs.length,
    rendered: painted.length,
    medianMs: painted.length ? round(median(painted)) : undefined,
    maxMs: painted.length ? round(percentile(painted, 100)) : undefined,
    targetMs: 1000,
    medianParts: { html: med('html'), jsLoaded: med('jsLoaded'), fcp: med('fcp'), settingsResponse: med('settingsResponse'), queryStart: med('queryStart'), queryResponse: med('queryResponse'), queryServerMs: med('queryServerMs'), linesPainted: med('linesPainted'), volumeStart: med('volumeStart'), volumeResponse: med('volumeResponse'), volumePainted: med('volumePainted'), scriptMs: med('scriptMs'), layoutMs: med('layoutMs'), styleMs: med('styleMs'), longTasks: med('longTasks'), longTaskMaxMs: med('longTaskMaxMs') },
  };
}

/**
 * 2. SCROLL_LINES lines loaded into the list — a first answer of `&limit=` lines (the page takes up
 * to 5,000), then "Load more" until the list's count says they are all there — then scrolled
 * through.
 */
async function measureScroll(ui: UiBrowser, url: string) {
  const p = await probePage(ui, [{ name: 'first', all: [{ selector: SEL.answerRow }] }]);
  const t0 = performance.now();
  let clicks = 0;
  const { value: loaded, tasks: loadTasks } = await tracedTasks(ui, () => profiled(p.cdp, 'load', async () => {
    await p.page.goto(url + '/explore?' + new URLSearchParams({ query: Q_SCROLL, limit: String(Math.min(5000, SCROLL_LINES)) }).toString());
    if (!(await waitMark(p.page, 'first'))) return false;
    const more = p.page.getByRole('button', { name: SEL.loadMore });
    for (let n = await p.page.evaluate(numberIn, SEL.count); n < SCROLL_LINES; ) {
      // The button reads "Loading…" while a page is on its way, and is disabled once the range is exhausted.
      await more.waitFor({ state: 'visible', timeout: TIMEOUT_MS });
      if (!(await more.isEnabled())) return false;
      await more.click();
      clicks++;
      const prev = n;
      n = await waitFor('the list to count the next page', async () => { const c = await p.page.evaluate(numberIn, SEL.count); return c > prev && c; }, { timeoutMs: TIMEOUT_MS, intervalMs: 50 });
    }
    return true;
  }));
  const linesLoaded = await p.page.evaluate(numberIn, SEL.count);
  const loadMs = round(performance.now() - t0);
  const load = await p.page.evaluate(windowStats, { from: 0, frames0: 0 });
  log(`scroll: ${loaded ? '' : 'NOT '}loaded ${linesLoaded} of ${SCROLL_LINES} lines in ${loadMs} ms (${clicks} "Load more"; long tasks while loading: ${load.longTasks}, max ${round(load.longTaskMaxMs)} ms; by CPU: ${JSON.stringify(loadTasks)})`);
  if (!loaded) {
    await p.close();
    return { loaded: false, linesLoaded, loadMs };
  }
  const m0 = await cdpMetrics(p.cdp);
  const w = await p.page.evaluate(windowStart);
  // The page's figures are read before the trace stops (stopping it takes a while).
  const { value, tasks } = await tracedTasks(ui, () =>
    profiled(p.cdp, 'scroll', async () => {
      const scroll = await p.page.evaluate(scrollThrough, { rowSelector: SEL.row, step: 0, maxFrames: 100_000 });
      return { scroll, st: await p.page.evaluate(windowStats, w), m1: await cdpMetrics(p.cdp) };
    }),
  );
  const { scroll, st, m1 } = value;
  p.assertClean();
  await p.close();
  const r = { loaded, linesLoaded, loadClicks: clicks, loadMs, loadLongTasks: load.longTasks, loadLongTaskMaxMs: round(load.longTaskMaxMs), loadTasks, ...scroll, ms: round(scroll.ms), fps: round((scroll.frames / scroll.ms) * 1000, 1), longTasksOver50: st.longTasks, longTaskMaxMs: round(st.longTaskMaxMs), frameGapMaxMs: round(st.frameGapMaxMs), target: 'no long task over 50 ms', tasks, ...metricDelta(m0, m1) };
  log(`scroll: ${JSON.stringify(r)}`);
  return r;
}

/** 3. Live tail at TAIL_RATE lines/s for TAIL_SECONDS. */
async function measureTail(ui: UiBrowser, url: string, rows: Row[]) {
  const p = await probePage(ui, []);
  let received = 0;
  let dropped = 0;
  p.page.on('websocket', (ws: WebSocket) => {
    if (!ws.url().includes('/tail')) return;
    ws.on('framereceived', (f) => {
      try {
        const j = JSON.parse(String(f.payload)) as { streams?: Array<{ values: unknown[] }>; dropped_entries?: unknown[] };
        for (const s of j.streams ?? []) received += s.values.length;
        dropped += j.dropped_entries?.length ?? 0;
      } catch {
        // not a tail frame
      }
    });
  });
  await p.page.goto(url + '/explore?' + new URLSearchParams({ query: Q_TAIL, live: 'true' }).toString());
  await p.page.evaluate(sampleSeqs, { rowSelector: SEL.row });
  // The tail is open once a line pushed now shows up.
  const pushTail = (seq0: number, n: number) =>
    pushStreams(url, [{ labels: { job: 'bench-ui', set: 'tail', container: 'tail-gen' }, entries: Array.from({ length: n }, (_, k) => ({ ts: BigInt(Date.now()) * 1_000_000n + BigInt(k), line: `${rows[(seq0 + k) % rows.length]!.line} seq=${seq0 + k}` })) }]);
  await pushTail(0, 1);
  try {
    await p.page.waitForFunction(() => (globalThis as unknown as { __bench: Probe }).__bench.seqSamples.some((s) => s[1] >= 0), null, { timeout: 15_000, polling: 100 });
  } catch {
    log('tail: the first pushed line never showed up in the live tail');
    await p.close();
    return { open: false };
  }
  const received0 = received;
  const m0 = await cdpMetrics(p.cdp);
  const w = await p.page.evaluate(windowStart);
  const batches = Math.round((TAIL_RATE * TAIL_SECONDS) / TAIL_BATCH);
  const interval = (1000 * TAIL_BATCH) / TAIL_RATE;
  const pushedAt: number[] = [];
  let late = 0;
  const { value: after, tasks } = await tracedTasks(ui, () => profiled(p.cdp, 'tail', async () => {
    const start = performance.now();
    const inflight: Promise<void>[] = [];
    for (let k = 0; k < batches; k++) {
      // On a fixed schedule from the start, so a slow push does not lower the rate.
      const wait = start + k * interval - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -interval) late++;
      pushedAt.push(Date.now());
      inflight.push(pushTail(1 + k * TAIL_BATCH, TAIL_BATCH));
    }
    await Promise.all(inflight);
    const last = batches * TAIL_BATCH;
    await p.page
      .waitForFunction((n) => (globalThis as unknown as { __bench: Probe }).__bench.seqSamples.some((s) => s[1] >= n), last, { timeout: 15_000, polling: 100 })
      .catch(() => log('tail: the last pushed line did not show up within 15 s'));
    return { st: await p.page.evaluate(windowStats, w), m1: await cdpMetrics(p.cdp) };
  }));
  const { st, m1 } = after;
  const samples = await p.page.evaluate(() => (globalThis as unknown as { __bench: Probe }).__bench.seqSamples);
  // Per batch: from its push to the first sample showing its newest line (or a newer one).
  const lags: number[] = [];
  pushedAt.forEach((t, k) => {
    const lastSeq = (k + 1) * TAIL_BATCH;
    const s = samples.find((x) => x[1] >= lastSeq && x[0] >= t);
    if (s) lags.push(s[0] - t);
  });
  // What the page itself says it received and dropped.
  const uiCounters = await p.page.locator('.tail-count, .tail-notice').allInnerTexts();
  p.assertClean();
  await p.close();
  const r = {
    pushed: batches * TAIL_BATCH,
    seconds: round((pushedAt.at(-1)! - pushedAt[0]!) / 1000 + interval / 1000, 1),
    latePushes: late,
    receivedOverWebSocket: received - received0,
    droppedByServer: dropped,
    batchesShown: lags.length,
    shownLagMedianMs: lags.length ? round(median(lags)) : undefined,
    shownLagP95Ms: lags.length ? round(percentile(lags, 95)) : undefined,
    shownLagMaxMs: lags.length ? round(percentile(lags, 100)) : undefined,
    fps: round((st.frames / st.ms) * 1000, 1),
    frameGapMaxMs: round(st.frameGapMaxMs),
    frameGapsOver200: st.frameGapsOver200,
    longTasks: st.longTasks,
    longTasksOver100: st.longTasksOver100,
    longTaskMaxMs: round(st.longTaskMaxMs),
    longTaskTotalMs: round(st.longTaskTotalMs),
    tasks,
    uiCounters,
    ...metricDelta(m0, m1),
  };
  log(`tail: ${JSON.stringify(r)}`);
  return r;
}

async function main(): Promise<void> {
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model, loadavgBefore: loadavg().map((x) => round(x, 2)) };
  ensureCorpus(CORPUS_LINES);
  const rows: Row[] = [];
  for await (const r of corpusRows(CORPUS_LINES)) rows.push({ container: r.container, line: r.line });

  const dir = mkdtempSync(join(tmpdir(), 'lw-ui-bench-'));
  const config = join(dir, 'logwharf.yaml');
  // Live data at the current time; the list must be allowed to ask for SCROLL_LINES lines at once.
  writeFileSync(
    config,
    ['limits:', '  ingestion_rate_mb: 100000', '  ingestion_burst_size_mb: 100000', '  per_stream_rate_limit_mb: 100000', '  per_stream_rate_limit_burst_mb: 100000', `  max_entries_limit_per_query: ${Math.max(5000, SCROLL_LINES)}`, ''].join('\n'),
  );
  const server = await startLogwharf('server', ['--data', join(dir, 'data'), '--config', config, '--log-level', 'warn']);
  const ui = await startChromium();
  const results: Record<string, unknown> = { machine: { ...machine, chromium: ui.browser.version() } };
  try {
    const now = Date.now();
    // Both sets whatever ONLY says, so every page is measured over the same data (Overview reads all of it).
    await pushSet(server.url, '1k', rows.slice(0, 1000), now - 1000, 30 * 60_000);
    await pushSet(server.url, 'scroll', rows.slice(1000, 1000 + SCROLL_LINES), now - 1000, 30 * 60_000);
    log(`pushed the data in ${round((Date.now() - now) / 1000, 1)} s`);
    if (ONLY.has('size')) results.size = await measureSize(ui, server.url);
    if (ONLY.has('pages')) results.pages = await measurePages(ui, server.url);
    if (ONLY.has('explore')) results.explore = await measureExplore(ui, server.url);
    if (ONLY.has('scroll')) results.scroll = await measureScroll(ui, server.url);
    if (ONLY.has('tail')) results.tail = await measureTail(ui, server.url, rows.slice(1000 + SCROLL_LINES));
  } finally {
    await ui.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  (results.machine as Record<string, unknown>).loadavgAfter = loadavg().map((x) => round(x, 2));
  console.log(JSON.stringify(results, null, 2));
}

await main();
