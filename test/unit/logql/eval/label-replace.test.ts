// label_replace over the fixed data in helpers.ts:
//   sum by (pod) (A): a = 1+10, 2+20, 3 = 11 22 3 · b = 4 - 6
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, DATA, evalRows } from './helpers.js';
import { expandTemplate } from '../../../../src/logql/eval/label-replace.js';

const q = (s: string) => evalRows(s, DATA);
const SP = `sum by (pod) (${A})`;

test('numbered capture groups', async () => {
  assert.deepEqual(await q(`label_replace(${SP}, "p", "pod-$1", "pod", "(.*)")`), [
    [{ p: 'pod-a', pod: 'a' }, [11, 22, 3]],
    [{ p: 'pod-b', pod: 'b' }, [4, null, 6]],
  ]);
});

test('named groups; a series whose source does not match is unchanged', async () => {
  // "(?P<name>a)" matches only "a" (anchored): x = "a!" there, b unchanged.
  assert.deepEqual(await q(`label_replace(${SP}, "x", "\${name}!", "pod", "(?P<name>a)")`), [
    [{ pod: 'a', x: 'a!' }, [11, 22, 3]],
    [{ pod: 'b' }, [4, null, 6]],
  ]);
});

test('the regex is anchored', async () => {
  // "" only matches the empty string, so nothing changes
  assert.deepEqual(await q(`label_replace(${SP}, "x", "y", "pod", "")`), [
    [{ pod: 'a' }, [11, 22, 3]],
    [{ pod: 'b' }, [4, null, 6]],
  ]);
});

test('an absent source label is the empty string', async () => {
  assert.deepEqual(await q(`label_replace(sum(${A}), "x", "empty", "nope", "")`), [[{ x: 'empty' }, [15, 22, 9]]]);
});

test('an empty result removes the label; series that collide at one step are an error', async () => {
  // "$1x" names group "1x" (Go's rule), which does not exist → "" → pod removed from both series;
  // a and b then both have values at steps 0 and 2 under the same labels {}.
  await assert.rejects(q(`label_replace(${SP}, "pod", "$1x", "pod", "(.*)")`), /vector cannot contain metrics with the same labelset/);
});

test('series that end up with the same labels merge when their samples do not overlap', async () => {
  // topk by (level) (1, A): info/a - 2 -, info/b 4 - 6, error/a 10 20 -. Dropping pod merges
  // the two info series into 4 2 6.
  assert.deepEqual(await q(`label_replace(topk by (level) (1, ${A}), "pod", "", "pod", ".*")`), [
    [{ job: 'x', level: 'error' }, [10, 20, null]],
    [{ job: 'x', level: 'info' }, [4, 2, 6]],
  ]);
});

test('invalid destination label names are refused', async () => {
  await assert.rejects(q(`label_replace(${SP}, "1a", "x", "pod", "(.*)")`), /invalid destination label name in label_replace\(\): 1a/);
});

test('expandTemplate follows Go Regexp.Expand', () => {
  const m = /^(?<first>a)(b)?(c)$/u.exec('ac')!;
  assert.equal(expandTemplate('$1-${3}', m), 'a-c');
  assert.equal(expandTemplate('$first/${first}', m), 'a/a');
  assert.equal(expandTemplate('[$2]', m), '[]'); // unmatched group
  assert.equal(expandTemplate('$9', m), ''); // no such group
  assert.equal(expandTemplate('$1x', m), ''); // group named "1x"
  assert.equal(expandTemplate('${1}x', m), 'ax');
  assert.equal(expandTemplate('$$1', m), '$1');
  assert.equal(expandTemplate('cost: $', m), 'cost: $'); // malformed: copied
  assert.equal(expandTemplate('${1', m), '${1');
  assert.equal(expandTemplate('$01', m), 'a'); // decimal group number
});
