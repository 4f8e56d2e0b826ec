/**
 * `GET /api/v1/sources` as the UI reads it (the sources registry, docs/api.md "Sources registry").
 * The server's own types are src/api/sources.ts; the UI imports nothing from src, so the fields it
 * uses are restated here.
 */
export type SourceKind = 'docker' | 'kubernetes' | 'file';
export type SourceState = 'tailing' | 'draining' | 'finished' | 'error' | 'stopped';

export interface Source {
  agent_id: string;
  /** Unique within the agent: `docker:<id>`, `k8s:<uid>/<container>/<n>`, `file:<path>`. */
  id: string;
  kind: SourceKind;
  node?: string;
  container?: string;
  container_id?: string;
  pod?: string;
  namespace?: string;
  image?: string;
  file?: string;
  /** The stream labels its lines carry (after relabelling), without `stream`. */
  labels: Record<string, string>;
  state: SourceState;
  lines_read: number;
  lines_shipped: number;
  bytes_shipped: number;
  lines_dropped: number;
  lag_seconds: number;
  last_error?: string;
  first_seen: string;
  last_shipped_at?: string;
  updated_at: string;
  /** Its agent has not reported for three report intervals. */
  stale: boolean;
}

export interface Agent {
  id: string;
  host: string;
  version: string;
  started_at: string;
  last_report_at: string;
  stale: boolean;
  stopped_at?: string;
}

export interface Coverage {
  containers_seen: number;
  containers_with_logs: number;
  containers_silent: number;
  ratio: number;
}

export interface SourcesData {
  sources: Source[];
  agents: Agent[];
  coverage: Coverage;
}
