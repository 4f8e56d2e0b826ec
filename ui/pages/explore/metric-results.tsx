/** A metric query's answer: the chart or the table (a toggle), or the table alone for an instant answer. */
import { useState } from 'preact/hooks';
import type { QueryData } from '../../lib/loki.js';
import { MetricChart } from './metric-chart.js';
import { MetricTable } from './metric-table.js';
import type { ExploreProps } from './explore.js';
import './metric-results.css';

export interface MetricResultsProps {
  data: Exclude<QueryData, { resultType: 'streams' }>;
  utc: boolean;
  range: { fromMs: number; toMs: number };
  update: ExploreProps['update'];
}

export function MetricResults({ data, utc, range, update }: MetricResultsProps) {
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
      {view === 'chart' ? <MetricChart result={data.result} utc={utc} range={range} update={update} /> : <MetricTable data={data} utc={utc} />}
    </section>
  );
}
