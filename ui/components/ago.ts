/**
 * "12 s ago" / "in 3 min": how long ago a time was, in the one short form every page uses. Pure (no
 * DOM), so it is unit-tested under node; `relative-time.tsx` renders it and keeps it current.
 */

/** Go's zero time, which Prometheus' APIs send for "never" (a rule not evaluated yet). */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** Milliseconds since the epoch for an RFC 3339 string or a number of ms; undefined for "never" or unreadable. */
export function toMs(time: string | number | undefined): number | undefined {
  if (time === undefined || time === '' || time === GO_ZERO_TIME) return undefined;
  const ms = typeof time === 'number' ? time : Date.parse(time);
  // Go's zero time in other spellings (year 1) is "never" too.
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`; `in 40 s` for a future time; `now` within half a second. */
export function formatAgo(ms: number, now: number): string {
  const diff = now - ms;
  if (Math.abs(diff) < 500) return 'now';
  const s = Math.round(Math.abs(diff) / 1000);
  const text = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : s < 172_800 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 86_400)} d`;
  return diff > 0 ? `${text} ago` : `in ${text}`;
}
