/**
 * The code `bench/ui.bench.ts` runs inside the page (passed to playwright's addInitScript and
 * evaluate, which send its source text). It is type-checked with Node's types, not the DOM's, so the
 * few browser globals it uses are declared here, in this module only.
 */

interface El {
  textContent: string | null;
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
  parentElement: El | null;
  getBoundingClientRect(): { top: number; bottom: number; height: number };
}
interface PerfEntry {
  name: string;
  entryType: string;
  startTime: number;
  duration: number;
  initiatorType?: string;
  requestStart?: number;
  responseStart?: number;
  responseEnd?: number;
  encodedBodySize?: number;
}
declare const document: { querySelector(s: string): El | null; querySelectorAll(s: string): ArrayLike<El>; scrollingElement: El | null };
declare const window: { __bench: Probe };
declare function requestAnimationFrame(cb: (t: number) => void): number;
declare function getComputedStyle(e: El): { overflowY: string };
declare const PerformanceObserver: new (cb: (list: { getEntries(): PerfEntry[] }) => void) => { observe(o: { type: string; buffered?: boolean }): void };
declare const performance: { now(): number; getEntriesByType(t: string): PerfEntry[]; getEntriesByName(n: string): PerfEntry[] };

/**
 * A moment the bench waits for: every condition holds — an element matches `selector` (and its text
 * matches `text` if given), or with `absent`, none does.
 */
export interface Watch {
  name: string;
  all: Array<{ selector: string; text?: string; absent?: boolean }>;
}

export interface Mark {
  /** performance.now() (ms since navigation start) in the first animation frame where the DOM held it. */
  seen: number;
  /** performance.now() in the frame after: the frame that showed it has been produced. */
  painted?: number;
}

export interface Probe {
  longtasks: Array<{ start: number; duration: number }>;
  /** Gaps between consecutive animation frames over 34 ms (two frames missed at 60 Hz). */
  gaps: Array<{ at: number; gap: number }>;
  frames: number;
  marks: Record<string, Mark>;
  /** [Date.now(), largest `seq=<n>` in a rendered line] every 100 ms, for the live tail. */
  seqSamples: Array<[number, number]>;
}

/**
 * Installed before any script of the page: records long tasks, gaps between animation frames and the
 * first frame each watched moment is in the DOM. It does only that, so it costs the page little.
 */
export function installProbe(watches: Watch[]): void {
  const b: Probe = { longtasks: [], gaps: [], frames: 0, marks: {}, seqSamples: [] };
  window.__bench = b;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const compiled = watches.map((w) => ({ name: w.name, all: w.all.map((c) => ({ selector: c.selector, absent: c.absent === true, re: c.text === undefined ? undefined : new RegExp(c.text) })) }));
  const found = (c: { selector: string; re: RegExp | undefined }) => {
    const els = document.querySelectorAll(c.selector);
    if (!c.re) return els.length > 0;
    for (let i = 0; i < els.length; i++) if (c.re.test(els[i]!.textContent ?? '')) return true;
    return false;
  };
  const holds = (c: { selector: string; re: RegExp | undefined; absent: boolean }) => found(c) !== c.absent;
  let last = 0;
  const frame = () => {
    const now = performance.now();
    if (last && now - last > 34) b.gaps.push({ at: last, gap: now - last });
    last = now;
    b.frames++;
    for (const m of Object.values(b.marks)) if (m.painted === undefined) m.painted = now;
    for (const w of compiled) if (!b.marks[w.name] && w.all.every(holds)) b.marks[w.name] = { seen: now };
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

/** Long tasks and frame gaps since `from` (performance.now()), and frames drawn. */
export function windowStats(args: { from: number; frames0: number }) {
  const b = window.__bench;
  const lt = b.longtasks.filter((l) => l.start >= args.from);
  const gaps = b.gaps.filter((g) => g.at >= args.from);
  const ms = performance.now() - args.from;
  return {
    ms,
    frames: b.frames - args.frames0,
    longTasks: lt.length,
    longTaskMaxMs: lt.reduce((m, l) => Math.max(m, l.duration), 0),
    longTaskTotalMs: lt.reduce((s, l) => s + l.duration, 0),
    longTasksOver100: lt.filter((l) => l.duration > 100).length,
    frameGapMaxMs: gaps.reduce((m, g) => Math.max(m, g.gap), 0),
    frameGapsOver200: gaps.filter((g) => g.gap > 200).length,
  };
}

export function windowStart() {
  return { from: performance.now(), frames0: window.__bench.frames };
}

/** What the Explore page loaded to show its answer: navigation, first paint and each request's timing. */
export function loadTimings() {
  const nav = performance.getEntriesByType('navigation')[0] as PerfEntry & { domContentLoadedEventEnd: number; loadEventEnd: number };
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {
    marks: window.__bench.marks,
    fcp: fcp?.startTime,
    html: nav.responseEnd,
    domContentLoaded: nav.domContentLoadedEventEnd,
    resources: performance.getEntriesByType('resource').map((r) => ({
      name: r.name,
      type: r.initiatorType ?? '',
      start: r.startTime,
      requestStart: r.requestStart ?? 0,
      responseStart: r.responseStart ?? 0,
      end: r.responseEnd ?? 0,
      encodedBytes: r.encodedBodySize ?? 0,
    })),
  };
}

/**
 * Scrolls the log list from top to bottom, `step` pixels (0: the list's visible height) each animation
 * frame — a page per frame is faster than any fling — and reports what it saw: frames whose viewport showed no line at all, the
 * number of distinct lines drawn on the way, how far it got.
 */
export function scrollThrough(args: { rowSelector: string; step: number; maxFrames: number }): Promise<{ frames: number; ms: number; blankFrames: number; scrolledPx: number; scrollHeight: number; reachedEnd: boolean; clientHeight: number }> {
  const first = document.querySelector(args.rowSelector);
  let box: El | null = first;
  while (box && !(box.scrollHeight > box.clientHeight + 1 && /auto|scroll/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
  const scroller = box ?? document.scrollingElement!;
  const step = args.step || scroller.clientHeight;
  scroller.scrollTop = 0;
  const t0 = performance.now();
  return new Promise((resolve) => {
    let frames = 0;
    let blank = 0;
    let stuck = 0;
    const tick = () => {
      frames++;
      // A frame is blank when no rendered line overlaps the scroller's visible box.
      const view = scroller === document.scrollingElement ? { top: 0, bottom: scroller.clientHeight } : scroller.getBoundingClientRect();
      const rows = document.querySelectorAll(args.rowSelector);
      let visible = false;
      for (let i = 0; i < rows.length && !visible; i++) {
        const r = rows[i]!.getBoundingClientRect();
        visible = r.bottom > view.top && r.top < view.bottom && r.height > 0;
      }
      if (!visible) blank++;
      const before = scroller.scrollTop;
      const end = before + scroller.clientHeight >= scroller.scrollHeight - 1;
      if (end || frames >= args.maxFrames || stuck > 30) {
        resolve({ frames, ms: performance.now() - t0, blankFrames: blank, scrolledPx: before, scrollHeight: scroller.scrollHeight, reachedEnd: end, clientHeight: scroller.clientHeight });
        return;
      }
      scroller.scrollTop = before + step;
      stuck = scroller.scrollTop === before ? stuck + 1 : 0;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

/** Every 100 ms: the largest `seq=<n>` among the rendered lines (the newest line the user can see). */
export function sampleSeqs(args: { rowSelector: string }): void {
  const b = window.__bench;
  const re = /\bseq=(\d+)\b/;
  const sample = () => {
    const rows = document.querySelectorAll(args.rowSelector);
    let max = -1;
    for (let i = 0; i < rows.length; i++) {
      const m = re.exec(rows[i]!.textContent ?? '');
      if (m) max = Math.max(max, Number(m[1]));
    }
    b.seqSamples.push([Date.now(), max]);
  };
  // A timer, not every frame: the scan itself must not be what slows the page.
  (globalThis as unknown as { setInterval(f: () => void, ms: number): number }).setInterval(sample, 100);
}

/** The number in the first element matching `selector` ("12,000 lines (more in range)" → 12000), or -1. */
export function numberIn(selector: string): number {
  const m = /[\d,]+/.exec(document.querySelector(selector)?.textContent ?? '');
  return m ? Number(m[0].replace(/,/g, '')) : -1;
}
