/**
 * Which parts of a running agent a new configuration touches (hot reload, issue #13): only those are
 * rebuilt. Each part lists the settings it is built from.
 */
import type { AgentConfig } from '../config/agent.js';
import { sameValue } from '../config/agent-remote.js';

export type AgentPart = 'pipeline' | 'shipper' | 'readers' | 'docker' | 'kubernetes' | 'files' | 'positions';

/** The settings each part is built from (local-only ones are refused before, see src/config/agent-remote.ts). */
const PARTS: Record<AgentPart, (c: AgentConfig) => unknown> = {
  pipeline: (c) => [c.pipeline, c.client.external_labels, c.max_line_bytes],
  shipper: (c) => {
    const { external_labels: _labels, ...client } = c.client;
    return [client, c.max_inflight_bytes];
  },
  readers: (c) => [c.max_line_bytes, c.poll_interval, c.read_coalesce, c.deleted_file_grace],
  // resource_metrics is read at scrape time: it needs no restart of the discovery.
  docker: (c) => ({ ...c.docker, resource_metrics: undefined }),
  kubernetes: (c) => ({ ...c.kubernetes, resource_metrics: undefined }),
  files: (c) => c.files,
  positions: (c) => c.positions_sync,
};

/** The parts whose settings differ, in the order they are applied. */
export function changedParts(a: AgentConfig, b: AgentConfig): AgentPart[] {
  return (Object.keys(PARTS) as AgentPart[]).filter((p) => !sameValue(PARTS[p](a), PARTS[p](b)));
}
