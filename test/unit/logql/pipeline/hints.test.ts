import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFilterHints } from '../../../../src/logql/pipeline/compile.js';
import type { PipelineStage } from '../../../../src/logql/syntax/ast.js';
import { contains, json, lineFormat, notContains, notRe, re } from './helpers.js';

const hints = (...stages: PipelineStage[]) => extractFilterHints(stages);

test('|= literals become required groups; or-alternatives form one group', () => {
  assert.deepEqual(hints(contains('error')), { required: [['error']], requiredInsensitive: [] });
  assert.deepEqual(hints(contains('a', 'b'), contains('c')), { required: [['a', 'b'], ['c']], requiredInsensitive: [] });
  assert.deepEqual(hints(contains('')), { required: [], requiredInsensitive: [] });
  assert.deepEqual(hints(notContains('x'), notRe('y')), { required: [], requiredInsensitive: [] });
});

test('literal regexes and case-insensitive literal regexes', () => {
  assert.deepEqual(hints(re('timeout|refused')), { required: [['timeout', 'refused']], requiredInsensitive: [] });
  assert.deepEqual(hints(re('(?i)ERROR')), { required: [], requiredInsensitive: [['error']] });
  assert.deepEqual(hints(re('(?i)Error', '(?i)WARN')), { required: [], requiredInsensitive: [['error', 'warn']] });
  assert.deepEqual(hints(re('err.r')), { required: [], requiredInsensitive: [] });
  assert.deepEqual(hints(re('(?i)a', 'b')), { required: [], requiredInsensitive: [] }, 'mixed sensitivity gives nothing');
  assert.deepEqual(hints(re('a\\.b')), { required: [['a.b']], requiredInsensitive: [] });
});

test('filters after parsers count; filters after line-changing stages do not', () => {
  assert.deepEqual(hints(contains('a'), json(), contains('b')), { required: [['a'], ['b']], requiredInsensitive: [] });
  assert.deepEqual(hints(contains('a'), lineFormat('{{.x}}'), contains('b')), { required: [['a']], requiredInsensitive: [] });
  assert.deepEqual(hints({ kind: 'decolorize' }, contains('b')), { required: [], requiredInsensitive: [] });
  assert.deepEqual(hints({ kind: 'unpack' }, contains('b')), { required: [], requiredInsensitive: [] });
});

test('pattern filter literals and ip filters', () => {
  assert.deepEqual(hints({ kind: 'line_filter', op: '|>', values: [{ kind: 'string', value: '<_> error <_> code=<_>' }] }), {
    required: [[' error '], [' code=']],
    requiredInsensitive: [],
  });
  assert.deepEqual(hints({ kind: 'line_filter', op: '|=', values: [{ kind: 'ip', value: '10.0.0.0/8' }] }), { required: [], requiredInsensitive: [] });
});
