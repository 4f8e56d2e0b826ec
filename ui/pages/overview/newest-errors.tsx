/** The newest error lines of every service; a line opens its stream in Explore. */
import { api } from '../../lib/api.js';
import { rowsFromStreams, type LogRow, type QueryResponse } from '../../lib/loki.js';
import { navigate } from '../../lib/route.js';
import { Panel } from './panel.js';
import { usePanel } from './use-panel.js';
import { NEWEST_ERRORS, type OverviewRange } from './overview-data.js';
import { CATEGORIZE_LABELS_HEADERS, streamSelector } from '../../lib/log-query.js';
import { formatTime, msToNs, parseDuration } from '../../lib/time.js';

const LIMIT = 20;

export function NewestErrorsPanel({ range, tick, tenant }: { range: OverviewRange; tick: number; tenant: string }) {
  const state = usePanel<LogRow[]>(async (signal) => {
    const now = Date.now();
    const res = await api<QueryResponse>(
      '/loki/api/v1/query_range',
      { query: NEWEST_ERRORS, start: msToNs(now - parseDuration(range)!), end: msToNs(now), limit: LIMIT, direction: 'backward' },
      // Stream labels apart from structured metadata (detected_level): the link's selector must name real labels only.
      { signal, headers: CATEGORIZE_LABELS_HEADERS },
    );
    return res.data.resultType === 'streams' ? rowsFromStreams(res.data.result, 'backward').slice(0, LIMIT) : [];
  }, [range, tick, tenant]);
  return (
    <Panel title="Newest errors" name="newest-errors" state={state} wide>
      {(rows) =>
        rows.length === 0 ? (
          <div class="empty">No error lines in the last {range}.</div>
        ) : (
          <ul class="newest-errors">
            {rows.map((r) => (
              <li key={r.id} class="log-row level-error">
                <button type="button" class="error-line" title="Open this stream in Explore" onClick={() => navigate('explore', { query: streamSelector(r.labels), from: `now-${range}` })}>
                  <span class="log-time">{formatTime(r.ms, 'local')}</span>
                  <span class="service">{r.labels.service_name ?? ''}</span>
                  <span class="log-line">{r.line}</span>
                </button>
              </li>
            ))}
          </ul>
        )
      }
    </Panel>
  );
}
