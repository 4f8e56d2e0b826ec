/**
 * The sources registry (issue #4 §5): what every agent collects, as it last reported, with the
 * coverage figure. Per tenant (issue #8): an agent reports with the tenant it ships for, and only
 * that tenant reads or overwrites what it reported; an agent shipping for two tenants reports to
 * each. Only the /metrics summary counts over all tenants (it names none).
 */
import type { Coverage, SourceKind, SourceReport, SourceState, SourceStatus, SourcesResponse, StoredSource } from '../api/sources.js';
import { createLogger, type Logger } from '../util/logger.js';
import { computeCoverage, type CoverageRow } from './coverage.js';
import { openRegistryDb } from './database.js';

/** Finished sources, and agents that stopped reporting, are forgotten after this long. */
export const PRUNE_AFTER_MS = 24 * 60 * 60 * 1000;

export const SOURCE_STATES: readonly SourceState[] = ['tailing', 'draining', 'finished', 'error', 'stopped'];

/** Exact-match filters of `GET /api/v1/sources`; absent means any. */
export interface SourcesFilter {
  state?: SourceState;
  kind?: SourceKind;
  agent?: string;
  namespace?: string;
  container?: string;
}

export interface RegistryOptions {
  /** The SQLite file, `<data>/registry.db`. */
  path: string;
  /** An agent silent for longer than this is stale (three report intervals). */
  staleAfterMs: number;
  /** Clock in ms, for tests. */
  now?: () => number;
  log?: Logger;
}

export interface SourcesRegistry {
  /**
   * Stores a tenant's agent report in one transaction; its sources missing from the report become
   * finished. A `stopping` report (a clean shutdown) marks the agent and its unfinished sources stopped.
   */
  report(tenant: string, r: SourceReport): void;
  /** The tenant's sources matching the filter, its agents, and the coverage of the sources listed. */
  list(tenant: string, filter?: SourcesFilter): SourcesResponse['data'];
  /** Source counts by state and the coverage of every source, over all tenants, for /metrics. */
  summary(): { byState: Record<SourceState, number>; coverage: Coverage };
  /** Every tenant's agents and sources in brief, for the health monitor (GET /api/v1/status). */
  health(): RegistryHealth;
  close(): void;
}

/** The registry as the health monitor reads it: server-wide, tenant by tenant. */
export interface RegistryHealth {
  agents: Array<{ tenant: string; id: string; host: string; last_report_at: string; stale: boolean; stopped: boolean }>;
  tenants: Array<{
    tenant: string;
    byState: Record<SourceState, number>;
    /** Sources in state `error` (at most FAILING_LISTED of them; `failing` counts them all). */
    failingSources: Array<{ agent_id: string; id: string; last_error: string }>;
    failing: number;
    /** Largest lag of a source being read (tailing or draining), seconds. */
    maxLagSeconds: number;
    coverage: Coverage;
  }>;
}

/** Failing sources named one by one per tenant in RegistryHealth; the rest are counted. */
export const FAILING_LISTED = 20;

interface SourceRow extends CoverageRow {
  state: SourceState;
  node: string | null;
  image: string | null;
  file: string | null;
  labels: string;
  lines_read: number;
  lines_shipped: number;
  bytes_shipped: number;
  lines_dropped: number;
  lag_seconds: number;
  last_error: string | null;
  first_seen: string;
  last_shipped_at: string | null;
  updated_ms: number;
}

interface AgentRow {
  id: string;
  host: string;
  version: string;
  started_at: string;
  last_report_ms: number;
  stopped_ms: number | null;
}

export function createRegistry(opts: RegistryOptions): SourcesRegistry {
  const now = opts.now ?? Date.now;
  const db = openRegistryDb(opts.path, opts.log ?? createLogger({ level: 'silent' }));

  const upsertAgent = db.prepare<[string, string, string, string, string, number, number | null], { report_seq: number }>(`
    INSERT INTO agents (tenant, id, host, version, started_at, last_report_ms, report_seq, stopped_ms) VALUES (?, ?, ?, ?, ?, ?, 1, ?)
    ON CONFLICT (tenant, id) DO UPDATE SET host = excluded.host, version = excluded.version, started_at = excluded.started_at,
      last_report_ms = excluded.last_report_ms, report_seq = agents.report_seq + 1, stopped_ms = excluded.stopped_ms
    RETURNING report_seq`);
  const upsertSource = db.prepare(`
    INSERT INTO sources (tenant, agent_id, id, kind, state, node, container, container_id, pod, namespace, image, file, labels,
      lines_read, lines_shipped, bytes_shipped, lines_dropped, lag_seconds, last_error, first_seen, last_shipped_at,
      updated_ms, finished_ms, seen_seq, ever_read, ever_shipped)
    VALUES (@tenant, @agent_id, @id, @kind, @state, @node, @container, @container_id, @pod, @namespace, @image, @file, @labels,
      @lines_read, @lines_shipped, @bytes_shipped, @lines_dropped, @lag_seconds, @last_error, @first_seen, @last_shipped_at,
      @now, CASE WHEN @state = 'finished' THEN @now END, @seq, @lines_read > 0, @lines_shipped > 0)
    ON CONFLICT (tenant, agent_id, id) DO UPDATE SET kind = excluded.kind, state = excluded.state, node = excluded.node,
      container = excluded.container, container_id = excluded.container_id, pod = excluded.pod, namespace = excluded.namespace,
      image = excluded.image, file = excluded.file, labels = excluded.labels, lines_read = excluded.lines_read,
      lines_shipped = excluded.lines_shipped, bytes_shipped = excluded.bytes_shipped, lines_dropped = excluded.lines_dropped,
      lag_seconds = excluded.lag_seconds, last_error = excluded.last_error, last_shipped_at = excluded.last_shipped_at,
      updated_ms = excluded.updated_ms, seen_seq = excluded.seen_seq,
      finished_ms = CASE WHEN excluded.state = 'finished' THEN COALESCE(sources.finished_ms, excluded.updated_ms) END,
      ever_read = MAX(sources.ever_read, excluded.ever_read), ever_shipped = MAX(sources.ever_shipped, excluded.ever_shipped)`);
  const finishMissing = db.prepare<[number, string, string, number]>(
    `UPDATE sources SET state = 'finished', finished_ms = ? WHERE tenant = ? AND agent_id = ? AND seen_seq < ? AND state != 'finished'`,
  );
  const pruneFinished = db.prepare<[number]>('DELETE FROM sources WHERE finished_ms IS NOT NULL AND finished_ms < ?');
  // An agent gone for a day (a node scaled away) takes its sources with it, or the registry only grows.
  const pruneAgentSources = db.prepare<[number]>('DELETE FROM sources WHERE (tenant, agent_id) IN (SELECT tenant, id FROM agents WHERE last_report_ms < ?)');
  const pruneAgents = db.prepare<[number]>('DELETE FROM agents WHERE last_report_ms < ?');
  const selectSources = db.prepare<Record<string, string | null>, SourceRow>(`
    SELECT * FROM sources
    WHERE tenant = @tenant AND (@state IS NULL OR state = @state) AND (@kind IS NULL OR kind = @kind) AND (@agent IS NULL OR agent_id = @agent)
      AND (@namespace IS NULL OR namespace = @namespace) AND (@container IS NULL OR container = @container)
    ORDER BY agent_id, id`);
  const selectAgents = db.prepare<[string], AgentRow>('SELECT id, host, version, started_at, last_report_ms, stopped_ms FROM agents WHERE tenant = ? ORDER BY id');
  const countByState = db.prepare<[], { state: SourceState; n: number }>('SELECT state, COUNT(*) AS n FROM sources GROUP BY state');
  const selectAllAgents = db.prepare<[], AgentRow & { tenant: string }>('SELECT tenant, id, host, version, started_at, last_report_ms, stopped_ms FROM agents ORDER BY tenant, id');
  const selectHealthRows = db.prepare<[], CoverageRow & { tenant: string; state: SourceState; lag_seconds: number; last_error: string | null }>(
    'SELECT tenant, agent_id, id, kind, container_id, namespace, pod, container, ever_read, ever_shipped, state, lag_seconds, last_error FROM sources ORDER BY tenant, agent_id, id',
  );
  const selectCoverageRows = db.prepare<[], CoverageRow>(
    'SELECT agent_id, id, kind, container_id, namespace, pod, container, ever_read, ever_shipped FROM sources',
  );

  const prune = (t: number) => {
    const cutoff = t - PRUNE_AFTER_MS;
    pruneFinished.run(cutoff);
    pruneAgentSources.run(cutoff);
    pruneAgents.run(cutoff);
  };

  const storeReport = db.transaction((tenant: string, r: SourceReport, t: number) => {
    const stopping = r.stopping === true;
    const { report_seq: seq } = upsertAgent.get(tenant, r.agent.id, r.agent.host, r.agent.version, r.agent.started_at, t, stopping ? t : null)!;
    for (const s of r.sources) upsertSource.run(sourceParams(tenant, r.agent.id, stopping && s.state !== 'finished' ? { ...s, state: 'stopped' } : s, t, seq));
    finishMissing.run(t, tenant, r.agent.id, seq);
    prune(t);
  });

  // A stopped agent is not stale: it said goodbye, and its sources say `stopped` instead.
  const isStale = (agent: AgentRow | undefined, t: number) => agent === undefined || (agent.stopped_ms === null && t - agent.last_report_ms > opts.staleAfterMs);

  return {
    report(tenant, r) {
      storeReport(tenant, r, now());
    },
    list(tenant, filter = {}) {
      const t = now();
      prune(t);
      const agentRows = selectAgents.all(tenant);
      const agentsById = new Map(agentRows.map((a) => [a.id, a]));
      const rows = selectSources.all({
        tenant,
        state: filter.state ?? null,
        kind: filter.kind ?? null,
        agent: filter.agent ?? null,
        namespace: filter.namespace ?? null,
        container: filter.container ?? null,
      });
      return {
        sources: rows.map((row) => toStoredSource(row, isStale(agentsById.get(row.agent_id), t))),
        agents: agentRows
          .filter((a) => filter.agent === undefined || a.id === filter.agent)
          .map((a) => ({
            id: a.id,
            host: a.host,
            version: a.version,
            started_at: a.started_at,
            last_report_at: new Date(a.last_report_ms).toISOString(),
            stale: isStale(a, t),
            ...(a.stopped_ms !== null ? { stopped_at: new Date(a.stopped_ms).toISOString() } : {}),
          })),
        coverage: computeCoverage(rows),
      };
    },
    summary() {
      const byState = Object.fromEntries(SOURCE_STATES.map((s) => [s, 0])) as Record<SourceState, number>;
      for (const { state, n } of countByState.all()) byState[state] = n;
      return { byState, coverage: computeCoverage(selectCoverageRows.iterate()) };
    },
    health() {
      const t = now();
      prune(t);
      const agents = selectAllAgents.all().map((a) => ({
        tenant: a.tenant,
        id: a.id,
        host: a.host,
        last_report_at: new Date(a.last_report_ms).toISOString(),
        stale: isStale(a, t),
        stopped: a.stopped_ms !== null,
      }));
      const byTenant = new Map<string, ReturnType<SourcesRegistry['health']>['tenants'][number] & { rows: CoverageRow[] }>();
      for (const r of selectHealthRows.iterate()) {
        let h = byTenant.get(r.tenant);
        if (!h) {
          const byState = Object.fromEntries(SOURCE_STATES.map((s) => [s, 0])) as Record<SourceState, number>;
          byTenant.set(r.tenant, (h = { tenant: r.tenant, byState, failingSources: [], failing: 0, maxLagSeconds: 0, coverage: computeCoverage([]), rows: [] }));
        }
        h.byState[r.state]++;
        h.rows.push(r);
        if (r.state === 'error') {
          h.failing++;
          if (h.failingSources.length < FAILING_LISTED) h.failingSources.push({ agent_id: r.agent_id, id: r.id, last_error: r.last_error ?? '' });
        }
        if (r.state === 'tailing' || r.state === 'draining') h.maxLagSeconds = Math.max(h.maxLagSeconds, r.lag_seconds);
      }
      const tenants = [...byTenant.values()].map(({ rows, ...h }) => ({ ...h, coverage: computeCoverage(rows) }));
      return { agents, tenants };
    },
    close() {
      if (db.open) db.close();
    },
  };
}

function sourceParams(tenant: string, agentId: string, s: SourceStatus, now: number, seq: number): Record<string, string | number | null> {
  return {
    tenant,
    agent_id: agentId,
    id: s.id,
    kind: s.kind,
    state: s.state,
    node: s.node ?? null,
    container: s.container ?? null,
    container_id: s.container_id ?? null,
    pod: s.pod ?? null,
    namespace: s.namespace ?? null,
    image: s.image ?? null,
    file: s.file ?? null,
    labels: JSON.stringify(s.labels),
    lines_read: s.lines_read,
    lines_shipped: s.lines_shipped,
    bytes_shipped: s.bytes_shipped,
    lines_dropped: s.lines_dropped,
    lag_seconds: s.lag_seconds,
    last_error: s.last_error ?? null,
    first_seen: s.first_seen,
    last_shipped_at: s.last_shipped_at ?? null,
    now,
    seq,
  };
}

function toStoredSource(row: SourceRow, stale: boolean): StoredSource {
  const out: StoredSource = {
    agent_id: row.agent_id,
    id: row.id,
    kind: row.kind,
    labels: JSON.parse(row.labels) as StoredSource['labels'],
    state: row.state,
    lines_read: row.lines_read,
    lines_shipped: row.lines_shipped,
    bytes_shipped: row.bytes_shipped,
    lines_dropped: row.lines_dropped,
    lag_seconds: row.lag_seconds,
    first_seen: row.first_seen,
    updated_at: new Date(row.updated_ms).toISOString(),
    stale,
  };
  // Optional fields stay absent rather than null, as the agent sent them.
  for (const key of ['node', 'container', 'container_id', 'pod', 'namespace', 'image', 'file', 'last_error', 'last_shipped_at'] as const) {
    const v = row[key];
    if (v !== null) out[key] = v;
  }
  return out;
}
