/** Detected fields and labels (src/query/drilldown/detected-fields.ts, detected-labels.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferType, combineTypes, parseLine, detectFields, encodeDetectedFields, fieldValues, FieldStats, EXACT_VALUES_BOUND } from '../../../src/query/drilldown/detected-fields.js';
import { rejectLabel } from '../../../src/query/drilldown/detected-labels.js';
import type { ResultEntry } from '../../../src/query/engine/log-query.js';

test('inferType follows Loki: int, float, boolean, duration, bytes, string', () => {
  const cases: Array<[string, string]> = [
    ['42', 'int'],
    ['-7', 'int'],
    ['9223372036854775807', 'int'],
    ['9223372036854775808', 'float'], // overflows int64, still a float
    ['3.14', 'float'],
    ['1e3', 'float'],
    ['true', 'boolean'],
    ['F', 'boolean'],
    ['1.5s', 'duration'],
    ['250ms', 'duration'],
    ['2h45m', 'duration'],
    ['10MB', 'bytes'],
    ['1.5 KiB', 'bytes'],
    ['hello', 'string'],
    ['', 'string'],
    ['GET', 'string'],
  ];
  for (const [v, want] of cases) assert.equal(inferType(v), want, v);
});

test('combineTypes: agreement, int widened to float, otherwise the majority', () => {
  assert.equal(combineTypes(new Map([['int', 3]])), 'int');
  assert.equal(combineTypes(new Map([['int', 3], ['float', 1]])), 'float');
  assert.equal(combineTypes(new Map([['duration', 5], ['string', 1]])), 'duration');
  assert.equal(combineTypes(new Map()), 'string');
});

test('parseLine: JSON first (nested keys joined, arrays skipped), logfmt otherwise', () => {
  const j = parseLine('{"level":"info","req":{"method":"GET","ms":12},"tags":["a"],"n":null}', {});
  assert.equal(j?.parser, 'json');
  assert.deepEqual([...j!.fields.keys()].sort(), ['level', 'req_method', 'req_ms']);
  assert.deepEqual(j!.fields.get('req_method')!.jsonPath, ['req', 'method']);
  const l = parseLine('level=warn duration=1.5s user="a b" flag', { level: 'x' });
  assert.equal(l?.parser, 'logfmt');
  assert.deepEqual(Object.fromEntries([...l!.fields].map(([k, v]) => [k, v.value])), { level_extracted: 'warn', duration: '1.5s', user: 'a b' });
  assert.equal(parseLine('just some words', {}), undefined);
  // Broken JSON falls back to logfmt.
  assert.equal(parseLine('{"a": 1, oops=1', {})?.parser, 'logfmt');
});

function entry(line: string, metadata?: Record<string, string>, stream: Record<string, string> = { app: 'x' }): ResultEntry {
  const e = { streamId: 1, ts: 1n, line, labels: { ...stream, ...(metadata ?? {}) }, stream: { id: 1, labels: stream, key: '' } } as ResultEntry;
  if (metadata) e.metadata = metadata;
  return e;
}

test('detectFields: types, cardinality, parsers (null for structured metadata), field limit', () => {
  const entries = [
    entry('level=info duration=10ms status=200', { trace_id: 'abc' }),
    entry('level=error duration=1.5s status=500', { trace_id: 'def' }),
    entry('{"level":"info","bytes":"10KB","ok":true}'),
  ];
  const body = encodeDetectedFields(detectFields(entries, 100), 100);
  const byName = Object.fromEntries(body.fields.map((f) => [f.label, f]));
  assert.equal(body.limit, 100);
  assert.deepEqual(byName.level, { label: 'level', type: 'string', cardinality: 2, parsers: ['logfmt', 'json'], jsonPath: ['level'] });
  assert.deepEqual(byName.duration, { label: 'duration', type: 'duration', cardinality: 2, parsers: ['logfmt'] });
  assert.deepEqual(byName.status, { label: 'status', type: 'int', cardinality: 2, parsers: ['logfmt'] });
  assert.deepEqual(byName.trace_id, { label: 'trace_id', type: 'string', cardinality: 2, parsers: null });
  assert.deepEqual(byName.bytes, { label: 'bytes', type: 'bytes', cardinality: 1, parsers: ['json'], jsonPath: ['bytes'] });
  assert.equal(byName.ok!.type, 'boolean');
  assert.equal(detectFields(entries, 2).size, 2);
  assert.deepEqual(fieldValues(entries, 'level', 10), ['error', 'info']);
  assert.deepEqual(fieldValues(entries, 'level', 1).length, 1);
});

test('cardinality is exact up to the bound, then an estimate', () => {
  const f = new FieldStats();
  for (let i = 0; i < 500; i++) f.add('v' + (i % 250));
  assert.equal(f.cardinality, 250);
  const g = new FieldStats();
  for (let i = 0; i < 20_000; i++) g.add('v' + i);
  assert.ok(g.overflow);
  assert.equal(g.values.size, EXACT_VALUES_BOUND);
  const est = g.cardinality;
  assert.ok(est > 20_000 * 0.85 && est < 20_000 * 1.15, `estimate ${est}`);
});

test('detected labels: Loki drops id-like labels, keeps 0/1 flags and the static labels', () => {
  assert.equal(rejectLabel('app', new Set(['api', 'web'])), false);
  assert.equal(rejectLabel('pid', new Set(['12', '345', '6789'])), true);
  assert.equal(rejectLabel('req', new Set(['123e4567-e89b-12d3-a456-426614174000'])), true);
  assert.equal(rejectLabel('canary', new Set(['0', '1'])), false);
  assert.equal(rejectLabel('instance', new Set(['1', '2', '3'])), false);
  assert.equal(rejectLabel('__stream_shard__', new Set(['a'])), true);
  assert.equal(rejectLabel('mixed', new Set(['1', 'two'])), false);
});
