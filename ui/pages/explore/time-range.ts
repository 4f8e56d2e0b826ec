/**
 * The time picker's rules, free of the DOM: its presets, how a range is named, and whether an
 * absolute range typed by the user can be applied.
 */
import { isRelative, parseTime } from '../../lib/time.js';

export const PRESETS: { from: string; label: string }[] = [
  ['5m', '5 minutes'], ['15m', '15 minutes'], ['30m', '30 minutes'], ['1h', '1 hour'], ['3h', '3 hours'],
  ['6h', '6 hours'], ['12h', '12 hours'], ['24h', '24 hours'], ['2d', '2 days'], ['7d', '7 days'],
].map(([d, words]) => ({ from: `now-${d}`, label: `Last ${words}` }));

export const REFRESH_CHOICES = ['', '5s', '10s', '30s', '1m', '5m'];

/** `Last 1 hour` for a preset, otherwise `from to to` as written. */
export function rangeLabel(from: string, to: string): string {
  const preset = to === 'now' ? PRESETS.find((p) => p.from === from) : undefined;
  return preset ? preset.label : `${from} to ${to}`;
}

/** The problem with a typed range in plain words, or undefined when it can be applied. */
export function rangeProblem(from: string, to: string, now = Date.now()): string | undefined {
  const f = from.trim();
  const t = to.trim();
  const bad = (what: string, v: string) =>
    `${what} "${v}" is not a time: write RFC 3339 (2026-12-05T14:00:00Z), a Unix time in seconds, now, or now-<n><s|m|h|d|w> such as now-6h.`;
  const fm = parseTime(f, now);
  if (!f || fm === undefined || (f.startsWith('now') && !isRelative(f))) return bad('From', f);
  const tm = parseTime(t, now);
  if (!t || tm === undefined || (t.startsWith('now') && !isRelative(t))) return bad('To', t);
  if (fm >= tm) return `From must be before To (${f} is not before ${t}).`;
  return undefined;
}
