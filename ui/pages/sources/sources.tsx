/**
 * Sources: every container, pod and file the agents collect (the sources registry, GET
 * /api/v1/sources), refreshed every 10 s. Sources needing attention come first and stand out (row
 * colour, an icon and words); each name opens Explore on that source's lines. The filter is in the
 * URL (`/sources?filter=web`) so a link keeps it.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../lib/api.js';
import { navigate, useRoute } from '../../lib/route.js';
import type { UiSettings } from '../../lib/settings.js';
import { usePolling } from '../../components/poll.js';
import { RelativeTime } from '../../components/relative-time.js';
import { formatBytes, formatLag, matchesFilter, sortSources, sourceHealth, sourceName, streamSelector, type Attention } from './model.js';
import type { Agent, Coverage, Source, SourcesData } from './types.js';
import './sources.css';

export const SOURCES_REFRESH_MS = 10_000;

export function SourcesPage(_props: { settings: UiSettings }) {
  const route = useRoute();
  const filter = route.params.get('filter') ?? '';
  const [data, setData] = useState<SourcesData | undefined>();
  const [error, setError] = useState<string | undefined>();
  usePolling(async (signal) => {
    try {
      const body = await api<{ data: SourcesData }>('/api/v1/sources', {}, { signal });
      setData(body.data);
      setError(undefined);
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }, SOURCES_REFRESH_MS);

  const sources = data ? sortSources(data.sources.filter((s) => matchesFilter(s, filter))) : [];
  const trouble = data ? data.sources.filter((s) => sourceHealth(s).attention === 'bad').length : 0;
  return (
    <div class="sources-page">
      <div class="sources-head">
        <h1>Sources</h1>
        {data && <CoverageFigure coverage={data.coverage} />}
        {data && trouble > 0 && (
          <div class="sources-trouble" role="status">
            ⚠ {trouble} source{trouble === 1 ? '' : 's'} not delivering
          </div>
        )}
        <span class="spacer" />
        <label class="sources-filter">
          Filter{' '}
          <input
            type="search"
            placeholder="name, agent, state, label…"
            value={filter}
            onInput={(e) => navigate('sources', { filter: (e.target as HTMLInputElement).value }, true)}
          />
        </label>
      </div>
      {error && (
        <div class="error-box" role="alert">
          Could not load the sources registry: {error}
        </div>
      )}
      {!data ? (
        !error && <div class="empty">Loading sources…</div>
      ) : data.sources.length === 0 && data.agents.length === 0 ? (
        <NoAgents />
      ) : (
        <>
          {sources.length === 0 ? (
            <div class="empty">{data.sources.length === 0 ? 'The agents report no source yet.' : `No source matches “${filter}”.`}</div>
          ) : (
            <SourcesTable sources={sources} />
          )}
          <AgentsList agents={data.agents} />
        </>
      )}
    </div>
  );
}

function CoverageFigure({ coverage: c }: { coverage: Coverage }) {
  const pct = Math.floor(c.ratio * 1000) / 10;
  const attention: Attention = c.ratio >= 1 ? 'ok' : 'bad';
  const collectable = c.containers_seen - c.containers_silent;
  return (
    <div class={`coverage attention-${attention}`} title="Containers with at least one line received, out of the containers that have written something. Files are not counted.">
      <span class="coverage-label">Coverage</span>
      <span class="coverage-value">{pct} %</span>
      <span class="coverage-detail">
        {c.containers_with_logs} of {collectable} container{collectable === 1 ? '' : 's'} with logs
        {c.containers_silent > 0 && `, ${c.containers_silent} silent (no line written yet)`}
      </span>
    </div>
  );
}

const ICON: Record<Attention, string> = { bad: '✕', warn: '⚠', ok: '●', done: '✓' };

function SourcesTable({ sources }: { sources: Source[] }) {
  return (
    <table class="grid sources-table">
      <thead>
        <tr>
          <th>Source</th>
          <th>Kind</th>
          <th>Agent</th>
          <th>State</th>
          <th>Lag</th>
          <th>Lines</th>
          <th>Bytes</th>
          <th>Last error</th>
          <th>Last line</th>
        </tr>
      </thead>
      <tbody>
        {sources.map((s) => (
          <SourceRow key={`${s.agent_id}\n${s.id}`} s={s} />
        ))}
      </tbody>
    </table>
  );
}

function SourceRow({ s }: { s: Source }) {
  const h = sourceHealth(s);
  const name = sourceName(s);
  const selector = streamSelector(s);
  const href = selector ? `/explore?${new URLSearchParams({ query: selector })}` : undefined;
  return (
    <tr class={`source-row attention-${h.attention}`} data-source={name}>
      <td class="source-name">
        {href ? (
          <a
            href={href}
            title={`Open ${selector} in Explore`}
            onClick={(e) => {
              if (e.ctrlKey || e.metaKey || e.shiftKey) return;
              e.preventDefault();
              navigate('explore', { query: selector });
            }}
          >
            {name}
          </a>
        ) : (
          name
        )}
        {s.image && <div class="source-sub">{s.image}</div>}
        {s.kind !== 'file' && s.file && <div class="source-sub" title={s.file}>{s.file}</div>}
      </td>
      <td>{s.kind}</td>
      <td>{s.agent_id}</td>
      <td class="source-status" title={h.why}>
        <span class="status-icon" aria-hidden="true">
          {ICON[h.attention]}
        </span>{' '}
        {h.status}
        {h.status !== s.state && <div class="source-sub">{s.state}</div>}
      </td>
      <td class="num">{formatLag(s.lag_seconds)}</td>
      <td class="num" title={`${s.lines_read} read, ${s.lines_shipped} received by the server, ${s.lines_dropped} dropped`}>
        {s.lines_shipped.toLocaleString('en')}
        {s.lines_dropped > 0 && <div class="source-sub dropped">{s.lines_dropped.toLocaleString('en')} dropped</div>}
      </td>
      <td class="num">{formatBytes(s.bytes_shipped)}</td>
      <td class="source-error">{s.last_error ?? ''}</td>
      <td>
        <RelativeTime time={s.last_shipped_at} never="no line yet" />
      </td>
    </tr>
  );
}

function AgentsList({ agents }: { agents: Agent[] }) {
  if (agents.length === 0) return null;
  return (
    <section class="agents">
      <h2>Agents</h2>
      <table class="grid agents-table">
        <thead>
          <tr>
            <th>Agent</th>
            <th>Host</th>
            <th>Version</th>
            <th>Started</th>
            <th>Last report</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => {
            const attention: Attention = a.stale ? 'bad' : a.stopped_at ? 'warn' : 'ok';
            return (
              <tr key={a.id} class={`agent-row attention-${attention}`}>
                <td>{a.id}</td>
                <td>{a.host}</td>
                <td>{a.version}</td>
                <td>
                  <RelativeTime time={a.started_at} />
                </td>
                <td>
                  <RelativeTime time={a.last_report_at} />
                </td>
                <td>
                  <span aria-hidden="true">{ICON[attention]}</span>{' '}
                  {a.stale ? 'not reporting' : a.stopped_at ? 'stopped' : 'reporting'}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function NoAgents() {
  const server = location.origin;
  return (
    <div class="empty sources-empty">
      <p>No agent has reported to this server yet, so there is nothing to list.</p>
      <p>Start an agent on each host whose containers, pods or files you want collected:</p>
      <pre>logwharf agent --server {server}</pre>
      <p>
        or run <code>logwharf up</code> on a single Docker host (the server and an agent in one). Agents report what they collect every 10 s.
      </p>
    </div>
  );
}
