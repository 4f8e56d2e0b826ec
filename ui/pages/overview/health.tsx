/**
 * The server's own health (`GET /api/v1/status/overview`): this tenant's ingest rate, query latency,
 * disk used by the data directory, and the retention rules with what they keep.
 */
import { api } from '../../lib/api.js';
import { Panel } from './panel.js';
import { usePanel } from './use-panel.js';
import { formatBytes, formatRate, formatSeconds } from './overview-data.js';

/** The endpoint's answer (src/web/overview-status.ts). */
export interface OverviewStatus {
  ingest: { windowSeconds: number; linesPerSecond: number; bytesPerSecond: number; storeEntriesPerSecond: number };
  queryLatency: { windowSeconds: number; requests: number; p50Seconds: number | null; p99Seconds: number | null };
  disk: { usedBytes: number; files: number; measuredAt: number } | { error: string };
  retention: { period: string; streams: Array<{ selector: string; period: string; priority: number }>; compactionInterval: string };
}

export function HealthPanel({ tick, tenant }: { tick: number; tenant: string }) {
  const state = usePanel<OverviewStatus>((signal) => api<OverviewStatus>('/api/v1/status/overview', {}, { signal }), [tick, tenant]);
  return (
    <Panel title="Server health" name="health" state={state}>
      {(s) => (
        <div class="health">
          <dl class="health-figures">
            <div class="figure ingest-lines">
              <dt>Ingest</dt>
              <dd>
                <span class="value">{formatRate(s.ingest.linesPerSecond)}</span> lines/s
              </dd>
            </div>
            <div class="figure ingest-bytes">
              <dt>Ingest volume</dt>
              <dd>
                <span class="value">{formatBytes(s.ingest.bytesPerSecond)}</span>/s
              </dd>
            </div>
            <div class="figure latency">
              <dt>Query latency p50 / p99</dt>
              <dd>
                {s.queryLatency.p50Seconds === null || s.queryLatency.p99Seconds === null ? (
                  <span class="value">no queries yet</span>
                ) : (
                  <span class="value">
                    {formatSeconds(s.queryLatency.p50Seconds)} / {formatSeconds(s.queryLatency.p99Seconds)}
                  </span>
                )}
              </dd>
            </div>
            <div class="figure disk">
              <dt>Disk used</dt>
              <dd>{'error' in s.disk ? <span class="value">{s.disk.error}</span> : <span class="value">{formatBytes(s.disk.usedBytes)}</span>}</dd>
            </div>
          </dl>
          <p class="health-note">
            Rates over the last {Math.max(1, s.ingest.windowSeconds)} s ({s.queryLatency.requests.toLocaleString('en-US')} queries); all tenants together append {formatRate(s.ingest.storeEntriesPerSecond)} lines/s.
          </p>
          <div class="retention">
            <h3>Retention</h3>
            <p class="retention-period">
              {isForever(s.retention.period) ? 'Lines are kept forever' : `Lines are kept for ${s.retention.period}`}
              {s.retention.streams.length > 0 ? ' unless a rule below matches their stream' : ''}; older lines are deleted when compaction runs (every {s.retention.compactionInterval}).
            </p>
            {s.retention.streams.length > 0 && (
              <table class="grid retention-rules">
                <thead>
                  <tr>
                    <th>Streams</th>
                    <th>Kept for</th>
                    <th class="num">Priority</th>
                  </tr>
                </thead>
                <tbody>
                  {s.retention.streams.map((r) => (
                    <tr key={r.selector}>
                      <td class="mono">{r.selector}</td>
                      <td>{isForever(r.period) ? 'forever' : r.period}</td>
                      <td class="num">{r.priority}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </div>
      )}
    </Panel>
  );
}

/** A period of zero keeps lines forever (the store's rule). */
function isForever(period: string): boolean {
  return /^0+[a-z]*$/.test(period.trim());
}
