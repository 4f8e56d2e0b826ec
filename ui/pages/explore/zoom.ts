/**
 * Zooming Explore's time range from a chart: a drag across the plot (uPlot's selection) becomes the
 * new `from`/`to`, a new history entry so Back undoes it. Times are whole seconds: shorter links, and
 * what a user would type.
 */
import type { uPlot } from '../../components/chart/uplot-chart.js';
import type { ExploreProps } from './explore.js';

export function isoSeconds(s: number): string {
  return new Date(Math.round(s) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Sets the range to [fromS, toS] (unix seconds), at least one second long. */
export function zoomTo(update: ExploreProps['update'], fromS: number, toS: number): void {
  update({ from: isoSeconds(fromS), to: isoSeconds(Math.max(toS, fromS + 1)) });
}

/** uPlot's `setSelect` hook that zooms to the dragged range (a drag under 3 px is a click, not a zoom). */
export function zoomOnSelect(update: ExploreProps['update']): (u: uPlot) => void {
  return (u) => {
    if (u.select.width < 3) return;
    const from = u.posToVal(u.select.left, 'x');
    const to = u.posToVal(u.select.left + u.select.width, 'x');
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    zoomTo(update, from, to);
  };
}
