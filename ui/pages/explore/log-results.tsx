/**
 * Explore's log lines: a toolbar (line count, time zone, wrap, order, load more, downloads) over the
 * one LogList. The query's answer comes in as `data`; "Load more" fetches the next page by time and
 * adds it, "Filter for / out" edits the query, Context shows a line's neighbours in its stream.
 */
import { useMemo, useState } from 'preact/hooks';
import { LogList, type LineFilter } from '../../components/log-list/log-list.js';
import { ApiError } from '../../lib/api.js';
import { rowsFromStreams, streamKey, type LogRow, type LokiStream } from '../../lib/loki.js';
import { fetchContext, queryLogs } from '../../lib/log-query.js';
import { addNs, msToNs, parseTime } from '../../lib/time.js';
import type { ExploreProps } from './explore.js';
import { toCsv, toJsonLines, downloadName } from './export.js';
import { ViewOptions } from './view-options.js';
import { QueryEditError, withLineFilter } from './query-edit.js';
import './log-results.css';

interface Loaded {
  /** The answer these rows started from: a new one starts over. */
  data: LokiStream[];
  /** Oldest first. */
  rows: LogRow[];
  /** The last page was short: nothing more in the range. */
  exhausted: boolean;
}

export function LogResults({ state, update, data }: ExploreProps & { data: LokiStream[] }) {
  const first = useMemo<Loaded>(() => {
    const rows = rowsFromStreams(data, 'forward');
    return { data, rows, exhausted: rows.length < state.limit };
  }, [data]);
  const [more, setMore] = useState<Loaded | undefined>(undefined);
  const loaded = more && more.data === data ? more : first;
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [pageNo, setPageNo] = useState(1);

  const loadMore = async () => {
    const rows = loaded.rows;
    if (rows.length === 0) return;
    const backward = state.order === 'backward';
    // The boundary line's own timestamp is asked for again (Loki's end is exclusive; another line may
    // share that nanosecond); the lines already shown at it are dropped from the answer.
    const edge = backward ? rows[0]! : rows[rows.length - 1]!;
    const fromMs = parseTime(state.from);
    const toMs = parseTime(state.to);
    if (fromMs === undefined || toMs === undefined) return setError('The time range cannot be read; fix "from" and "to".');
    setLoading(true);
    setError(undefined);
    try {
      const streams = await queryLogs({
        query: state.query,
        startNs: backward ? msToNs(fromMs) : edge.tsNs,
        endNs: backward ? addNs(edge.tsNs, 1) : msToNs(toMs),
        limit: state.limit,
        direction: state.order,
      });
      const page = rowsFromStreams(streams, 'forward');
      const seen = new Set<string>();
      for (const r of rows) if (r.tsNs === edge.tsNs) seen.add(streamKey(r.labels) + '\n' + r.line);
      const fresh = page.filter((r) => r.tsNs !== edge.tsNs || !seen.has(streamKey(r.labels) + '\n' + r.line));
      // Ids are unique within one answer: prefix them with the page so pages never collide.
      for (const r of fresh) r.id = `p${pageNo}:${r.id}`;
      setPageNo(pageNo + 1);
      setMore({ data, rows: backward ? fresh.concat(rows) : rows.concat(fresh), exhausted: page.length < state.limit || fresh.length === 0 });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setLoading(false);
    }
  };

  const onFilter = (f: LineFilter) => {
    try {
      const query = withLineFilter(state.query, f);
      setError(undefined);
      if (query !== state.query) update({ query });
    } catch (e) {
      if (!(e instanceof QueryEditError)) throw e;
      setError(`Cannot add this filter: ${e.message}.`);
    }
  };

  const download = (ext: 'jsonl' | 'csv') => {
    // Oldest first in the file whatever the list's order: files are read top to bottom in time.
    const text = ext === 'jsonl' ? toJsonLines(loaded.rows) : toCsv(loaded.rows);
    const blob = new Blob([text], { type: ext === 'jsonl' ? 'application/x-ndjson' : 'text/csv' });
    const href = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = href;
    a.download = downloadName(Date.now(), ext);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
  };

  const n = loaded.rows.length;
  return (
    <section class="log-results" aria-label="Log lines">
      <div class="log-toolbar" role="toolbar" aria-label="Log lines options">
        <span class="log-count" aria-live="polite">
          {n.toLocaleString('en')} {n === 1 ? 'line' : 'lines'}
          {loaded.exhausted ? '' : ' (more in range)'}
        </span>
        <ViewOptions state={state} update={update} />
        <span class="spacer" />
        <button type="button" class="log-load-more" onClick={loadMore} disabled={loading || loaded.exhausted || n === 0}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
        <button type="button" onClick={() => download('jsonl')} disabled={n === 0}>
          Download JSON lines
        </button>
        <button type="button" onClick={() => download('csv')} disabled={n === 0}>
          Download CSV
        </button>
      </div>
      {error && <div class="error-box">{error}</div>}
      <LogList rows={loaded.rows} zone={state.utc ? 'utc' : 'local'} wrap={state.wrap} newestFirst={state.order === 'backward'} onFilter={onFilter} onContext={fetchContext} />
    </section>
  );
}
