/**
 * The volume histogram above a log query's lines: how many lines per bucket over the range, stacked
 * by level, with a legend of the levels and their counts. Dragging across it zooms to the dragged
 * range and clicking a bar zooms to that bucket (both a new history entry, so Back undoes them).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError } from '../../lib/api.js';
import type { QueryResponse, LokiSeries } from '../../lib/loki.js';
import { formatTime, msToNs, stepFor } from '../../lib/time.js';
import { UPlotChart, cssVar, themedAxes, tzDate, uPlot } from '../../components/chart/uplot-chart.js';
import type { ExploreProps } from './explore.js';
import { selectorOf, stacked, totalsFrom, volumeFrom, volumeGrid, volumeQuery, type Volume } from './volume.js';
import { zoomOnSelect, zoomTo } from './zoom.js';
import './histogram.css';

const HEIGHT = 110;

export interface HistogramProps extends ExploreProps {
  /** The range the log query ran over, resolved when it ran. */
  range: { fromMs: number; toMs: number };
  /** Changes on every run of the log query, so the histogram counts again with it. */
  runId: number;
}

type Load =
  | { status: 'loading' }
  | { status: 'done'; volume: Volume; selectorOnly: boolean }
  | { status: 'error'; error: ApiError };

export function Histogram({ state, update, range, runId }: HistogramProps) {
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  useEffect(() => {
    const ctl = new AbortController();
    const grid = volumeGrid(range.fromMs, range.toMs, stepFor(range.toMs - range.fromMs));
    const opts = { signal: ctl.signal };
    // The bars (per bucket) and the legend's totals (exactly over the range) in parallel.
    const count = (query: string) =>
      Promise.all([
        api<QueryResponse>('/loki/api/v1/query_range', { query: volumeQuery(query, grid.stepMs), start: msToNs(grid.points[0]!), end: msToNs(grid.points[grid.points.length - 1]!), step: `${grid.stepMs / 1000}s` }, opts),
        api<QueryResponse>('/loki/api/v1/query', { query: volumeQuery(query, range.toMs - range.fromMs), time: msToNs(range.toMs) }, opts),
      ]);
    (async () => {
      let selectorOnly = false;
      let res: [QueryResponse, QueryResponse];
      try {
        res = await count(state.query);
      } catch (e) {
        // Some pipelines cannot be counted (the server refuses them inside a range aggregation):
        // fall back to the volume of the stream selector alone, and say so.
        const sel = selectorOf(state.query);
        if (!(e instanceof ApiError) || e.status !== 400 || !sel || sel === state.query.trim()) throw e;
        selectorOnly = true;
        res = await count(sel);
      }
      const [bars, totals] = res.map((r) => r.data);
      const matrix = bars?.resultType === 'matrix' ? bars.result : ([] as LokiSeries[]);
      const vector = totals?.resultType === 'vector' ? totals.result : [];
      setLoad({ status: 'done', volume: volumeFrom(matrix, grid, totalsFrom(vector)), selectorOnly });
    })().catch((e: unknown) => {
      if (ctl.signal.aborted) return;
      setLoad({ status: 'error', error: e instanceof ApiError ? e : new ApiError(String(e), 0, String(e)) });
    });
    return () => ctl.abort();
  }, [state.query, range.fromMs, range.toMs, runId]);

  const [hovered, setHover] = useState<number | null>(null);
  const volume = load.status === 'done' ? load.volume : undefined;
  // A bucket index of an earlier answer means nothing in this one.
  const hover = volume && hovered !== null && hovered < volume.x.length ? hovered : null;
  const chart = useMemo(() => (volume ? chartFor(volume, state.utc, update, setHover) : undefined), [volume, state.utc, update]);

  return (
    <section class="volume" aria-label="Log volume">
      <div class="volume-head">
        <span class="volume-total">{volume ? `${volume.total.toLocaleString('en-US')} ${volume.total === 1 ? 'line' : 'lines'}` : load.status === 'loading' ? 'Counting lines…' : ''}</span>
        {volume && (
          <ul class="volume-legend" aria-label="Levels">
            {volume.levels.map((l) => (
              <li key={l.level} class={`volume-legend-item level-${l.level}`} data-level={l.level}>
                <span class="swatch" />
                <span class="name">{l.level}</span> <span class="count">{(hover !== null ? l.counts[hover]! : l.total).toLocaleString('en-US')}</span>
              </li>
            ))}
          </ul>
        )}
        {volume && hover !== null && <span class="volume-hover">{formatTime(volume.x[hover]! * 1000, state.utc ? 'utc' : 'local')} +{volume.stepMs / 1000}s</span>}
        {load.status === 'done' && load.selectorOnly && <span class="volume-note">Counts of the stream selector only: the server could not count the full query.</span>}
      </div>
      {load.status === 'error' && <div class="error-box">Could not count the lines: {load.error.message}</div>}
      {chart ? <UPlotChart options={chart.options} data={chart.data} height={HEIGHT} class="volume-chart" label="Log volume by level" /> : load.status === 'loading' && <div class="volume-placeholder" style={{ height: `${HEIGHT}px` }} />}
    </section>
  );
}

/** The stacked bars: one series per level, drawn from the top of the stack down (see `stacked`). */
function chartFor(volume: Volume, utc: boolean, update: ExploreProps['update'], setHover: (i: number | null) => void) {
  const stepS = volume.stepMs / 1000;
  // Bars are centred on their bucket's middle, so uPlot's nearest point under the cursor is the bucket.
  const x = volume.x.map((t) => t + stepS / 2);
  const sums = stacked(volume.levels);
  const order = volume.levels.map((_, k) => k).reverse();
  const bars = uPlot.paths.bars!({ size: [1, Infinity, 1], gap: 1 });
  const options: Omit<uPlot.Options, 'width' | 'height'> = {
    tzDate: tzDate(utc),
    legend: { show: false },
    padding: [8, 8, 0, 0],
    scales: { x: { time: true, range: () => [volume.x[0]!, volume.x[volume.x.length - 1]! + stepS] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: themedAxes(utc),
    cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
    series: [
      {},
      ...order.map((k) => {
        const colour = cssVar(`--${volume.levels[k]!.level}`);
        return { label: volume.levels[k]!.level, fill: colour, stroke: colour, width: 0, paths: bars, points: { show: false } };
      }),
    ],
    hooks: {
      setSelect: [zoomOnSelect(update)],
      setCursor: [(u) => setHover(u.cursor.idx ?? null)],
      ready: [
        (u) => {
          // A click without a drag (uPlot swallows the click that ends a drag) zooms to the bar's bucket.
          u.over.addEventListener('click', () => {
            const i = u.cursor.idx;
            if (i !== null && i !== undefined) zoomTo(update, volume.x[i]!, volume.x[i]! + stepS);
          });
          u.over.addEventListener('mouseleave', () => setHover(null));
        },
      ],
    },
  };
  const data: uPlot.AlignedData = [x, ...order.map((k) => sums[k]!)];
  return { options, data };
}
