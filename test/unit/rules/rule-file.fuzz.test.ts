/**
 * Rule files fuzzed: random YAML text, random structures in the rule-file shape, and valid files
 * mutated byte by byte either parse or fail with one RuleFileError listing positioned problems —
 * never another exception; and a generated valid group survives format → parse unchanged.
 * FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { RuleFileError, formatRuleFileYaml, formatRuleGroupYaml, parseRuleFile, parseRuleGroup } from '../../../src/rules/parse.js';
import type { RuleGroupSpec, RuleSpec } from '../../../src/rules/model.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const VALID = `groups:
  - name: api
    interval: 30s
    rules:
      - alert: HighErrors
        expr: sum by (job) (count_over_time({job="api"} |= "error" [5m])) > 5
        for: 5m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }}: {{ $value | humanize }}"
      - record: job:errors:rate5m
        expr: |
          sum by (job) (rate({job="api"}[5m]))
`;

/** Parses with both entry points; anything thrown must be a RuleFileError with at least one problem. */
function onlyRuleFileErrors(text: string): void {
  for (const parse of [parseRuleFile, parseRuleGroup] as Array<(t: string) => unknown>) {
    try {
      parse(text);
    } catch (e) {
      if (!(e instanceof RuleFileError)) throw e;
      assert.ok(e.problems.length > 0);
      for (const p of e.problems) assert.ok(p.message.length > 0);
    }
  }
}

test('arbitrary text never throws anything but RuleFileError', () => {
  const chars = fc.constantFrom(...'groups:name rules- alert record expr for labels annotations{}[]"\'|>\n  \t#&*!1m5s{{}}$'.split(''));
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: chars, maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 100 })), (text) => {
      onlyRuleFileErrors(text);
    }),
    fuzzParams(),
  );
});

test('random structures in the rule-file shape never throw anything but RuleFileError', () => {
  const value = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom('vector(1)', '{a="b"}', 'sum(rate({a="b"}[1m])) >', '5m', '-1', '{{ $value }}', '{{ nope }}', 'a:b', ''),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.anything({ maxDepth: 2 }),
  );
  const rule = fc.dictionary(fc.constantFrom('alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations', 'bogus'), fc.oneof(value, fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 3 })), { maxKeys: 8 });
  const group = fc.dictionary(fc.constantFrom('name', 'interval', 'limit', 'rules', 'other'), fc.oneof(value, fc.array(fc.oneof(rule, value), { maxLength: 4 })), { maxKeys: 5 });
  const file = fc.oneof(fc.record({ groups: fc.array(fc.oneof(group, value), { maxLength: 4 }) }), value, group);
  fc.assert(
    fc.property(file, (f) => {
      onlyRuleFileErrors(stringify(f) ?? '');
    }),
    fuzzParams(0.5),
  );
});

test('a valid file mutated byte by byte never throws anything but RuleFileError', () => {
  const edit = fc.record({ at: fc.nat(VALID.length), del: fc.nat(4), ins: fc.string({ maxLength: 4, unit: fc.constantFrom(...' \n:-{}[]"\'|#xa1{{}}('.split('')) }) });
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 5 }), (edits) => {
      let text = VALID;
      for (const e of edits) {
        const at = Math.min(e.at, text.length);
        text = text.slice(0, at) + e.ins + text.slice(at + e.del);
      }
      onlyRuleFileErrors(text);
    }),
    fuzzParams(),
  );
});

// --- valid groups ---

const word = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);
/** Any text without template actions, including quotes, colons, newlines and non-ASCII. */
const text = fc.string({ unit: fc.constantFrom(...'ab Z09:#-"\'\\\n\t{}|>é€'.split('')), maxLength: 20 }).filter((s) => !s.includes('{{'));
const template = fc.constantFrom('{{ $labels.job }} is down', '{{ $value | humanize }} errors', '{{ if gt $value 1.0 }}many{{ end }}', 'plain');
const duration = fc.oneof(fc.constantFrom('0', '30s', '1m', '1h30m', '2d', '1w', '500ms'), fc.tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom('s', 'm', 'h', 'd')).map(([n, u]) => `${n}${u}`));
const labelMap = fc.dictionary(word, fc.oneof(text, template), { minKeys: 1, maxKeys: 3 });
const selectorValue = fc.string({ unit: fc.constantFrom(...'abc xyz-_./"\\é'.split('')), maxLength: 10 });
const expr = fc
  .tuple(selectorValue, selectorValue, fc.integer({ min: 0, max: 1000 }), fc.constantFrom(' ', '\n', '\n  '), fc.boolean())
  // the selector needs a non-empty value (Loki refuses selectors that match everything)
  .map(([v, f, n, sep, trailing]) => `sum by (job) (${sep}count_over_time({job=${JSON.stringify('j' + v)}} |= ${JSON.stringify(f)} [5m]))${sep}> ${n}${trailing ? '\n' : ''}`);
const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/);

const alertRule: fc.Arbitrary<RuleSpec> = fc
  .record({ alert: fc.string({ minLength: 1, maxLength: 12 }), expr, for: duration, keep_firing_for: duration, labels: labelMap, annotations: labelMap }, { requiredKeys: ['alert', 'expr'] })
  .map((r) => ({ ...r }));
const recordRule: fc.Arbitrary<RuleSpec> = fc.record({ record: metricName, expr, labels: fc.dictionary(word, text, { minKeys: 1, maxKeys: 3 }) }, { requiredKeys: ['record', 'expr'] });
const groupArb = (name: fc.Arbitrary<string>): fc.Arbitrary<RuleGroupSpec> =>
  fc.record({ name, interval: duration, limit: fc.integer({ min: 1, max: 1000 }), rules: fc.array(fc.oneof(alertRule, recordRule), { maxLength: 4 }) }, { requiredKeys: ['name', 'rules'] });

/** The spec in the key order parse returns (Prometheus' order), for deepEqual. */
function canonical(g: RuleGroupSpec): RuleGroupSpec {
  const order = ['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'] as const;
  const out: RuleGroupSpec = { name: g.name, rules: [] };
  if (g.interval !== undefined) out.interval = g.interval;
  if (g.limit !== undefined) out.limit = g.limit;
  out.rules = g.rules.map((r) => {
    const o: Record<string, unknown> = {};
    // fc.dictionary makes null-prototype objects; parse makes plain ones
    for (const k of order) if (r[k] !== undefined) o[k] = typeof r[k] === 'object' ? { ...r[k] } : r[k];
    return o as unknown as RuleSpec;
  });
  return { name: out.name, ...(out.interval !== undefined ? { interval: out.interval } : {}), ...(out.limit !== undefined ? { limit: out.limit } : {}), rules: out.rules };
}

test('a valid group survives format → parse unchanged (one group, and a file of groups)', () => {
  fc.assert(
    fc.property(groupArb(fc.string({ minLength: 1, maxLength: 16 })), (g) => {
      const want = canonical(g);
      assert.deepEqual(parseRuleGroup(formatRuleGroupYaml(g)), want);
    }),
    fuzzParams(0.5),
  );
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }).chain((names) => fc.tuple(...names.map((n) => groupArb(fc.constant(n))))), (groups) => {
      assert.deepEqual(parseRuleFile(formatRuleFileYaml(groups)), groups.map(canonical));
    }),
    fuzzParams(0.25),
  );
});
