/**
 * The one log list of the UI (Explore's results, live tail): a hand-written virtualised list that
 * keeps only the rows in view (plus a few each side) in the DOM, so 100,000 lines scroll smoothly.
 * Rows without wrapping have one fixed height; wrapped and expanded rows are measured once rendered
 * and estimated from their length until then, and the scroll position is held on the row at the top
 * when a measurement moves the rows above it. Rows are focusable: Enter (or a click) expands a line,
 * the arrow keys move between lines.
 */
import { Component } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { LogRow } from '../../lib/loki.js';
import { formatTime, type Zone } from '../../lib/time.js';
import { buildOffsets, estimateWrapped, indexAt, visibleRange } from './layout.js';
import { LogDetail, type ContextState } from './log-detail.js';
import type { LineContext, LineFilter } from './types.js';
import './log-list.css';

export type { LineContext, LineFilter } from './types.js';

export interface LogListProps {
  /** Oldest first, as lines arrive; `newestFirst` shows them newest at the top without copying the array. */
  rows: readonly LogRow[];
  zone: Zone;
  wrap: boolean;
  newestFirst?: boolean;
  /** "Filter for / out" on a value of an expanded line; without it the buttons are not shown. */
  onFilter?: (filter: LineFilter, row: LogRow) => void;
  /** The lines around one line; without it there is no Context button. */
  onContext?: (row: LogRow) => Promise<LineContext>;
  /** The list's accessible name. */
  label?: string;
}

/** Must match log-list.css: one line of text and the row's vertical padding. */
const LINE_PX = 18;
const PAD_PX = 4;
const ROW_PX = LINE_PX + PAD_PX;
/** Until measured, an expanded row is guessed this much taller. */
const DETAIL_GUESS_PX = 220;
const OVERSCAN = 12;

export function LogList({ rows, zone, wrap, newestFirst = false, onFilter, onContext, label = 'Log lines' }: LogListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const windowEl = useRef<HTMLDivElement>(null);
  const probe = useRef<HTMLSpanElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [lineWidth, setLineWidth] = useState(0);
  const [charWidth, setCharWidth] = useState(7.2);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [contexts, setContexts] = useState<ReadonlyMap<string, ContextState>>(new Map());
  const [measureVersion, setMeasureVersion] = useState(0);
  const heights = useRef(new Map<string, number>());
  /** Row to hold at the same place after a re-layout: display index, id, and its distance above the viewport top. */
  const anchor = useRef<{ idx: number; id: string; delta: number } | undefined>(undefined);
  const pendingAnchor = useRef(false);
  const lastRows = useRef({ rows, n: rows.length });
  const pendingFocus = useRef<number | undefined>(undefined);
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);

  const n = rows.length;
  const rowAt = (i: number): LogRow => (newestFirst ? rows[n - 1 - i]! : rows[i]!);
  const charsPerLine = lineWidth > 0 ? Math.floor(lineWidth / charWidth) : 120;

  const offsets = useMemo(() => {
    let h = heights.current;
    // A tail drops old rows but their heights stay: keep only the current rows' once the map outgrows them.
    if (h.size > n + 5000) {
      const kept = new Map<string, number>();
      for (const r of rows) {
        const v = h.get(r.id);
        if (v !== undefined) kept.set(r.id, v);
      }
      h = heights.current = kept;
    }
    return buildOffsets(n, (i) => {
      const r = newestFirst ? rows[n - 1 - i]! : rows[i]!;
      const known = h.get(r.id);
      if (known !== undefined) return known;
      const base = wrap ? estimateWrapped(r.line.length, charsPerLine, LINE_PX, PAD_PX) : ROW_PX;
      return expanded.has(r.id) ? base + DETAIL_GUESS_PX : base;
    });
    // measureVersion: heights changed in place.
  }, [rows, n, newestFirst, wrap, charsPerLine, expanded, measureVersion]);

  const { start, end } = visibleRange(offsets, scrollTop, viewport, OVERSCAN);

  // Measured heights depend on the width and wrapping: forget them when either changes.
  useLayoutEffect(() => {
    heights.current.clear();
    setMeasureVersion((v) => v + 1);
  }, [wrap, lineWidth]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      setViewport(el.clientHeight);
      const line = el.querySelector<HTMLElement>('.log-row .log-line');
      if (line) setLineWidth(line.clientWidth);
    });
    ro.observe(el);
    if (probe.current) setCharWidth(probe.current.getBoundingClientRect().width / 100 || 7.2);
    return () => ro.disconnect();
  }, []);

  // After every render: hold the anchor row in place, measure what was rendered, focus a row asked for.
  useLayoutEffect(() => {
    const el = scroller.current;
    const win = windowEl.current;
    if (!el || !win) return;
    // New rows (a tail, "load more", a refresh): keep the row that was at the top where it was, unless the user is at the very top.
    if (lastRows.current.rows !== rows) {
      const prevN = lastRows.current.n;
      lastRows.current = { rows, n };
      const a = anchor.current;
      if (a && el.scrollTop > 0) {
        const idx = findRow(a, n - prevN);
        // That row is gone (another query's answer): start again from the top.
        moveTo(el, idx === undefined ? 0 : offsets[idx]! + a.delta);
      }
    } else if (pendingAnchor.current && anchor.current) {
      const a = anchor.current;
      if (scrollTop > 0 && a.idx < n && rowAt(a.idx).id === a.id) moveTo(el, offsets[a.idx]! + a.delta);
    }
    pendingAnchor.current = false;
    let changed = false;
    for (const child of Array.from(win.children) as HTMLElement[]) {
      const id = child.dataset.id;
      // Unwrapped, unexpanded rows have the fixed ROW_PX: reading their height would only force a layout.
      if (id === undefined || (!wrap && !expanded.has(id))) continue;
      const h = child.offsetHeight;
      const idx = Number(child.dataset.index);
      const used = offsets[idx + 1]! - offsets[idx]!;
      if (heights.current.get(id) !== h) heights.current.set(id, h);
      if (Math.abs(used - h) > 0.5) changed = true;
    }
    if (lineWidth === 0) {
      const line = win.querySelector<HTMLElement>('.log-line');
      if (line && line.clientWidth > 0) setLineWidth(line.clientWidth);
    }
    // The rendered position (state), not el.scrollTop: reading that would force a layout on every frame.
    const ai = indexAt(offsets, scrollTop);
    anchor.current = n > 0 ? { idx: ai, id: rowAt(ai).id, delta: scrollTop - offsets[ai]! } : undefined;
    if (changed) {
      pendingAnchor.current = true;
      setMeasureVersion((v) => v + 1);
    }
    if (pendingFocus.current !== undefined) {
      const target = win.querySelector<HTMLElement>(`[data-index="${pendingFocus.current}"]`);
      if (target) {
        target.focus({ preventScroll: true });
        pendingFocus.current = undefined;
      }
    }
  });

  function findRow(a: { idx: number; id: string }, grown: number): number | undefined {
    for (const g of [a.idx, a.idx + grown, a.idx - grown]) if (g >= 0 && g < n && rowAt(g).id === a.id) return g;
    for (let i = 0; i < n; i++) if (rowAt(i).id === a.id) return i;
    return undefined;
  }

  /** Scrolls to `top` and renders from where the browser ended up (it clamps to the content). */
  function moveTo(el: HTMLElement, top: number) {
    if (Math.abs(el.scrollTop - top) >= 0.5) el.scrollTop = top;
    setScrollTop(el.scrollTop);
  }

  const toggle = (id: string) => {
    // Its height changes either way; an unwrapped row is not measured again once collapsed.
    heights.current.delete(id);
    setExpanded((s) => {
      const next = new Set(s);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  };

  const focusIndex = (i: number) => {
    const el = scroller.current;
    if (!el || n === 0) return;
    const idx = Math.max(0, Math.min(n - 1, i));
    if (offsets[idx]! < el.scrollTop) el.scrollTop = offsets[idx]!;
    else if (offsets[idx + 1]! > el.scrollTop + el.clientHeight) el.scrollTop = offsets[idx + 1]! - el.clientHeight;
    pendingFocus.current = idx;
    setScrollTop(el.scrollTop);
    // Already rendered: focus now (no render may follow when nothing scrolled).
    const target = windowEl.current?.querySelector<HTMLElement>(`[data-index="${idx}"]`);
    if (target) (target.focus({ preventScroll: true }), (pendingFocus.current = undefined));
  };

  const loadContext = (row: LogRow) => {
    if (!onContext) return;
    setContexts((m) => new Map(m).set(row.id, { status: 'loading' }));
    onContext(row).then(
      (context) => mounted.current && setContexts((m) => new Map(m).set(row.id, { status: 'done', context })),
      (e: unknown) => mounted.current && setContexts((m) => new Map(m).set(row.id, { status: 'error', message: e instanceof Error ? e.message : String(e) })),
    );
  };

  // Rows keep the handlers they were first given (they skip re-rendering): hand them stable ones that call the latest.
  const latest = useRef({ toggle, focusIndex, loadContext });
  latest.current = { toggle, focusIndex, loadContext };
  const stable = useMemo(
    () => ({
      toggle: (id: string) => latest.current.toggle(id),
      focusIndex: (i: number) => latest.current.focusIndex(i),
      loadContext: (row: LogRow) => latest.current.loadContext(row),
    }),
    [],
  );

  const items = [];
  for (let i = start; i < end; i++) {
    const row = rowAt(i);
    items.push(
      <Row
        key={row.id}
        row={row}
        index={i}
        setSize={n}
        zone={zone}
        expanded={expanded.has(row.id)}
        context={contexts.get(row.id)}
        onToggle={stable.toggle}
        onFocusIndex={stable.focusIndex}
        onFilter={onFilter}
        onContext={onContext ? stable.loadContext : undefined}
      />,
    );
  }

  return (
    <div class={`log-list${wrap ? ' wrap' : ''}`} ref={scroller} role="list" aria-label={label} onScroll={(e) => setScrollTop((e.currentTarget as HTMLElement).scrollTop)}>
      <span class="log-probe" ref={probe} aria-hidden="true">
        {'0'.repeat(100)}
      </span>
      {n === 0 && <div class="empty">No log lines</div>}
      <div class="log-list-spacer" style={{ height: `${offsets[n]}px` }}>
        <div class="log-list-window" ref={windowEl} style={{ transform: `translateY(${offsets[start] ?? 0}px)` }}>
          {items}
        </div>
      </div>
    </div>
  );
}

interface RowProps {
  row: LogRow;
  index: number;
  setSize: number;
  zone: Zone;
  expanded: boolean;
  context?: ContextState;
  onToggle: (id: string) => void;
  onFocusIndex: (i: number) => void;
  onFilter?: (filter: LineFilter, row: LogRow) => void;
  onContext?: (row: LogRow) => void;
}

/** One line; re-renders only when what it shows changes (scrolling re-renders the list, not every row). */
class Row extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const p = this.props;
    return next.row !== p.row || next.index !== p.index || next.zone !== p.zone || next.expanded !== p.expanded || next.context !== p.context || next.setSize !== p.setSize || next.onFilter !== p.onFilter || next.onContext !== p.onContext;
  }

  onKeyDown = (e: KeyboardEvent) => {
    const { row, index, onToggle, onFocusIndex } = this.props;
    if (e.target !== e.currentTarget) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onToggle(row.id);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      onFocusIndex(index + (e.key === 'ArrowDown' ? 1 : -1));
    }
  };

  onClick = () => {
    // Selecting text in a line is not a request to expand it.
    if (window.getSelection()?.toString()) return;
    this.props.onToggle(this.props.row.id);
  };

  render({ row, index, setSize, zone, expanded, context, onFilter, onContext }: RowProps) {
    return (
      <div
        class={`log-row level-${row.level}${expanded ? ' expanded' : ''}`}
        data-level={row.level}
        data-id={row.id}
        data-index={index}
        role="listitem"
        tabIndex={0}
        aria-expanded={expanded}
        aria-posinset={index + 1}
        aria-setsize={setSize}
        onKeyDown={this.onKeyDown}
      >
        <div class="log-row-main" onClick={this.onClick}>
          <span class="log-ts">{formatTime(row.ms, zone)}</span>
          <span class="log-line">{row.line}</span>
        </div>
        {expanded && <LogDetail row={row} zone={zone} onFilter={onFilter && ((f) => onFilter(f, row))} onContext={onContext && (() => onContext(row))} context={context} />}
      </div>
    );
  }
}
