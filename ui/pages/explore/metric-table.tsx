/** A metric query's answer as a table: each series' labels and its last value (matrix) or value (vector, scalar). */
import type { QueryData } from '../../lib/loki.js';
import { formatTime } from '../../lib/time.js';
import { formatValue, tableRows, toNumber } from './metric-data.js';

export function MetricTable({ data, utc }: { data: Exclude<QueryData, { resultType: 'streams' }>; utc: boolean }) {
  const rows = tableRows(data);
  if (rows.length === 0) return <div class="empty">The query returned no series.</div>;
  return (
    <table class="grid metric-table">
      <thead>
        <tr>
          <th>Series</th>
          <th>Time</th>
          <th class="num">{data.resultType === 'matrix' ? 'Last value' : 'Value'}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.label}>
            <td class="series">{r.label}</td>
            <td class="time">{formatTime(r.time * 1000, utc ? 'utc' : 'local')}</td>
            <td class="num value">{formatValue(toNumber(r.value))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
