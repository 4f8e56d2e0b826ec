/** A metric query's answer: the chart or the table (a toggle), or the table alone for an instant answer. */
import { useState } from 'preact/hooks';
import type { QueryData } from '../../lib/loki.js';
import { MetricChart } from './metric-chart.js';
import { MetricTable } from './metric-table.js';
import './metric-results.css';

export function MetricResults({ data, utc }: { data: Exclude<QueryData, { resultType: 'streams' }>; utc: boolean }) {
  const [view, setView] = useState<'chart' | 'table'>('chart');
  if (data.resultType !== 'matrix') return <MetricTable data={data} utc={utc} />;
  return (
    <section class="metric-results" aria-label="Metric results">
      <div class="view-toggle" role="group" aria-label="View">
        <button type="button" aria-pressed={view === 'chart'} onClick={() => setView('chart')}>
          Chart
        </button>
        <button type="button" aria-pressed={view === 'table'} onClick={() => setView('table')}>
          Table
        </button>
        <span class="series-count">{data.result.length} series</span>
      </div>
      {view === 'chart' ? <MetricChart result={data.result} utc={utc} /> : <MetricTable data={data} utc={utc} />}
    </section>
  );
}
