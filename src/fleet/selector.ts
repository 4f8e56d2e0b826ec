/**
 * A configuration's selector: which agents it is for, by four attributes of the agent's OpAMP
 * description. `host` is host.name, `cluster` k8s.cluster.name (else a `cluster` attribute), `role`
 * a `role` attribute, `type` service.name (`logwharf-agent` for ours). Every key given must equal;
 * no key matches every agent of ours.
 *
 * `type` also says which kind of agent a configuration is for (docs/fleet.md, "Collectors"): no
 * `type` or `type=logwharf-agent` means our agents, which run the YAML as it is; any other type means
 * OpenTelemetry Collectors, which get it rendered as a Collector configuration. `type=collector`
 * matches every agent that is not ours (Collector distributions report different service.names:
 * otelcol-contrib, otelcol-k8s, …), any other value that service.name exactly. A configuration never
 * matches an agent of the other kind: our agents cannot run a Collector's YAML, nor the reverse.
 *
 * Several configurations may match one agent: the most specific selector (most keys) wins. Two
 * selectors with the same number of keys that some agent could satisfy at once would tie, so such
 * a pair is refused when the second is applied (`overlapping`), and the winner is always unique.
 */
import { SELECTOR_KEYS, type Selector, type SelectorKey } from '../api/fleet.js';
import { AGENT_SERVICE_NAME } from './model.js';

/** `type=collector`: every agent whose service.name is not ours. */
export const ANY_COLLECTOR_TYPE = 'collector';

export type ConfigKind = 'agent' | 'collector';

/** Which kind of agent a selector is for: by its `type` (no type: ours). */
export function selectorKind(s: Selector): ConfigKind {
  return s.type === undefined || s.type === AGENT_SERVICE_NAME ? 'agent' : 'collector';
}

/** Which kind an agent is: ours by service.name, else a Collector (or another OpAMP agent run as one). An agent that has not described itself is neither. */
export function agentKind(type: string): ConfigKind | undefined {
  if (type === '') return undefined;
  return type === AGENT_SERVICE_NAME ? 'agent' : 'collector';
}

function typeMatches(want: string | undefined, type: string): boolean {
  if (want === undefined || want === AGENT_SERVICE_NAME) return type === AGENT_SERVICE_NAME;
  if (want === ANY_COLLECTOR_TYPE) return agentKind(type) === 'collector';
  return want === type;
}

/** Whether some agent type satisfies both `type` values (same kind; `collector` covers every Collector type). */
function typesOverlap(a: string | undefined, b: string | undefined): boolean {
  if (selectorKind({ type: a }) !== selectorKind({ type: b })) return false;
  if (selectorKind({ type: a }) === 'agent') return true;
  return a === b || a === ANY_COLLECTOR_TYPE || b === ANY_COLLECTOR_TYPE;
}

export type AgentAttributes = Record<SelectorKey, string>;

/** The selector's attributes of an agent's description (identifying attributes win over non-identifying). */
export function agentAttributes(d: { identifying: Record<string, string>; nonIdentifying: Record<string, string> }): AgentAttributes {
  const get = (k: string) => d.identifying[k] ?? d.nonIdentifying[k] ?? '';
  return { host: get('host.name'), cluster: get('k8s.cluster.name') || get('cluster'), role: get('role'), type: get('service.name') };
}

export function selectorMatches(s: Selector, a: AgentAttributes): boolean {
  return typeMatches(s.type, a.type) && SELECTOR_KEYS.every((k) => k === 'type' || s[k] === undefined || s[k] === a[k]);
}

export function specificity(s: Selector): number {
  return SELECTOR_KEYS.filter((k) => s[k] !== undefined).length;
}

/** Whether one agent could match both selectors and neither is more specific: the tie that is refused. */
export function overlapping(a: Selector, b: Selector): boolean {
  if (specificity(a) !== specificity(b) || !typesOverlap(a.type, b.type)) return false;
  return SELECTOR_KEYS.every((k) => k === 'type' || a[k] === undefined || b[k] === undefined || a[k] === b[k]);
}

/** The configuration an agent runs: the matching one with the most specific selector (unique, see above). */
export function winningConfig<C extends { name: string; selector: Selector }>(configs: readonly C[], a: AgentAttributes): C | undefined {
  let best: C | undefined;
  for (const c of configs) {
    if (!selectorMatches(c.selector, a)) continue;
    // Ties cannot be stored; the name order only makes a hand-edited database deterministic.
    if (!best || specificity(c.selector) > specificity(best.selector) || (specificity(c.selector) === specificity(best.selector) && c.name < best.name)) best = c;
  }
  return best;
}
