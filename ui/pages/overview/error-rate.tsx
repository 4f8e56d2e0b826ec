/** Error rate per service over the range: lines, error lines and their share, with a bar; a service opens in Explore. */
import { api } from '../../lib/api.js';
import type { QueryResponse } from '../../lib/loki.js';
import { navigate } from '../../lib/route.js';
import { msToNs } from '../../lib/time.js';
import { Panel } from './panel.js';
import { usePanel } from './use-panel.js';
import { countByServiceAndLevel, errorRates, serviceQuery, type OverviewRange, type ServiceErrors } from './overview-data.js';

export function ErrorRatePanel({ range, tick, tenant }: { range: OverviewRange; tick: number; tenant: string }) {
  const state = usePanel<ServiceErrors[]>(async (signal) => {
    const res = await api<QueryResponse>('/loki/api/v1/query', { query: countByServiceAndLevel(range), time: msToNs(Date.now()) }, { signal });
    return errorRates(res.data.resultType === 'vector' ? res.data.result : []);
  }, [range, tick, tenant]);
  return (
    <Panel title="Error rate per service" name="error-rate" state={state}>
      {(rows) =>
        rows.length === 0 ? (
          <div class="empty">No lines in the last {range}.</div>
        ) : (
          <table class="grid error-rate">
            <thead>
              <tr>
                <th>Service</th>
                <th class="num">Lines</th>
                <th class="num">Errors</th>
                <th>Error rate</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.service} data-service={r.service}>
                  <td>
                    <a
                      href={`/explore?query=${encodeURIComponent(serviceQuery(r.service))}`}
                      onClick={(e) => (e.preventDefault(), navigate('explore', { query: serviceQuery(r.service), from: `now-${range}` }))}
                    >
                      {r.service}
                    </a>
                  </td>
                  <td class="num lines">{r.lines.toLocaleString('en-US')}</td>
                  <td class="num errors">{r.errors.toLocaleString('en-US')}</td>
                  <td class="rate">
                    <span class="rate-bar" style={{ '--share': `${(r.rate * 100).toFixed(2)}%` }} />
                    <span class="rate-text">{(r.rate * 100).toFixed(1)}%</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
    </Panel>
  );
}
