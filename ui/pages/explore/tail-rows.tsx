/**
 * Live tail's lines until the virtualised LogList is available: a plain list of the newest
 * SHOWN_ROWS only, so the page stays responsive whatever the cap.
 */
import type { LogRow } from '../../lib/loki.js';
import { formatTime } from '../../lib/time.js';

const SHOWN_ROWS = 500;

export function TailRows({ rows, utc, wrap }: { rows: LogRow[]; utc: boolean; wrap: boolean }) {
  return (
    <div class={`tail-rows${wrap ? ' wrap' : ''}`} role="list">
      {rows.slice(0, SHOWN_ROWS).map((r) => (
        <div key={r.id} class={`log-row level-${r.level}`} role="listitem">
          <span class="log-time">{formatTime(r.ms, utc ? 'utc' : 'local')}</span>
          <span class="log-line">{r.line}</span>
        </div>
      ))}
    </div>
  );
}
