/** The fleet on /metrics, read from fleet.db at scrape time: agents by state, rollouts by state, configuration versions. */
import { Gauge, type Registry } from 'prom-client';
import type { AgentRow, FleetStore, RolloutPhase } from './fleet-store.js';

const AGENT_STATES = ['healthy', 'unhealthy', 'stale', 'disconnected'] as const;
const PHASES: readonly RolloutPhase[] = ['pending', 'canary', 'window', 'rest', 'succeeded', 'rolled_back', 'failed'];

/** `get` answers undefined while the fleet is not started. */
export function registerFleetMetrics(prom: Registry, get: () => { store: FleetStore; isLive(a: AgentRow): boolean } | undefined): void {
  new Gauge({
    name: 'logwharf_fleet_agents',
    help: 'Agents known to the control plane by state: healthy (live, not reporting unhealthy), unhealthy, stale (silent longer than fleet.stale_after), disconnected.',
    labelNames: ['state'] as const,
    registers: [prom],
    collect() {
      this.reset();
      const f = get();
      if (!f) return;
      const n = { healthy: 0, unhealthy: 0, stale: 0, disconnected: 0 };
      for (const a of f.store.listAgents()) {
        if (a.connected === 0) n.disconnected++;
        else if (!f.isLive(a)) n.stale++;
        else if (a.healthy === 0) n.unhealthy++;
        else n.healthy++;
      }
      for (const s of AGENT_STATES) this.set({ state: s }, n[s]);
    },
  });
  new Gauge({
    name: 'logwharf_fleet_rollouts',
    help: 'Rollouts by state machine state (pending, canary, window, rest are running; succeeded, rolled_back, failed ended).',
    labelNames: ['state'] as const,
    registers: [prom],
    collect() {
      this.reset();
      const f = get();
      if (!f) return;
      const counts = new Map(f.store.countRolloutsByPhase().map((r) => [r.phase, r.n]));
      for (const p of PHASES) this.set({ state: p }, counts.get(p) ?? 0);
    },
  });
  new Gauge({
    name: 'logwharf_fleet_config_versions',
    help: 'Configuration versions stored, over all configurations (every change is kept).',
    registers: [prom],
    collect() {
      const f = get();
      this.set(f ? f.store.countVersions() : 0);
    },
  });
}
