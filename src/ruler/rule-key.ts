/**
 * Which rule an alert belongs to across reloads and restarts. As Prometheus does when it copies
 * state from an old group to its new version, a rule is known by its kind, name and labels, so an
 * edited `expr`, `for` or annotation keeps the rule's alerts; the n-th of several rules with the same
 * identity pairs with the n-th.
 */
import { labelsToString } from '../api/model.js';
import type { Rule } from '../rules/model.js';

export function ruleKeys(rules: readonly Rule[]): string[] {
  const seen = new Map<string, number>();
  return rules.map((r) => {
    const base = `${r.kind}\u0000${r.name}\u0000${labelsToString(r.labels)}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return `${base}\u0000${n}`;
  });
}
