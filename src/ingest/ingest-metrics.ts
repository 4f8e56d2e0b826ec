/**
 * Ingest counters. Names follow Loki's (loki_distributor_lines_received_total,
 * loki_discarded_samples_total{reason}) under our prefix, so Loki dashboards translate directly.
 */
import { Counter, Registry } from 'prom-client';

export interface IngestMetrics {
  linesReceived: Counter<'tenant'>;
  bytesReceived: Counter<'tenant'>;
  discardedEntries: Counter<'tenant' | 'reason'>;
  discardedBytes: Counter<'tenant' | 'reason'>;
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  // A registry can be shared by several services (tests, restarts in one process): reuse the metric.
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  return {
    linesReceived: counter(registry, 'logwharf_distributor_lines_received_total', 'Log entries received by push, per tenant, before validation.', ['tenant']),
    bytesReceived: counter(registry, 'logwharf_distributor_bytes_received_total', 'Uncompressed bytes of lines and structured metadata received by push, per tenant.', ['tenant']),
    discardedEntries: counter(registry, 'logwharf_discarded_entries_total', 'Log entries rejected, by tenant and reason (Loki: loki_discarded_samples_total).', ['tenant', 'reason']),
    discardedBytes: counter(registry, 'logwharf_discarded_bytes_total', 'Bytes of log entries rejected, by tenant and reason (Loki: loki_discarded_bytes_total).', ['tenant', 'reason']),
  };
}
