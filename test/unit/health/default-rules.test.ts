/**
 * The shipped self-monitoring rules pass the same checks as a user's rule file (`logwharf rules
 * lint`: LogQL, templates, durations) for the intervals a user may configure, and their window is
 * three recording rounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRuleGroups } from '../../../src/health/default-rules.js';
import { checkRuleGroupSpec, formatRuleGroupYaml, parseRuleGroup } from '../../../src/rules/parse.js';

for (const ms of [1000, 30_000, 90_000, 2500]) {
  test(`the default rules lint clean with record_interval ${ms} ms`, () => {
    const groups = defaultRuleGroups(ms);
    assert.equal(groups.length, 1);
    assert.deepEqual(checkRuleGroupSpec(groups[0]), []);
    // And as the ruler API serves them: the YAML reads back as the same group.
    assert.deepEqual(parseRuleGroup(formatRuleGroupYaml(groups[0]!)), groups[0]);
    for (const r of groups[0]!.rules) assert.ok(r.expr.includes(`[${(3 * ms) % 1000 === 0 ? `${(3 * ms) / 1000}s` : `${3 * ms}ms`}]`), r.expr);
  });
}
