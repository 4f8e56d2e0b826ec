/**
 * Zooming Explore's time range from a chart: a drag across the plot (uPlot's selection) becomes the
 * new `from`/`to`, a new history entry so Back undoes it. Times are whole seconds: shorter links, and
 * what a user would type.
 */

/** Explore's `update`, as far as a zoom uses it (kept structural so this module stays free of TSX, for unit tests). */
type Update = (patch: { from: string; to: string }) => void;

/** What the zoom reads of a uPlot instance. */
interface Selectable {
  select: { left: number; width: number };
  posToVal(pos: number, scale: string): number;
  setSelect(opts: { left: number; top: number; width: number; height: number }, fireHook?: boolean): void;
}

export function isoSeconds(s: number): string {
  return new Date(Math.round(s) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Sets the range to [fromS, toS] (unix seconds), at least one second long. */
export function zoomTo(update: Update, fromS: number, toS: number): void {
  update({ from: isoSeconds(fromS), to: isoSeconds(Math.max(toS, fromS + 1)) });
}

/** uPlot's `setSelect` hook that zooms to the dragged range (a drag under 3 px is a click, not a zoom). */
export function zoomOnSelect(update: Update): (u: Selectable) => void {
  return (u) => {
    if (u.select.width < 3) return;
    const from = u.posToVal(u.select.left, 'x');
    const to = u.posToVal(u.select.left + u.select.width, 'x');
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    zoomTo(update, from, to);
  };
}
