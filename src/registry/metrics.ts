/** The registry on /metrics: sources by state and the coverage ratio, read from SQLite at scrape time. */
import { Gauge, type Registry } from 'prom-client';
import { SOURCE_STATES, type SourcesRegistry } from './registry.js';

/** `get` answers undefined before the server has started (the registry is not open yet). */
export function registerRegistryMetrics(prom: Registry, get: () => SourcesRegistry | undefined): void {
  // Set by the sources gauge's collect, which a scrape runs just before (registration order): one
  // read of the registry per scrape.
  const ratio = new Gauge({
    name: 'logwharf_registry_coverage_ratio',
    help: 'Containers whose logs arrived / containers seen that have written logs (1 when there is nothing to collect).',
    registers: [],
  });
  new Gauge({
    name: 'logwharf_registry_sources',
    help: 'Sources in the registry by state (tailing, draining, finished, error), over all agents.',
    labelNames: ['state'] as const,
    registers: [prom],
    collect() {
      this.reset();
      ratio.reset();
      const r = get();
      if (!r) return;
      const { byState, coverage } = r.summary();
      for (const state of SOURCE_STATES) this.set({ state }, byState[state]);
      ratio.set(coverage.ratio);
    },
  });
  prom.registerMetric(ratio);
}
