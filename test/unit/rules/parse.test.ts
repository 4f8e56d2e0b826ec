import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RuleFileError,
  checkRuleGroupSpec,
  formatNamespacesYaml,
  formatRuleGroupYaml,
  parseRuleFile,
  parseRuleGroup,
  toRuleGroup,
  type RuleProblem,
} from '../../../src/rules/parse.js';

/** The problems parseRuleFile throws (fails if it does not throw a RuleFileError). */
function problems(text: string, opts = {}): RuleProblem[] {
  try {
    parseRuleFile(text, opts);
  } catch (e) {
    assert.ok(e instanceof RuleFileError, String(e));
    assert.equal(e.code, 'bad_request');
    return e.problems;
  }
  assert.fail('expected a RuleFileError');
}

function only(text: string, opts = {}): RuleProblem {
  const ps = problems(text, opts);
  assert.equal(ps.length, 1, JSON.stringify(ps));
  return ps[0]!;
}

const GOOD = `groups:
  - name: api
    interval: 30s
    limit: 10
    rules:
      - alert: HighErrors
        expr: sum by (job) (count_over_time({job="api"} |= "error" [5m])) > 5
        for: 5m
        keep_firing_for: 2m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }}: {{ $value | humanize }} errors"
      - record: job:errors:rate5m
        expr: |
          sum by (job) (
            rate({job="api"} |= "error" [5m])
          )
        labels:
          source: logs
`;

test('a valid file parses into specs with Prometheus field order and durations as written', () => {
  const groups = parseRuleFile(GOOD);
  assert.deepEqual(groups, [
    {
      name: 'api',
      interval: '30s',
      limit: 10,
      rules: [
        {
          alert: 'HighErrors',
          expr: 'sum by (job) (count_over_time({job="api"} |= "error" [5m])) > 5',
          for: '5m',
          keep_firing_for: '2m',
          labels: { severity: 'page' },
          annotations: { summary: '{{ $labels.job }}: {{ $value | humanize }} errors' },
        },
        { record: 'job:errors:rate5m', expr: 'sum by (job) (\n  rate({job="api"} |= "error" [5m])\n)\n', labels: { source: 'logs' } },
      ],
    },
  ]);
  assert.deepEqual(parseRuleFile(''), []);
  assert.deepEqual(parseRuleFile('groups: []'), []);
});

test('toRuleGroup normalises durations and defaults', () => {
  const [spec] = parseRuleFile(GOOD);
  const g = toRuleGroup(spec!, { tenant: 't', namespace: 'ns', defaultIntervalMs: 60_000, origin: 'api' });
  assert.equal(g.intervalMs, 30_000);
  assert.equal(g.limit, 10);
  assert.deepEqual(g.rules[0], {
    kind: 'alerting',
    name: 'HighErrors',
    expr: spec!.rules[0]!.expr,
    forMs: 300_000,
    keepFiringForMs: 120_000,
    labels: { severity: 'page' },
    annotations: { summary: '{{ $labels.job }}: {{ $value | humanize }} errors' },
  });
  assert.equal(g.rules[1]!.kind, 'recording');
  const d = toRuleGroup({ name: 'x', rules: [{ alert: 'A', expr: 'vector(1)' }] }, { tenant: 't', namespace: 'ns', defaultIntervalMs: 60_000, origin: 'dir' });
  assert.equal(d.intervalMs, 60_000);
  assert.equal(d.limit, 0);
  assert.deepEqual(d.rules[0], { kind: 'alerting', name: 'A', expr: 'vector(1)', forMs: 0, keepFiringForMs: 0, labels: {}, annotations: {} });
});

test('malformed YAML is reported with its position', () => {
  const p = only('groups:\n  - name: a\n    rules: [\n');
  assert.equal(p.line, 4);
  assert.match(p.message, /^yaml: /);
  const q = problems('groups:\n  - name: a\n    name: b\n    rules: []\n');
  assert.equal(q[0]!.line, 3);
  assert.match(q[0]!.message, /unique/);
});

test('unknown fields anywhere, in rulefmt words, at the key', () => {
  const ps = problems('groups:\n  - name: a\n    evaluation: 1m\n    rules:\n      - alert: A\n        expr: vector(1)\n        severity: page\nextra: 1\n');
  const byLine = new Map(ps.map((p) => [p.line, p]));
  assert.deepEqual([byLine.get(3)!.message, byLine.get(3)!.column, byLine.get(3)!.group], ['field evaluation not found in type rulefmt.RuleGroup', 5, 'a']);
  assert.deepEqual([byLine.get(7)!.message, byLine.get(7)!.column, byLine.get(7)!.rule], ['field severity not found in type rulefmt.Rule', 9, 'A']);
  assert.deepEqual([byLine.get(8)!.message, byLine.get(8)!.column], ['field extra not found in type rulefmt.RuleGroups', 1]);
  assert.equal(ps.length, 3);
});

test('group names: missing, empty, duplicated', () => {
  const p = only('groups:\n  - rules: []\n');
  assert.deepEqual([p.line, p.column, p.message], [2, 5, 'Groupname must not be empty']);
  const e = only('groups:\n  - name: ""\n    rules: []\n');
  assert.deepEqual([e.line, e.column, e.message], [2, 11, 'Groupname must not be empty']);
  const d = only('groups:\n  - name: a\n    rules: []\n  - name: a\n    rules: []\n');
  assert.deepEqual([d.group, d.line, d.column, d.message], ['a', 4, 11, 'groupname: "a" is repeated in the same file']);
});

test('alert and record: both, neither', () => {
  const both = only('groups:\n  - name: g\n    rules:\n      - alert: A\n        record: r\n        expr: vector(1)\n');
  assert.deepEqual([both.rule, both.line, both.column, both.message], ['A', 4, 9, "only one of 'record' and 'alert' must be set"]);
  const neither = only('groups:\n  - name: g\n    rules:\n      - expr: vector(1)\n');
  assert.deepEqual([neither.rule, neither.line, neither.message], ['#1', 4, "one of 'record' or 'alert' must be set"]);
});

test('empty or missing expr', () => {
  const p = only('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: ""\n');
  assert.deepEqual([p.rule, p.line, p.column, p.message], ['A', 5, 15, "field 'expr' must be set in rule"]);
  const q = only('groups:\n  - name: g\n    rules:\n      - alert: A\n');
  assert.deepEqual([q.line, q.message], [4, "field 'expr' must be set in rule"]);
});

test('LogQL errors point into the file: plain, quoted and literal-block expressions', () => {
  // plain scalar: expr starts at col 15; the parser's col 36 is file col 50
  const plain = only('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(count_over_time({job="api"} |= [5m]))\n');
  assert.equal(plain.line, 5);
  assert.equal(plain.column, 50);
  assert.match(plain.message, /^invalid rule expression: parse error at line 1, col 36: /);
  const quoted = only("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: 'sum(rate({a=\"b\"}[5m]) by'\n");
  assert.equal(quoted.line, 5);
  assert.equal(quoted.column, 15 + 1 + 'sum(rate({a="b"}[5m]) by'.length);
  const block = only('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n          sum(\n            rate({a="b"}[5m]) by\n          )\n');
  assert.deepEqual([block.line, block.column], [8, 11]);
  assert.match(block.message, /parse error at line 3, col 1/);
});

test('a log query cannot be a rule', () => {
  const p = only('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: \'{job="api"} |= "error"\'\n');
  assert.deepEqual([p.line, p.column], [5, 15]);
  assert.match(p.message, /log query cannot be a rule.*metric query/);
});

test('record names, label and annotation names', () => {
  const r = only('groups:\n  - name: g\n    rules:\n      - record: 1bad-name\n        expr: vector(1)\n');
  assert.deepEqual([r.rule, r.line, r.column, r.message], ['1bad-name', 4, 17, 'invalid recording rule name: 1bad-name']);
  assert.deepEqual(parseRuleFile('groups:\n  - name: g\n    rules:\n      - record: job:x_y:rate5m\n        expr: vector(1)\n')[0]!.rules[0]!.record, 'job:x_y:rate5m');
  const ps = problems('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: vector(1)\n        labels:\n          bad-label: x\n        annotations:\n          "9x": y\n');
  assert.deepEqual(
    ps.map((p) => [p.line, p.column, p.message]),
    [
      [7, 11, 'invalid label name: bad-label'],
      [9, 11, 'invalid annotation name: 9x'],
    ],
  );
});

test('for, keep_firing_for and annotations are alerting-only', () => {
  const ps = problems('groups:\n  - name: g\n    rules:\n      - record: r\n        expr: vector(1)\n        for: 5m\n        keep_firing_for: 1m\n        annotations:\n          a: b\n');
  assert.deepEqual(
    ps.map((p) => [p.rule, p.line, p.message]).sort((a, b) => (a[1] as number) - (b[1] as number)),
    [
      ['r', 6, "invalid field 'for' in recording rule"],
      ['r', 7, "invalid field 'keep_firing_for' in recording rule"],
      ['r', 8, "invalid field 'annotations' in recording rule"],
    ],
  );
});

test('durations in Prometheus syntax', () => {
  const ps = problems('groups:\n  - name: g\n    interval: 1.5m\n    rules:\n      - alert: A\n        expr: vector(1)\n        for: 5x\n        keep_firing_for: m5\n');
  assert.deepEqual(
    ps.map((p) => [p.line, p.column, p.message]),
    [
      [3, 15, 'interval: unknown unit "." in duration "1.5m"'],
      [7, 14, 'for: unknown unit "x" in duration "5x"'],
      [8, 26, 'keep_firing_for: not a valid duration string: "m5"'],
    ],
  );
  assert.equal(parseRuleFile('groups:\n  - name: g\n    interval: 1h30m\n    rules: []\n')[0]!.interval, '1h30m');
});

test('limit: negative, not an integer', () => {
  const p = only('groups:\n  - name: g\n    limit: -1\n    rules: []\n');
  assert.deepEqual([p.group, p.line, p.column, p.message], ['g', 3, 12, 'limit must not be negative, got -1']);
  const q = only('groups:\n  - name: g\n    limit: lots\n    rules: []\n');
  assert.match(q.message, /cannot unmarshal "lots" into rulefmt.RuleGroup.limit of type int/);
});

test('more rules than maxRulesPerGroup, in Loki words', () => {
  const text = 'groups:\n  - name: g\n    rules:\n' + '      - alert: A\n        expr: vector(1)\n'.repeat(3);
  const p = only(text, { maxRulesPerGroup: 2 });
  assert.deepEqual([p.group, p.line, p.message], ['g', 4, 'per-user rules per rule group limit (limit: 2 actual: 3) exceeded']);
  assert.equal(parseRuleFile(text, { maxRulesPerGroup: 3 })[0]!.rules.length, 3);
});

test('templates in labels and annotations must compile with known functions', () => {
  const ps = problems(
    'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: vector(1)\n        labels:\n          team: "{{ $labels.job"\n        annotations:\n          summary: "{{ nope $value }}"\n          q: "{{ query \\"up\\" }}"\n',
  );
  assert.deepEqual(
    ps.map((p) => [p.line, p.column]),
    [
      [7, 17],
      [9, 20],
      [10, 14],
    ],
  );
  assert.match(ps[0]!.message, /^label team: invalid template: unclosed action/);
  assert.match(ps[1]!.message, /^annotation summary: invalid template: function "nope" not defined/);
  assert.match(ps[2]!.message, /function "query" is not supported/);
});

test('every problem of a file is reported at once; the message names group, rule, line and column', () => {
  const text = 'groups:\n  - name: g\n    rules:\n      - alert: HighErrors\n        expr: rate({a="b"}[5m]) >\n        for: 5x\n      - record: r\n        expr: vector(1)\n        for: 1m\n';
  try {
    parseRuleFile(text);
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof RuleFileError);
    assert.equal(e.problems.length, 3);
    const lines = e.message.split('\n');
    assert.equal(lines.length, 3);
    assert.ok(lines.some((l) => /^group "g", rule "HighErrors": line 5 col \d+: invalid rule expression: parse error/.test(l)), e.message);
    assert.ok(lines.includes('group "g", rule "HighErrors": line 6 col 14: for: unknown unit "x" in duration "5x"'), e.message);
    // a field that does not belong is pointed at by its key
    assert.ok(lines.includes('group "g", rule "r": line 9 col 9: invalid field \'for\' in recording rule'), e.message);
  }
});

test('wrong shapes are problems, not crashes', () => {
  assert.match(only('- a\n- b\n').message, /cannot unmarshal !!seq into rulefmt.RuleGroups/);
  assert.match(only('groups: 3\n').message, /rulefmt.RuleGroups.groups/);
  assert.match(only('groups:\n  - 7\n').message, /group #1: cannot unmarshal/);
  assert.match(only('groups:\n  - name: g\n    rules:\n      - 7\n').message, /rule #1: cannot unmarshal/);
  assert.match(only('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: vector(1)\n        labels: [a]\n').message, /labels of type map\[string\]string/);
});

test('parseRuleGroup: one group, as the ruler API receives it', () => {
  const g = parseRuleGroup('name: api\nrules:\n  - alert: A\n    expr: vector(1) > 0\n');
  assert.deepEqual(g, { name: 'api', rules: [{ alert: 'A', expr: 'vector(1) > 0' }] });
  assert.throws(() => parseRuleGroup(''), (e: unknown) => e instanceof RuleFileError && /empty rule group/.test(e.message));
  assert.throws(() => parseRuleGroup('groups: []'), (e: unknown) => e instanceof RuleFileError && /field groups not found in type rulefmt.RuleGroup/.test(e.message));
  assert.throws(
    () => parseRuleGroup('name: a\nrules:\n  - alert: A\n    expr: vector(1)\n  - alert: B\n    expr: vector(1)\n', { maxRulesPerGroup: 1 }),
    /limit: 1 actual: 2/,
  );
});

test('checkRuleGroupSpec checks a decoded value', () => {
  assert.deepEqual(checkRuleGroupSpec({ name: 'g', rules: [{ alert: 'A', expr: 'vector(1)' }] }), []);
  const ps = checkRuleGroupSpec({ name: 'g', rules: [{ record: 'r', expr: 'vector(1)', for: '1m' }], bogus: 1 });
  assert.deepEqual(ps.map((p) => p.message).sort(), ["field bogus not found in type rulefmt.RuleGroup", "invalid field 'for' in recording rule"]);
});

test("YAML output as Loki's ruler API answers: field order, absent fields omitted, round trip", () => {
  const [spec] = parseRuleFile(GOOD);
  const y = formatRuleGroupYaml(spec!);
  assert.equal(
    y,
    [
      'name: api',
      'interval: 30s',
      'limit: 10',
      'rules:',
      '    - alert: HighErrors',
      '      expr: sum by (job) (count_over_time({job="api"} |= "error" [5m])) > 5',
      '      for: 5m',
      '      keep_firing_for: 2m',
      '      labels:',
      '          severity: page',
      '      annotations:',
      '          summary: "{{ $labels.job }}: {{ $value | humanize }} errors"',
      '    - record: job:errors:rate5m',
      '      expr: |',
      '          sum by (job) (',
      '            rate({job="api"} |= "error" [5m])',
      '          )',
      '      labels:',
      '          source: logs',
      '',
    ].join('\n'),
  );
  assert.deepEqual(parseRuleGroup(y), spec);
  assert.equal(formatRuleGroupYaml({ name: 'g', interval: '', limit: 0, rules: [] }), 'name: g\nrules: []\n');
  const ns = formatNamespacesYaml({ b: [{ name: 'g2', rules: [] }], a: [spec!] });
  assert.ok(ns.startsWith('a:\n    - name: api\n'), ns);
  assert.ok(ns.includes('\nb:\n    - name: g2\n      rules: []\n'), ns);
});
