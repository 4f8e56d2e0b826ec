/**
 * Drop rules (issue #4 §3): an entry is dropped when its stream matches the rule's selector and its
 * line matches the rule's regex (either may be left out, not both). Selectors are decided once per
 * stream; only the line regexes of the rules that apply to a stream run per line.
 */
import type { Labels } from '../../api/model.js';
import type { AgentConfig } from '../../config/agent.js';
import type { Re2 } from '../../logql/regex.js';
import { compileLineRegex, compileSelector, configError } from './selector.js';

export type DropRuleConfig = AgentConfig['pipeline']['drop'][number];

export interface DropRule {
  /** True when the rule applies to a stream with these (final) labels. */
  appliesTo(labels: Labels): boolean;
  /** The line regex; undefined drops every line of the streams it applies to. */
  line: Re2 | undefined;
  reason: string;
}

export function compileDropRules(rules: readonly DropRuleConfig[]): DropRule[] {
  return rules.map((r, i) => {
    const where = `pipeline.drop[${i}]`;
    if (r.selector === undefined && r.line === undefined) {
      throw configError(`${where}: needs a selector, a line regex or both (a rule with neither would drop every line)`);
    }
    const reason = r.reason ?? 'drop_rule';
    if (!/^[a-z0-9_]+$/.test(reason)) throw configError(`${where}.reason: ${JSON.stringify(reason)} must match [a-z0-9_]+`);
    return {
      appliesTo: r.selector === undefined ? () => true : compileSelector(r.selector, `${where}.selector`),
      line: r.line === undefined ? undefined : compileLineRegex(r.line, `${where}.line`),
      reason,
    };
  });
}
