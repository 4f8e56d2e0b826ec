/**
 * The coverage figure: of the containers the agents have seen, how many have had logs arrive. A
 * container may appear as several sources (a pod container's restarts are separate files, two agents
 * may see one Docker container), so sources are grouped into containers first.
 */
import type { Coverage, SourceKind } from '../api/sources.js';

/** What coverage needs to know of one source. */
export interface CoverageRow {
  agent_id: string;
  id: string;
  kind: SourceKind;
  container_id: string | null;
  namespace: string | null;
  pod: string | null;
  container: string | null;
  /** The source has read a line at some point (sticky across agent restarts, which reset counters). */
  ever_read: number;
  /** A line of the source was acknowledged by the server at some point (sticky, as ever_read). */
  ever_shipped: number;
}

export function computeCoverage(rows: Iterable<CoverageRow>): Coverage {
  const containers = new Map<string, { read: boolean; shipped: boolean }>();
  for (const r of rows) {
    const key = containerKey(r);
    if (key === undefined) continue;
    const c = containers.get(key) ?? { read: false, shipped: false };
    c.read ||= r.ever_read > 0;
    c.shipped ||= r.ever_shipped > 0;
    containers.set(key, c);
  }
  let withLogs = 0;
  let silent = 0;
  for (const c of containers.values()) {
    if (c.shipped) withLogs++;
    // A container whose lines arrived is not silent even if an agent reported it inconsistently;
    // this keeps the ratio within [0, 1].
    else if (!c.read) silent++;
  }
  const seen = containers.size;
  const collectable = seen - silent;
  return { containers_seen: seen, containers_with_logs: withLogs, containers_silent: silent, ratio: collectable === 0 ? 1 : withLogs / collectable };
}

/** One key per container: Docker by container id, Kubernetes by namespace/pod/container; files are not containers. */
function containerKey(r: CoverageRow): string | undefined {
  if (r.kind === 'docker') return r.container_id ? `docker\0${r.container_id}` : `docker-source\0${r.agent_id}\0${r.id}`;
  if (r.kind === 'kubernetes') {
    if (r.namespace && r.pod && r.container) return `k8s\0${r.namespace}\0${r.pod}\0${r.container}`;
    return `k8s-source\0${r.agent_id}\0${r.id}`;
  }
  return undefined;
}
