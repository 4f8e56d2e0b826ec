/** The registry on /metrics: sources by state and the coverage ratio, read from SQLite at scrape time. */
import { Gauge, type Registry } from 'prom-client';
import { SOURCE_STATES, type SourcesRegistry } from './registry.js';

/** `get` answers undefined before the server has started (the registry is not open yet). */
export function registerRegistryMetrics(prom: Registry, get: () => SourcesRegistry | undefined): void {
  new Gauge({
    name: 'logharbor_registry_sources',
    help: 'Sources in the registry by state (tailing, draining, finished, error), over all agents.',
    labelNames: ['state'] as const,
    registers: [prom],
    collect() {
      this.reset();
      const r = get();
      if (!r) return;
      const { byState } = r.summary();
      for (const state of SOURCE_STATES) this.set({ state }, byState[state]);
    },
  });
  new Gauge({
    name: 'logharbor_registry_coverage_ratio',
    help: 'Containers whose logs arrived / containers seen that have written logs (1 when there is nothing to collect).',
    registers: [prom],
    collect() {
      const r = get();
      if (r) this.set(r.summary().coverage.ratio);
    },
  });
}
