/**
 * Time in the UI: the URL's `from`/`to` are Grafana-style relative values (`now`, `now-1h`,
 * `now-7d`) or absolute RFC 3339 / Unix times; they resolve to milliseconds when a query runs.
 */
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** Milliseconds since the epoch for a URL time value; undefined when it cannot be read. */
export function parseTime(value: string, now = Date.now()): number | undefined {
  const v = value.trim();
  if (v === 'now') return now;
  const rel = /^now-(\d+)([smhdw])$/.exec(v);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (/^\d+$/.test(v)) {
    // Unix seconds, milliseconds or nanoseconds, told apart by magnitude as Loki does for `start`/`end`.
    const n = Number(v);
    if (v.length <= 10) return n * 1e3;
    if (v.length <= 13) return n;
    return Math.floor(n / 1e6);
  }
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A duration such as `5m` or `1h` in milliseconds (the relative picker's and auto-refresh's values). */
export function parseDuration(value: string): number | undefined {
  const m = /^(\d+)([smhdw])$/.exec(value.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

export function isRelative(value: string): boolean {
  return value === 'now' || /^now-\d+[smhdw]$/.test(value);
}

/** Milliseconds to nanoseconds as Loki's `start`/`end` take them (a string: beyond 2^53). */
export function msToNs(ms: number): string {
  return `${Math.round(ms)}000000`;
}

/** A Loki nanosecond timestamp (string) to milliseconds (fractional ms kept for ordering only). */
export function nsToMs(ns: string): number {
  return ns.length > 6 ? Number(ns.slice(0, -6)) + Number(ns.slice(-6)) / 1e6 : Number(ns) / 1e6;
}

export type Zone = 'local' | 'utc';

/** `2026-12-05 14:03:07.123` in local time or UTC. */
export function formatTime(ms: number, zone: Zone): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const [y, mo, da, h, mi, s, msec] =
    zone === 'utc'
      ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]
      : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
  return `${y}-${p(mo)}-${p(da)} ${p(h)}:${p(mi)}:${p(s)}.${p(msec, 3)}`;
}

/** A step for a range of `rangeMs` giving about `points` buckets, rounded to a readable duration, at least 1 s. */
export function stepFor(rangeMs: number, points = 120): number {
  const nice = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1e3);
  const raw = rangeMs / points;
  return nice.find((n) => n >= raw) ?? Math.ceil(raw / 86400e3) * 86400e3;
}

/** Nanosecond string arithmetic (Loki's timestamps pass 2^53). */
export function addNs(ns: string, delta: number): string {
  return (BigInt(ns) + BigInt(delta)).toString();
}
