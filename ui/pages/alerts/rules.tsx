/** The rule groups: each rule's state, health, last evaluation and query (opening Explore), its last error in words. */
import { navigate } from '../../lib/route.js';
import { RelativeTime } from '../../components/relative-time.js';
import type { Loaded } from './alerts.js';
import { LabelChips, StateBadge } from './firing.js';
import type { Rule, RuleGroup } from './types.js';

export function RulesSection({ loaded }: { loaded: Loaded<{ data: { groups: RuleGroup[] } }> }) {
  const groups = loaded.value?.data.groups ?? [];
  return (
    <section class="rules" aria-label="Rules">
      <h2>Rules</h2>
      {loaded.error && (
        <div class="error-box" role="alert">
          Could not load the rules: {loaded.error}
        </div>
      )}
      {loaded.value && groups.length === 0 && (
        <div class="empty">
          No rules yet. Add some with <code>logwharf rules sync</code>, through the ruler API (<code>/loki/api/v1/rules</code>) or from{' '}
          <code>ruler.rules_dir</code>.
        </div>
      )}
      {groups.map((g) => (
        <div key={`${g.file}\n${g.name}`} class="rule-group" data-group={g.name}>
          <h3>
            <span class="rule-group-title">
              <span class="rule-namespace">{g.file}</span> / {g.name}
            </span>
            <span class="rule-group-meta">
              every {g.interval} s · last evaluated <RelativeTime time={g.lastEvaluation} /> · took {formatSeconds(g.evaluationTime)}
            </span>
          </h3>
          <table class="grid rules-table">
            <thead>
              <tr>
                <th>State</th>
                <th>Rule</th>
                <th>Health</th>
                <th>Last evaluation</th>
                <th>Query</th>
              </tr>
            </thead>
            <tbody>
              {g.rules.map((r) => (
                <RuleRow key={`${r.type}\n${r.name}`} rule={r} />
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}

function RuleRow({ rule: r }: { rule: Rule }) {
  const state = r.type === 'alerting' ? r.state : 'recording';
  const href = `/explore?${new URLSearchParams({ query: r.query })}`;
  return (
    <tr class={`rule-row state-${state} health-${r.health}`} data-rule={r.name}>
      <td>
        <StateBadge state={state} />
      </td>
      <td>
        <div class="rule-name">{r.name}</div>
        {r.type === 'alerting' && r.duration > 0 && <div class="rule-sub">for {formatFor(r.duration)}</div>}
        {r.labels && Object.keys(r.labels).length > 0 && <LabelChips labels={r.labels} />}
      </td>
      <td class="rule-health">
        <span class={`health health-${r.health}`}>{r.health === 'err' ? 'error' : r.health}</span>
        {r.lastError && <div class="rule-error">{r.lastError}</div>}
      </td>
      <td>
        <RelativeTime time={r.lastEvaluation} />
        {r.evaluationTime > 0 && <div class="rule-sub">took {formatSeconds(r.evaluationTime)}</div>}
      </td>
      <td class="rule-query">
        <a
          href={href}
          title="Open this query in Explore"
          onClick={(e) => {
            if (e.ctrlKey || e.metaKey || e.shiftKey) return;
            e.preventDefault();
            navigate('explore', { query: r.query });
          }}
        >
          <code>{r.query}</code>
        </a>
      </td>
    </tr>
  );
}

function formatSeconds(s: number): string {
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(1)} s`;
}

function formatFor(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
