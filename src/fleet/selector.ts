/**
 * A configuration's selector: which agents it is for, by four attributes of the agent's OpAMP
 * description. `host` is host.name, `cluster` k8s.cluster.name (else a `cluster` attribute), `role`
 * a `role` attribute, `type` service.name (`logwharf-agent` for ours). Every key given must equal;
 * no key matches every agent.
 *
 * Several configurations may match one agent: the most specific selector (most keys) wins. Two
 * selectors with the same number of keys that some agent could satisfy at once would tie, so such
 * a pair is refused when the second is applied (`overlapping`), and the winner is always unique.
 */
import { SELECTOR_KEYS, type Selector, type SelectorKey } from '../api/fleet.js';

export type AgentAttributes = Record<SelectorKey, string>;

/** The selector's attributes of an agent's description (identifying attributes win over non-identifying). */
export function agentAttributes(d: { identifying: Record<string, string>; nonIdentifying: Record<string, string> }): AgentAttributes {
  const get = (k: string) => d.identifying[k] ?? d.nonIdentifying[k] ?? '';
  return { host: get('host.name'), cluster: get('k8s.cluster.name') || get('cluster'), role: get('role'), type: get('service.name') };
}

export function selectorMatches(s: Selector, a: AgentAttributes): boolean {
  return SELECTOR_KEYS.every((k) => s[k] === undefined || s[k] === a[k]);
}

export function specificity(s: Selector): number {
  return SELECTOR_KEYS.filter((k) => s[k] !== undefined).length;
}

/** Whether one agent could match both selectors and neither is more specific: the tie that is refused. */
export function overlapping(a: Selector, b: Selector): boolean {
  if (specificity(a) !== specificity(b)) return false;
  return SELECTOR_KEYS.every((k) => a[k] === undefined || b[k] === undefined || a[k] === b[k]);
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
