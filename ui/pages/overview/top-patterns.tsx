/** The most frequent line patterns over the range (the patterns API); a pattern opens its lines in Explore. */
import { api } from '../../lib/api.js';
import { navigate } from '../../lib/route.js';
import { msToNs, parseDuration, stepFor } from '../../lib/time.js';
import { Panel } from './panel.js';
import { usePanel } from './use-panel.js';
import { ALL_SERVICES, patternQuery, type OverviewRange } from './overview-data.js';

const SHOWN = 10;

interface PatternsAnswer {
  data: Array<{ pattern: string; level?: string; samples: Array<[number, number]> }>;
}

interface TopPattern {
  pattern: string;
  level: string;
  count: number;
}

export function TopPatternsPanel({ range, tick, tenant }: { range: OverviewRange; tick: number; tenant: string }) {
  const state = usePanel<TopPattern[]>(async (signal) => {
    const now = Date.now();
    const rangeMs = parseDuration(range)!;
    const res = await api<PatternsAnswer>('/loki/api/v1/patterns', { query: ALL_SERVICES, start: msToNs(now - rangeMs), end: msToNs(now), step: `${stepFor(rangeMs, 60) / 1000}s` }, { signal });
    return (res.data ?? [])
      .map((p) => ({ pattern: p.pattern, level: p.level ?? 'unknown', count: p.samples.reduce((a, s) => a + s[1], 0) }))
      .sort((a, b) => b.count - a.count)
      .slice(0, SHOWN);
  }, [range, tick, tenant]);
  return (
    <Panel title="Top patterns" name="top-patterns" state={state} wide>
      {(rows) => {
        if (rows.length === 0) return <div class="empty">No patterns in the last {range}.</div>;
        const max = rows[0]!.count;
        return (
          <table class="grid top-patterns">
            <thead>
              <tr>
                <th class="num">Lines</th>
                <th>Level</th>
                <th>Pattern</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.level}|${r.pattern}`} class={`level-${r.level}`}>
                  <td class="num count">
                    <span class="rate-bar" style={{ '--share': `${((r.count / max) * 100).toFixed(1)}%` }} />
                    {Math.round(r.count).toLocaleString('en-US')}
                  </td>
                  <td class="level">{r.level}</td>
                  <td class="pattern">
                    <a
                      href={`/explore?query=${encodeURIComponent(patternQuery(r.pattern))}`}
                      onClick={(e) => (e.preventDefault(), navigate('explore', { query: patternQuery(r.pattern), from: `now-${range}` }))}
                    >
                      {r.pattern}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      }}
    </Panel>
  );
}
