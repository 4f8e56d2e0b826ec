/**
 * `<RelativeTime time=…>` renders "12 s ago" in a <time> element whose title is the absolute time,
 * and keeps it current: all instances share one 1 s ticker, so a table of many rows costs one timer.
 */
import { useEffect, useState } from 'preact/hooks';
import { formatTime } from '../lib/time.js';
import { formatAgo, toMs } from './ago.js';

const listeners = new Set<() => void>();
let ticker: ReturnType<typeof setInterval> | undefined;

function subscribe(l: () => void): () => void {
  listeners.add(l);
  ticker ??= setInterval(() => listeners.forEach((f) => f()), 1000);
  return () => {
    listeners.delete(l);
    if (listeners.size === 0 && ticker !== undefined) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };
}

export interface RelativeTimeProps {
  /** RFC 3339 string or milliseconds since the epoch; undefined or Go's zero time shows `never`. */
  time: string | number | undefined;
  /** Shown when there is no time (default `never`). */
  never?: string;
}

export function RelativeTime({ time, never = 'never' }: RelativeTimeProps) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => subscribe(() => setNow(Date.now())), []);
  const ms = toMs(time);
  if (ms === undefined) return <span class="relative-time never">{never}</span>;
  const utc = formatTime(ms, 'utc');
  return (
    <time class="relative-time" dateTime={new Date(ms).toISOString()} title={`${formatTime(ms, 'local')} (${utc} UTC)`}>
      {formatAgo(ms, now)}
    </time>
  );
}
