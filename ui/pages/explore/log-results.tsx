import { rowsFromStreams, type LokiStream } from '../../lib/loki.js';
import { formatTime } from '../../lib/time.js';
import type { ExploreProps } from './explore.js';

/** Placeholder until the log list lands (h/loglist owns this file): the lines in a plain list. */
export function LogResults({ state, data }: ExploreProps & { data: LokiStream[] }) {
  const rows = rowsFromStreams(data, state.order);
  if (rows.length === 0) return <div class="empty">No lines in this range.</div>;
  return (
    <ul class="log-rows">
      {rows.map((r) => (
        <li key={r.id} class={`log-row level-${r.level}`}>
          <time>{formatTime(r.ms, state.utc ? 'utc' : 'local')}</time> {r.line}
        </li>
      ))}
    </ul>
  );
}
