/** Reading a prom-client registry in tests: the sum of a metric's values whose labels match. */
import type { Registry } from 'prom-client';

export async function metricSum(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name} in the registry`);
  const values = (await m.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return values.reduce((s, v) => s + v.value, 0);
}
