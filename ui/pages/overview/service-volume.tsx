/**
 * Log volume over the range by service and level: one small stacked-bar chart per service (levels
 * in the level colours, as in Explore's histogram), busiest services first; a service's title opens
 * it in Explore.
 */
import { useMemo } from 'preact/hooks';
import { api } from '../../lib/api.js';
import type { QueryResponse } from '../../lib/loki.js';
import { navigate } from '../../lib/route.js';
import { msToNs, parseDuration, stepFor } from '../../lib/time.js';
import { UPlotChart, cssVar, themedAxes, uPlot } from '../../components/chart/uplot-chart.js';
import { stacked, volumeGrid, type Volume } from '../explore/volume.js';
import { Panel } from './panel.js';
import { usePanel } from './use-panel.js';
import { countByServiceAndLevel, serviceQuery, serviceVolumes, type OverviewRange, type ServiceVolume } from './overview-data.js';

/** Services drawn; the rest are named in a note. */
const MAX_SERVICES = 8;
const HEIGHT = 90;

export function ServiceVolumePanel({ range, tick, tenant }: { range: OverviewRange; tick: number; tenant: string }) {
  const state = usePanel<ServiceVolume[]>(async (signal) => {
    const now = Date.now();
    const rangeMs = parseDuration(range)!;
    const grid = volumeGrid(now - rangeMs, now, stepFor(rangeMs, 60));
    const [res, totals] = await Promise.all([
      api<QueryResponse>(
        '/loki/api/v1/query_range',
        {
          query: countByServiceAndLevel(`${grid.stepMs / 1000}s`),
          start: msToNs(grid.points[0]!),
          end: msToNs(grid.points[grid.points.length - 1]!),
          step: `${grid.stepMs / 1000}s`,
        },
        { signal },
      ),
      api<QueryResponse>('/loki/api/v1/query', { query: countByServiceAndLevel(range), time: msToNs(now) }, { signal }),
    ]);
    return serviceVolumes(res.data.resultType === 'matrix' ? res.data.result : [], grid, totals.data.resultType === 'vector' ? totals.data.result : []);
  }, [range, tick, tenant]);
  return (
    <Panel title="Log volume by service and level" name="volume" state={state} wide>
      {(services) =>
        services.length === 0 ? (
          <div class="empty">No lines in the last {range}.</div>
        ) : (
          <div class="service-volumes">
            {services.slice(0, MAX_SERVICES).map((s) => (
              <ServiceChart key={s.service} service={s.service} volume={s.volume} range={range} />
            ))}
            {services.length > MAX_SERVICES && <p class="more">and {services.length - MAX_SERVICES} more services: see the error rate table.</p>}
          </div>
        )
      }
    </Panel>
  );
}

function ServiceChart({ service, volume, range }: { service: string; volume: Volume; range: OverviewRange }) {
  const chart = useMemo(() => chartFor(volume), [volume]);
  const query = serviceQuery(service);
  return (
    <figure class="service-volume" data-service={service}>
      <figcaption>
        <a href={`/explore?query=${encodeURIComponent(query)}`} onClick={(e) => (e.preventDefault(), navigate('explore', { query, from: `now-${range}` }))}>
          {service}
        </a>{' '}
        <span class="total">{volume.total.toLocaleString('en-US')} lines</span>
        <span class="levels">
          {volume.levels.map((l) => (
            <span key={l.level} class={`level-chip level-${l.level}`}>
              {l.level} {l.total.toLocaleString('en-US')}
            </span>
          ))}
        </span>
      </figcaption>
      <UPlotChart options={chart.options} data={chart.data} height={HEIGHT} class="service-volume-chart" label={`Log volume of ${service} by level`} />
    </figure>
  );
}

/** Stacked bars, one series per level drawn from the top of the stack down (see `stacked`). */
function chartFor(volume: Volume) {
  const stepS = volume.stepMs / 1000;
  const x = volume.x.map((t) => t + stepS / 2);
  const sums = stacked(volume.levels);
  const order = volume.levels.map((_, k) => k).reverse();
  const bars = uPlot.paths.bars!({ size: [1, Infinity, 1], gap: 1 });
  const options: Omit<uPlot.Options, 'width' | 'height'> = {
    legend: { show: false },
    padding: [6, 8, 0, 0],
    scales: { x: { time: true, range: () => [volume.x[0]!, volume.x[volume.x.length - 1]! + stepS] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: themedAxes(false),
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    series: [
      {},
      ...order.map((k) => {
        const colour = cssVar(`--${volume.levels[k]!.level}`);
        return { label: volume.levels[k]!.level, fill: colour, stroke: colour, width: 0, paths: bars, points: { show: false } };
      }),
    ],
  };
  const data: uPlot.AlignedData = [x, ...order.map((k) => sums[k]!)];
  return { options, data };
}
