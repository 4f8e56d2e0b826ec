/**
 * The sources registry's wire format (issue #4 §5), shared by the agent (which reports) and the
 * server (which stores and serves). `POST /api/v1/sources` takes a SourceReport; `GET
 * /api/v1/sources` answers a SourcesResponse. These are logwharf's own endpoints: Loki has none, so
 * an agent shipping to Loki turns reporting off when the POST answers 404.
 */
import type { Labels } from './model.js';

export const SOURCES_PATH = '/api/v1/sources';

export type SourceKind = 'docker' | 'kubernetes' | 'file';

/**
 * tailing: being read · draining: gone, being read to the end · finished: read to the end · error:
 * last attempt failed · stopped: its agent shut down cleanly before finishing it (set by the server
 * from a `stopping` report; the agent resumes it from its saved position when it starts again).
 */
export type SourceState = 'tailing' | 'draining' | 'finished' | 'error' | 'stopped';

export interface SourceStatus {
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
  /** Final stream labels (after relabelling), without `stream`. */
  labels: Labels;
  state: SourceState;
  lines_read: number;
  lines_shipped: number;
  bytes_shipped: number;
  lines_dropped: number;
  /** Age in seconds of the oldest line read but not acknowledged; 0 when caught up. */
  lag_seconds: number;
  last_error?: string;
  /** RFC 3339. */
  first_seen: string;
  /** RFC 3339 time the newest acknowledged line was read, if any. */
  last_shipped_at?: string;
}

export interface SourceReport {
  agent: { id: string; host: string; version: string; started_at: string };
  /** Every source the agent knows; sources of this agent missing from a report are marked finished. */
  sources: SourceStatus[];
  /** The agent's last report before a clean shutdown: its unfinished sources become `stopped`. */
  stopping?: boolean;
}

export interface StoredSource extends SourceStatus {
  agent_id: string;
  /** RFC 3339 time of the report that last mentioned this source. */
  updated_at: string;
  /** The agent has not reported for three report intervals. */
  stale: boolean;
}

export interface Coverage {
  /** Containers (docker and kubernetes sources) the agents have seen. */
  containers_seen: number;
  /** Of those, containers with at least one line acknowledged by the server. */
  containers_with_logs: number;
  /** Containers that have not written a line yet (nothing to collect). */
  containers_silent: number;
  /** containers_with_logs / (containers_seen − containers_silent); 1 when there is nothing to collect. */
  ratio: number;
}

export interface SourcesResponse {
  status: 'success';
  data: {
    sources: StoredSource[];
    /** `stopped_at`: the agent shut down cleanly then (it is not stale; its next report clears it). */
    agents: Array<{ id: string; host: string; version: string; started_at: string; last_report_at: string; stale: boolean; stopped_at?: string }>;
    coverage: Coverage;
  };
}
