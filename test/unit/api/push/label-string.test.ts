import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelString, LabelStringError } from '../../../../src/api/push/label-string.js';
import { labelsToString } from '../../../../src/api/model.js';

test('parses the label strings Promtail and Alloy send', () => {
  assert.deepEqual(parseLabelString('{job="varlogs", filename="/var/log/syslog"}'), { job: 'varlogs', filename: '/var/log/syslog' });
  assert.deepEqual(parseLabelString('{a="1",b="2"}'), { a: '1', b: '2' });
  assert.deepEqual(parseLabelString('  { a = "1" , _b_2 = "" }  '), { a: '1', _b_2: '' });
  assert.deepEqual(parseLabelString('{}'), {});
  assert.deepEqual(parseLabelString('{a="1",}'), { a: '1' });
});

test('Go escapes, single quotes and raw strings', () => {
  assert.deepEqual(parseLabelString('{a="q\\"uote", b="back\\\\slash", c="tab\\there\\n"}'), { a: 'q"uote', b: 'back\\slash', c: 'tab\there\n' });
  assert.deepEqual(parseLabelString('{a="\\u00e9\\U0001F680\\x41\\101"}'), { a: 'é🚀AA' });
  assert.deepEqual(parseLabelString("{a='it\\'s'}"), { a: "it's" });
  assert.deepEqual(parseLabelString('{a=`raw \\n "kept"`}'), { a: 'raw \\n "kept"' });
  assert.deepEqual(parseLabelString('{a="ünï ✓"}'), { a: 'ünï ✓' });
});

test('round-trips the canonical form for hostile values', () => {
  const labels = { a: 'quote " backslash \\ newline \n tab \t', b: '}{,="', c: '🚀\u0000' };
  assert.deepEqual(parseLabelString(labelsToString(labels)), labels);
});

test('invalid label strings fail with a position and the problem', () => {
  const cases: [string, RegExp][] = [
    ['', /empty label string/],
    ['job="x"', /expected \{/],
    ['{job="x"', /expected }/],
    ['{job="x" env="y"}', /expected , or }/],
    ['{1job="x"}', /invalid label name start/],
    ['{job-name="x"}', /expected = after label name "job"/],
    ['{job=x}', /expected quoted label value/],
    ['{job=~"x"}', /regex matchers are not allowed/],
    ['{job="x}', /unterminated quoted string/],
    ['{job="a\\qb"}', /invalid escape/],
    ['{job="\\uD800"}', /invalid Unicode code point/],
    ['{job="x"} trailing', /after }/],
    ['{job="line\nbreak"}', /newline in quoted string/],
  ];
  for (const [input, re] of cases) {
    assert.throws(
      () => parseLabelString(input),
      (e: unknown) => e instanceof LabelStringError && e.reason === 'invalid_labels' && re.test(e.message) && /position \d+/.test(e.message),
      JSON.stringify(input),
    );
  }
});

test('duplicate label names are their own reason', () => {
  assert.throws(
    () => parseLabelString('{a="1", a="2"}'),
    (e: unknown) => e instanceof LabelStringError && e.reason === 'duplicate_label_names' && /"a"/.test(e.message),
  );
});

test('a huge label string parses in linear time', () => {
  const parts: string[] = [];
  for (let i = 0; i < 20_000; i++) parts.push(`l${i}="${'v'.repeat(20)}"`);
  const t0 = performance.now();
  const out = parseLabelString('{' + parts.join(', ') + '}');
  assert.equal(Object.keys(out).length, 20_000);
  assert.ok(performance.now() - t0 < 2000);
});

test('random input only ever fails with a LabelStringError', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const alphabet = '{}=",\'`\\ab_1 \n~xu';
  for (let i = 0; i < 5000; i++) {
    let s = '';
    const n = Math.floor(rnd() * 24);
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    try {
      parseLabelString(s);
    } catch (e) {
      assert.ok(e instanceof LabelStringError, `${JSON.stringify(s)}: ${String(e)}`);
    }
  }
});
