/**
 * One uPlot canvas as a Preact component, shared by every chart of the UI: it creates the plot when
 * its options or data change (a new query's answer), follows its container's width (ResizeObserver),
 * and destroys the plot when it goes away.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './chart.css';
import { useEffect, useRef } from 'preact/hooks';
import { formatTime } from '../../lib/time.js';

export interface UPlotChartProps {
  /** Everything but the size, which follows the container. Memoize it: a new object makes a new plot. */
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  height: number;
  class?: string;
  label?: string;
}

export function UPlotChart({ options, data, height, class: cls, label }: UPlotChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(100, Math.floor(el.clientWidth));
    const plot = new uPlot({ ...options, width: width(), height }, data, el);
    const ro = new ResizeObserver(() => {
      if (width() !== plot.width) plot.setSize({ width: width(), height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [options, data, height]);
  return <div class={`chart ${cls ?? ''}`} ref={box} role="figure" aria-label={label} />;
}

/** Unix seconds to the Date uPlot draws on its time axis, in UTC or the browser's zone. */
export function tzDate(utc: boolean): ((ts: number) => Date) | undefined {
  return utc ? (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC') : undefined;
}

/** A theme colour from ui/styles.css (`--error`, `--muted`…), read when a chart is made. */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export { uPlot };

/**
 * The x (time) and y axes in the theme's colours, times on a 24-hour clock in the zone the page shows
 * (local or UTC, as the log lines), with the date where the day changes.
 */
export function themedAxes(utc: boolean): uPlot.Axis[] {
  const stroke = cssVar('--muted');
  const grid = { stroke: cssVar('--border'), width: 1 };
  const zone = utc ? 'utc' : 'local';
  const values = (_u: uPlot, splits: number[], _axis: number, _space: number, incr: number) => {
    let day = '';
    return splits.map((s) => {
      const t = formatTime(s * 1000, zone); // 2026-12-05 14:03:07.123
      const d = t.slice(5, 10);
      const clock = incr >= 86400 ? '' : t.slice(11, incr >= 60 ? 16 : 19);
      const label = d !== day ? `${clock}\n${d}`.trim() : clock;
      day = d;
      return label;
    });
  };
  return [
    { stroke, grid, ticks: grid, values, space: 60 },
    { stroke, grid, ticks: grid, size: 50 },
  ];
}

/** A time value (unix seconds) as the legend shows it. */
export function legendTime(utc: boolean) {
  return (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : formatTime(v * 1000, utc ? 'utc' : 'local').slice(0, 19));
}
