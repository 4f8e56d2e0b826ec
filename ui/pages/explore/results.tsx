/**
 * Explore's results: runs the query over the range and shows what kind of answer came back — the
 * volume histogram and the log lines for a log query (`streams`), the chart and table for a metric
 * query (matrix, vector, scalar). It re-runs when the query, range or order changes, when the query
 * bar asks (run counter), and on the auto-refresh timer; a newer run cancels an older one.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../lib/api.js';
import type { QueryData, QueryResponse } from '../../lib/loki.js';
import { msToNs, parseTime, stepFor } from '../../lib/time.js';
import type { ExploreProps } from './explore.js';
import { CATEGORIZE_LABELS_HEADERS } from '../../lib/log-query.js';
import { setQueryError } from './query-error.js';
import { useRunCounter } from './run-signal.js';
import { useAutoRefresh } from './auto-refresh.js';
import { Histogram } from './histogram.js';
import { LogResults } from './log-results.js';
import { MetricResults } from './metric-results.js';
import './results.css';

interface Answer {
  data: QueryData;
  range: { fromMs: number; toMs: number };
  /** Counts completed runs, so parts that fetch on their own (the histogram) run again with them. */
  runId: number;
}

export function Results({ state, update }: ExploreProps) {
  const run = useRunCounter();
  const [answer, setAnswer] = useState<Answer | undefined>();
  const [loading, setLoading] = useState(false);
  const [finished, setFinished] = useState(0);
  const tick = useAutoRefresh(state.refresh, !state.live, finished);
  const query = state.query.trim();

  useEffect(() => {
    if (!query) {
      setLoading(false);
      setAnswer(undefined);
      setQueryError(undefined);
      return;
    }
    const now = Date.now();
    const fromMs = parseTime(state.from, now);
    const toMs = parseTime(state.to, now);
    if (fromMs === undefined || toMs === undefined || fromMs >= toMs) {
      setLoading(false);
      setAnswer(undefined);
      setQueryError(new ApiError(`The time range is not valid: from "${state.from}" to "${state.to}". Use now-1h, now, an RFC 3339 time or a Unix time, with from before to.`, 0, ''));
      return;
    }
    const ctl = new AbortController();
    setLoading(true);
    api<QueryResponse>(
      '/loki/api/v1/query_range',
      {
        query,
        start: msToNs(fromMs),
        end: msToNs(toMs),
        // The server uses `limit` for a log query and `step` for a metric query; the answer says which it was.
        limit: state.limit,
        step: `${stepFor(toMs - fromMs) / 1000}s`,
        direction: state.order,
      },
      // Categorized: stream labels, structured metadata and parsed labels apart, as the log list shows them.
      { signal: ctl.signal, headers: CATEGORIZE_LABELS_HEADERS },
    )
      .then((res) => {
        setQueryError(undefined);
        setAnswer((prev) => ({ data: res.data, range: { fromMs, toMs }, runId: (prev?.runId ?? 0) + 1 }));
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        // Nothing stale stays on screen next to the error.
        setAnswer(undefined);
        setQueryError(e instanceof ApiError ? e : new ApiError(`The query failed: ${String(e)}`, 0, String(e)));
      })
      .finally(() => {
        if (ctl.signal.aborted) return;
        setLoading(false);
        setFinished((n) => n + 1);
      });
    return () => ctl.abort();
  }, [query, state.from, state.to, state.order, state.limit, run, tick]);

  // The query bar's error belongs to this query: clear it when the results go away (live tail, another page).
  useEffect(() => () => setQueryError(undefined), []);

  return (
    <div class={`results${loading ? ' loading' : ''}`} aria-busy={loading}>
      {loading && (
        <div class="results-loading" role="status">
          Running query…
        </div>
      )}
      {!query ? (
        <div class="empty">Write a LogQL query and press Shift+Enter.</div>
      ) : !answer ? null : answer.data.resultType === 'streams' ? (
        <>
          <Histogram state={state} update={update} range={answer.range} runId={answer.runId} />
          <LogResults state={state} update={update} data={answer.data.result} />
        </>
      ) : (
        <MetricResults data={answer.data} utc={state.utc} range={answer.range} update={update} />
      )}
    </div>
  );
}
