/** A line's exact stream selector (Context asks for its stream by it) and nanosecond arithmetic past 2^53. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamSelector } from '../../../ui/lib/logql-string.js';
import { addNs } from '../../../ui/lib/time.js';
import { parseMatchers } from '../../../src/logql/syntax/index.js';

test('the stream selector names every label exactly, whatever its value holds', () => {
  const labels = { job: 'a"b', path: 'C:\\logs\\x', note: 'two\nlines', b: '{},|=', emoji: 'ünï 🚀' };
  const sel = streamSelector(labels);
  assert.equal(sel, '{b="{},|=", emoji="ünï 🚀", job="a\\"b", note="two\\nlines", path="C:\\\\logs\\\\x"}');
  const back = Object.fromEntries(parseMatchers(sel).map((m) => (assert.equal(m.op, '='), [m.name, m.value])));
  assert.deepEqual(back, labels);
});

test('nanosecond timestamps move by exact amounts', () => {
  assert.equal(addNs('1764946987123456789', 1), '1764946987123456790');
  assert.equal(addNs('1764946987123456789', -86_400_000_000_000), '1764860587123456789');
});
