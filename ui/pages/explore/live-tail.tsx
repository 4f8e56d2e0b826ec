/**
 * Live tail (`/explore?query=…&live=true`): the lines of a log query as they arrive, over the
 * server's WebSocket tail. Pause holds new lines (counted, kept up to the cap) until Resume; the cap
 * (1k/10k/50k lines, oldest dropped first) bounds memory; notices say how many lines the cap and the
 * server dropped; an unexpected close reconnects with backoff and says so. Leaving live mode or the
 * page closes the socket.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getTenant } from '../../lib/tenant.js';
import { msToNs } from '../../lib/time.js';
import type { ExploreProps } from './explore.js';
import { CAPS, DEFAULT_CAP, TailBuffer } from './tail-buffer.js';
import { openTailSocket, type TailStatus } from './tail-socket.js';
import { LogList, type LineFilter } from '../../components/log-list/log-list.js';
import { addNs, fetchContext } from '../../lib/log-query.js';
import { ViewOptions } from './view-options.js';
import { QueryEditError, withLineFilter } from './query-edit.js';
import { setQueryError } from './query-error.js';
import './live-tail.css';

/** Lines of history shown when the tail opens (the newest of the last hour). */
const HISTORY_LINES = 100;
const HISTORY_MS = 3600_000;
/** Lines asked for after a reconnect, to fill the gap since the last line received. */
const GAP_LINES = 1000;

export function LiveTail({ state, update }: ExploreProps) {
  const buffer = useMemo(() => new TailBuffer(DEFAULT_CAP), []);
  const [, setVersion] = useState(0);
  const rerender = () => setVersion((v) => v + 1);
  const [status, setStatus] = useState<TailStatus>({ kind: 'connecting' });
  const [filterError, setFilterError] = useState<string | undefined>(undefined);
  const tenant = getTenant();

  useEffect(() => {
    if (!state.query.trim()) return;
    buffer.clear();
    buffer.lastTsNs = undefined;
    rerender();
    const sock = openTailSocket({
      query: state.query,
      from: () => {
        const last = buffer.lastTsNs;
        return last ? { start: addNs(last, 1), limit: GAP_LINES } : { start: msToNs(Date.now() - HISTORY_MS), limit: HISTORY_LINES };
      },
      onFrames: (frames) => {
        buffer.addFrames(frames);
        rerender();
      },
      onStatus: (s) => {
        setStatus(s);
        // A query the server refuses is shown (and its position underlined) by the query bar.
        if (s.kind === 'live') setQueryError(undefined);
        else if (s.kind === 'failed' && s.error) setQueryError(s.error);
      },
    });
    return () => sock.close();
  }, [state.query, tenant]);

  if (!state.query.trim()) return <div class="empty">Write a log query to tail, such as {'{job="app"}'}.</div>;

  const onFilter = (f: LineFilter) => {
    try {
      const query = withLineFilter(state.query, f);
      setFilterError(undefined);
      // A new query restarts the tail with it.
      if (query !== state.query) update({ query });
    } catch (e) {
      if (!(e instanceof QueryEditError)) throw e;
      setFilterError(`Cannot add this filter: ${e.message}.`);
    }
  };
  return (
    <section class="live-tail" aria-label="Live tail">
      <div class="tail-toolbar">
        <StatusBadge status={status} paused={buffer.paused} held={buffer.held.length} />
        <button
          type="button"
          class="tail-pause"
          onClick={() => {
            if (buffer.paused) buffer.resume();
            else buffer.pause();
            rerender();
          }}
        >
          {buffer.paused ? 'Resume' : 'Pause'}
        </button>
        <label>
          Keep{' '}
          <select
            class="tail-cap"
            aria-label="Lines kept"
            value={String(buffer.cap)}
            onChange={(e) => {
              buffer.setCap(Number((e.target as HTMLSelectElement).value));
              rerender();
            }}
          >
            {CAPS.map((c) => (
              <option value={String(c)}>{c.toLocaleString('en-US')} lines</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => (buffer.clear(), rerender())}>
          Clear
        </button>
        <ViewOptions state={state} update={update} />
        <span class="tail-count">{buffer.received.toLocaleString('en-US')} lines received</span>
      </div>
      {status.kind === 'failed' && !status.error && (
        <div class="error-box" role="alert">
          {status.message}
        </div>
      )}
      {buffer.droppedByCap > 0 && (
        <div class="tail-notice tail-notice-cap" role="status">
          {buffer.droppedByCap.toLocaleString('en-US')} older lines were dropped to keep at most {buffer.cap.toLocaleString('en-US')} lines.
        </div>
      )}
      {buffer.droppedByServer > 0 && (
        <div class="tail-notice tail-notice-server" role="status">
          The server dropped {buffer.droppedByServer.toLocaleString('en-US')} lines because this browser could not receive them fast enough.
        </div>
      )}
      {filterError && <div class="error-box">{filterError}</div>}
      {buffer.rows.length === 0 ? (
        <div class="empty">{buffer.paused ? 'Paused.' : 'Waiting for lines…'}</div>
      ) : (
        <LogList rows={buffer.rows} zone={state.utc ? 'utc' : 'local'} wrap={state.wrap} newestFirst={state.order === 'backward'} onFilter={onFilter} onContext={fetchContext} label="Live tail lines" />
      )}
    </section>
  );
}

function StatusBadge({ status, paused, held }: { status: TailStatus; paused: boolean; held: number }) {
  if (paused) {
    return (
      <span class="tail-status tail-status-paused" role="status">
        Paused · {held.toLocaleString('en-US')} new lines
      </span>
    );
  }
  switch (status.kind) {
    case 'live':
      return <span class="tail-status tail-status-live" role="status">Live</span>;
    case 'connecting':
      return <span class="tail-status tail-status-connecting" role="status">Connecting…</span>;
    case 'reconnecting':
      return (
        <span class="tail-status tail-status-reconnecting" role="status" title={status.reason}>
          Reconnecting in {Math.max(1, Math.round(status.inMs / 1000))} s (attempt {status.attempt}): {status.reason}
        </span>
      );
    case 'failed':
      return <span class="tail-status tail-status-failed" role="status">Stopped</span>;
  }
}
