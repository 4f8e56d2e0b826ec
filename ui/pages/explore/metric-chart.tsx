/**
 * A metric query's matrix as a time-series chart: one line per label set, a legend naming each
 * series by its labels with its value under the cursor, and a click on a legend entry hides or shows
 * the series (uPlot's own legend does both). At most MAX_SERIES are drawn.
 */
import { useMemo } from 'preact/hooks';
import type { LokiSeries } from '../../lib/loki.js';
import { UPlotChart, legendTime, themedAxes, tzDate, type uPlot } from '../../components/chart/uplot-chart.js';
import type { ExploreProps } from './explore.js';
import { zoomOnSelect } from './zoom.js';
import { alignMatrix, formatValue, MAX_SERIES } from './metric-data.js';

/** Distinct hues that read on the dark and the light theme. */
const PALETTE = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#705da0', '#37872d', '#fade2a', '#447ebc', '#c15c17', '#890f02', '#0a437c', '#6d1f62', '#584477'];

export interface MetricChartProps {
  result: LokiSeries[];
  utc: boolean;
  /** The query's range: the x axis spans it whole, wherever the points are. */
  range: { fromMs: number; toMs: number };
  update: ExploreProps['update'];
}

export function MetricChart({ result, utc, range, update }: MetricChartProps) {
  const aligned = useMemo(() => alignMatrix(result), [result]);
  const chart = useMemo(() => {
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      tzDate: tzDate(utc),
      axes: themedAxes(utc),
      scales: { x: { time: true, range: () => [range.fromMs / 1000, range.toMs / 1000] } },
      // Dragging across the chart zooms the range, as on the volume histogram.
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: { setSelect: [zoomOnSelect(update)], ready: [keyboardLegend], setSeries: [(u) => markShown(u)] },
      legend: { live: true },
      series: [
        { label: 'Time', value: legendTime(utc) },
        ...aligned.series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => formatValue(v),
        })),
      ],
    };
    const data: uPlot.AlignedData = [aligned.x, ...aligned.series.map((s) => s.values)];
    return { options, data };
  }, [aligned, utc, range.fromMs, range.toMs, update]);
  return (
    <div class="metric-chart">
      {aligned.dropped > 0 && (
        <div class="notice">
          Showing the first {MAX_SERIES} of {aligned.series.length + aligned.dropped} series; the table lists them all. Narrow the query (a selector, or a `topk`) to chart the others.
        </div>
      )}
      {aligned.x.length === 0 ? <div class="empty">The query returned no data points in this range.</div> : <UPlotChart options={chart.options} data={chart.data} height={300} label="Metric query chart" />}
    </div>
  );
}

/**
 * uPlot's legend entries toggle on a mouse click only: make each a button for the keyboard and for
 * screen readers too (Enter or Space toggles; aria-pressed says whether the series is shown).
 */
function keyboardLegend(u: uPlot): void {
  u.root.querySelectorAll<HTMLElement>('.u-legend .u-series').forEach((row, i) => {
    if (i === 0) return; // the time column
    const label = row.querySelector<HTMLElement>('th')!;
    label.tabIndex = 0;
    label.setAttribute('role', 'button');
    label.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      label.click();
    });
  });
  markShown(u);
}

function markShown(u: uPlot): void {
  u.root.querySelectorAll<HTMLElement>('.u-legend .u-series th').forEach((th, i) => {
    if (i > 0) th.setAttribute('aria-pressed', String(u.series[i]?.show !== false));
  });
}
