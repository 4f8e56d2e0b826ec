/**
 * What the LogQL editor offers at the cursor (`¦` marks it in these cases): the context detection of
 * ui/pages/explore/logql-completion.ts on half-typed queries, as a user types them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionContext, type CompletionContext } from '../../../ui/pages/explore/logql-completion.js';

function at(q: string): CompletionContext {
  const pos = q.indexOf('¦');
  assert.ok(pos >= 0, 'the case marks the cursor');
  return completionContext(q.replace('¦', ''), pos);
}

test('inside a selector: label names where a matcher starts, scoped by the complete matchers', () => {
  assert.deepEqual(at('{¦}'), { kind: 'label-name', from: 1, selector: '' });
  assert.deepEqual(at('{¦'), { kind: 'label-name', from: 1, selector: '' });
  assert.deepEqual(at('{app="x", ¦}'), { kind: 'label-name', from: 10, selector: '{app="x"}' });
  assert.deepEqual(at('{app="x", le¦}'), { kind: 'label-name', from: 10, selector: '{app="x"}' });
  assert.deepEqual(at('{app="x", le¦, env!="dev"}'), { kind: 'label-name', from: 10, selector: '{app="x", env!="dev"}' });
  // After an operator a name is no longer what fits.
  assert.deepEqual(at('{app=¦}'), { kind: 'none' });
  assert.deepEqual(at('{app ¦}'), { kind: 'none' });
});

test('inside a matcher string: values of that label, scoped by the other matchers', () => {
  assert.deepEqual(at('{app="¦"}'), { kind: 'label-value', from: 6, label: 'app', quote: '"', selector: '' });
  assert.deepEqual(at('{env="dev", app="ch¦"}'), { kind: 'label-value', from: 17, label: 'app', quote: '"', selector: '{env="dev"}' });
  assert.deepEqual(at('{env="dev", app=~"ch¦'), { kind: 'label-value', from: 18, label: 'app', quote: '"', selector: '{env="dev"}' });
  assert.deepEqual(at('{app!=`x¦`}'), { kind: 'label-value', from: 7, label: 'app', quote: '`', selector: '' });
  // An escaped quote does not end the string; a string outside a selector is a line filter, not a value.
  assert.deepEqual(at('{app="a\\"b¦"}'), { kind: 'label-value', from: 6, label: 'app', quote: '"', selector: '' });
  assert.deepEqual(at('{app="x"} |= "err¦"'), { kind: 'none' });
  // A selector that does not parse scopes nothing.
  assert.deepEqual(at('{env="dev" x, app="¦"}'), { kind: 'label-value', from: 19, label: 'app', quote: '"', selector: '{env="dev"}' });
});

test('after a pipe: pipeline stages (and line filters replacing the pipe)', () => {
  assert.deepEqual(at('{app="x"} |¦'), { kind: 'pipeline', from: 11, pipeFrom: 10 });
  assert.deepEqual(at('{app="x"} | js¦'), { kind: 'pipeline', from: 12, pipeFrom: 10 });
  assert.deepEqual(at('{app="x"} | json | ¦'), { kind: 'pipeline', from: 19, pipeFrom: 17 });
  assert.deepEqual(at('{app="x"} != "a" |¦'), { kind: 'pipeline', from: 18, pipeFrom: 17 });
  assert.deepEqual(at('{app="x"} | json | level="error" ¦'), { kind: 'none' });
});

test('where an expression starts: functions and aggregations; after an aggregation: by/without; in by (…): label names', () => {
  assert.deepEqual(at('¦'), { kind: 'function', from: 0, aggregation: false });
  assert.deepEqual(at('cou¦'), { kind: 'function', from: 0, aggregation: false });
  assert.deepEqual(at('sum(¦)'), { kind: 'function', from: 4, aggregation: false });
  assert.deepEqual(at('topk(5, ¦)'), { kind: 'function', from: 8, aggregation: false });
  assert.deepEqual(at('rate({a="b"}[5m]) / s¦'), { kind: 'function', from: 20, aggregation: false });
  assert.deepEqual(at('sum ¦'), { kind: 'function', from: 4, aggregation: true });
  assert.deepEqual(at('sum(rate({a="b"}[5m])) ¦'), { kind: 'function', from: 23, aggregation: true });
  assert.deepEqual(at('sum(rate({a="b"}[5m])) by (le¦)'), { kind: 'grouping-label', from: 27, selector: '{a="b"}' });
  assert.deepEqual(at('sum by (¦'), { kind: 'grouping-label', from: 8, selector: '' });
  // After a selector, inside a range, nothing is offered.
  assert.deepEqual(at('{a="b"} ¦'), { kind: 'none' });
  assert.deepEqual(at('rate({a="b"}[5¦'), { kind: 'none' });
});
