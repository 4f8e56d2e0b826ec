/** The ruler's storage metrics, registered once per registry (a server role may open its repository again). */
import { Counter, type Registry } from 'prom-client';

export function rulerCounter(registry: Registry | undefined, name: string, help: string): Counter {
  const existing = registry?.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, registers: registry ? [registry] : [] });
}
