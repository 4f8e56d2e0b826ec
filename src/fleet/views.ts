/** The fleet's rows as the API shows them (src/api/fleet.ts), and the summary for GET /api/v1/status. */
import type { WireAgent, WireConfig, WireHistory, WireRollout, WireRolloutStep, RolloutState } from '../api/fleet.js';
import { formatSelector } from '../api/fleet.js';
import { formatDuration } from '../logql/syntax/index.js';
import type { AgentRow, ConfigRow, FleetStore, RolloutRow } from './fleet-store.js';
import { RUNNING_PHASES } from './fleet-store.js';
import { winningConfig } from './selector.js';
import { lineDiff } from './diff.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function rolloutState(phase: RolloutRow['phase']): RolloutState {
  return RUNNING_PHASES.includes(phase) ? 'running' : (phase as RolloutState);
}

export function wireRollout(store: FleetStore, r: RolloutRow, withSteps: boolean): WireRollout {
  const out: WireRollout = {
    id: r.id,
    config: r.name,
    version: r.version,
    from_version: r.from_version,
    state: rolloutState(r.phase),
    phase: r.phase,
    canary: r.canary,
    window: formatDuration(r.window_ms * 1_000_000),
    reason: r.reason,
    created_at: iso(r.created_ms),
    phase_since: iso(r.phase_ms),
    finished_at: r.finished_ms === null ? null : iso(r.finished_ms),
  };
  if (withSteps) {
    out.steps = store.steps(r.id).map((s): WireRolloutStep => ({
      agent: s.uid,
      host: store.getAgent(s.uid)?.host ?? '',
      wave: s.wave,
      state: s.state,
      offered_at: iso(s.offered_ms),
      applied_at: s.applied_ms === null ? null : iso(s.applied_ms),
      error: s.error,
    }));
  }
  return out;
}

export function wireAgent(store: FleetStore, configs: ConfigRow[], a: AgentRow, live: boolean): WireAgent {
  const c = winningConfig(configs, a);
  const version = c && a.rc_status === 'applied' && a.rc_hash !== '' ? (store.versionByHash(c.name, a.rc_hash)?.version ?? null) : null;
  return {
    id: a.uid,
    host: a.host,
    cluster: a.cluster,
    role: a.role,
    type: a.type,
    config: c?.name ?? '',
    config_version: version,
    healthy: a.healthy === null ? null : a.healthy === 1,
    health_status: a.health_status,
    last_error: a.health_error,
    connected: a.connected === 1,
    stale: a.connected === 1 && !live,
    last_seen: iso(a.last_seen_ms),
    remote_config_status: a.rc_status,
    remote_config_hash: a.rc_hash,
    remote_config_error: a.rc_error,
    effective_config_hash: a.effective_hash,
    attributes: { ...(JSON.parse(a.non_identifying) as Record<string, string>), ...(JSON.parse(a.identifying) as Record<string, string>) },
  };
}

export function wireConfigs(store: FleetStore): WireConfig[] {
  return store.listConfigs().map((c) => ({
    name: c.name,
    selector: formatSelector(c.selector),
    latest_version: store.latestVersion(c.name)?.version ?? 0,
    good_version: c.good_version,
    running_rollout: store.runningRolloutOf(c.name)?.id ?? null,
  }));
}

export function wireHistory(store: FleetStore, c: ConfigRow): WireHistory {
  let before = '';
  return {
    config: c.name,
    selector: formatSelector(c.selector),
    good_version: c.good_version,
    versions: store.versions(c.name).map((v) => {
      const diff = v.version === 1 ? '' : lineDiff(before, v.body);
      before = v.body;
      return { version: v.version, hash: v.hash, selector: v.selector, created_at: iso(v.created_ms), author: v.author, comment: v.comment, diff };
    }),
  };
}

/** What GET /api/v1/status shows of the fleet: plain JSON. */
export interface FleetSummary {
  agents: {
    total: number;
    /** Connected and heartbeating within fleet.stale_after. */
    connected: number;
    /** Connected by their last word, but silent for longer than fleet.stale_after. */
    stale: number;
    /** Live agents that report themselves unhealthy. */
    unhealthy: number;
    /** Said goodbye (agent_disconnect). */
    disconnected: number;
    /** Live agents by the configuration version they report applied (`version` null: none of ours). */
    by_config_version: Array<{ config: string; version: number | null; agents: number }>;
  };
  rollouts: { running: Array<{ id: number; config: string; version: number; phase: string; since: string }> };
}

export function fleetSummary(store: FleetStore, isLive: (a: AgentRow) => boolean): FleetSummary {
  const configs = store.listConfigs();
  const agents = store.listAgents();
  const byVersion = new Map<string, { config: string; version: number | null; agents: number }>();
  let connected = 0;
  let stale = 0;
  let unhealthy = 0;
  let disconnected = 0;
  for (const a of agents) {
    if (a.connected === 0) {
      disconnected++;
      continue;
    }
    if (!isLive(a)) {
      stale++;
      continue;
    }
    connected++;
    if (a.healthy === 0) unhealthy++;
    const w = wireAgent(store, configs, a, true);
    const key = `${w.config}\0${w.config_version}`;
    const e = byVersion.get(key) ?? { config: w.config, version: w.config_version, agents: 0 };
    e.agents++;
    byVersion.set(key, e);
  }
  return {
    agents: { total: agents.length, connected, stale, unhealthy, disconnected, by_config_version: [...byVersion.values()] },
    rollouts: { running: store.runningRollouts().map((r) => ({ id: r.id, config: r.name, version: r.version, phase: r.phase, since: iso(r.phase_ms) })) },
  };
}
