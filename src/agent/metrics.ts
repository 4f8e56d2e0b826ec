/**
 * The agent's Prometheus metrics (issue #4 §5). One instance per agent, registered on the registry
 * it is given: the agent's own /metrics, or the server's when both run in one process (`up`).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReaderEvent, TargetKind } from './model.js';

export interface AgentMetrics {
  linesRead: Counter<'kind'>;
  bytesRead: Counter<'kind'>;
  linesShipped: Counter<'kind'>;
  bytesShipped: Counter<'kind'>;
  /** reason: a drop rule's reason, `healthcheck`, `relabel`, `rejected` (server 4xx), `malformed_record`, … */
  linesDropped: Counter<'reason'>;
  timestampParseFailures: Counter<'reason'>;
  readerEvents: Counter<'event'>;
  /** Push requests by outcome: success, retry (429/5xx/network), rejected (other 4xx). */
  requests: Counter<'status'>;
  retries: Counter;
  /** Seconds between reading the oldest unacknowledged line and now; 0 when caught up. */
  lagSeconds: Gauge;
  openFiles: Gauge;
  /** Bytes read but not yet acknowledged (memory), and bytes in the disk buffer. */
  inflightBytes: Gauge;
  bufferBytes: Gauge;
  targets: Gauge<'kind' | 'state'>;
  /** Hot reloads (issue #13): applied, or refused (a local-only setting, a configuration that does not compile). */
  configReloads: Counter<'result'>;
  /** Remote configurations by outcome: applied (passed the health window), failed (refused or rolled back), rolled_back. */
  remoteConfigs: Counter<'result'>;
}

/** `onScrape` runs before each scrape, to set the gauges that are cheaper computed then than kept up to date. */
export function createAgentMetrics(registry: Registry, onScrape?: () => void): AgentMetrics {
  const registers = [registry];
  return {
    linesRead: new Counter({
      name: 'logwharf_agent_lines_read_total',
      help: 'Log lines read from sources.',
      labelNames: ['kind'] as const,
      registers,
      collect: onScrape,
    }),
    bytesRead: new Counter({ name: 'logwharf_agent_bytes_read_total', help: 'Raw bytes read from sources.', labelNames: ['kind'] as const, registers }),
    linesShipped: new Counter({ name: 'logwharf_agent_lines_shipped_total', help: 'Log lines acknowledged by the server (or the disk buffer).', labelNames: ['kind'] as const, registers }),
    bytesShipped: new Counter({ name: 'logwharf_agent_bytes_shipped_total', help: 'Bytes of log lines acknowledged.', labelNames: ['kind'] as const, registers }),
    linesDropped: new Counter({ name: 'logwharf_agent_lines_dropped_total', help: 'Log lines not shipped, by reason.', labelNames: ['reason'] as const, registers }),
    timestampParseFailures: new Counter({
      name: 'logwharf_agent_timestamp_parse_failures_total',
      help: 'Lines a timestamp rule applied to that kept the runtime\'s time, by reason: missing, unparsable, skew.',
      labelNames: ['reason'] as const,
      registers,
    }),
    readerEvents: new Counter({ name: 'logwharf_agent_reader_events_total', help: 'Unusual input handled by readers: invalid_utf8, nul_bytes, malformed_record, split_line, truncated_file, rotation, lost_rotated.', labelNames: ['event'] as const, registers }),
    requests: new Counter({ name: 'logwharf_agent_requests_total', help: 'Push requests by outcome (success, retry, rejected).', labelNames: ['status'] as const, registers }),
    retries: new Counter({ name: 'logwharf_agent_retries_total', help: 'Push attempts retried after 429, 5xx or a network error.', registers }),
    lagSeconds: new Gauge({ name: 'logwharf_agent_lag_seconds', help: 'Age of the oldest line read but not yet acknowledged (0 when caught up).', registers }),
    openFiles: new Gauge({ name: 'logwharf_agent_open_files', help: 'Log files held open by readers.', registers }),
    inflightBytes: new Gauge({ name: 'logwharf_agent_inflight_bytes', help: 'Bytes read and not yet acknowledged, held in memory.', registers }),
    bufferBytes: new Gauge({ name: 'logwharf_agent_buffer_bytes', help: 'Bytes in the disk buffer waiting to be shipped.', registers }),
    targets: new Gauge({ name: 'logwharf_agent_targets', help: 'Targets by kind and state.', labelNames: ['kind', 'state'] as const, registers }),
    configReloads: new Counter({ name: 'logwharf_agent_config_reloads_total', help: 'Hot reloads of the configuration by result (applied, refused).', labelNames: ['result'] as const, registers }),
    remoteConfigs: new Counter({
      name: 'logwharf_agent_remote_configs_total',
      help: 'Remote configurations by outcome: applied (healthy through the health window), failed (refused, or unhealthy), rolled_back (unhealthy and undone).',
      labelNames: ['result'] as const,
      registers,
    }),
  };
}

export type { ReaderEvent, TargetKind };
