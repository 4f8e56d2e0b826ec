import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline } from '../../../../src/logql/pipeline/compile.js';
import type { PipelineStage } from '../../../../src/logql/syntax/ast.js';

// A seeded generator, so a failure is reproducible.
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['{', '}', '[', ']', '"', '\\', ':', ',', '=', ' ', 'a', 'b', '1', '-', '.', 'e', 'u', 'n', 'true', 'null', '\u001b[31m', '\uFFFD', '\uD800', '😀', '\n', '<', '>', '_', '__proto__'];

function randomLine(r: () => number): string {
  const n = Math.floor(r() * 60);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

test('random input never throws out of any stage', () => {
  const stages: PipelineStage[][] = [
    [{ kind: 'json', params: [] }],
    [{ kind: 'json', params: [{ label: 'a', expr: 'a[0].b' }, { label: 'c' }] }],
    [{ kind: 'logfmt', strict: false, keepEmpty: true, params: [] }],
    [{ kind: 'logfmt', strict: true, keepEmpty: false, params: [] }],
    [{ kind: 'unpack' }, { kind: 'json', params: [] }],
    [{ kind: 'pattern', pattern: '<a> <_>=<b>' }],
    [{ kind: 'regexp', pattern: '(?P<k>\\w+)=(?P<v>\\S*)' }],
    [{ kind: 'decolorize' }, { kind: 'line_format', template: '{{ __line__ | trunc 10 }}{{ .a }}{{ .k | default "-" | ToUpper }}' }],
    [{ kind: 'logfmt', strict: false, keepEmpty: false, params: [] }, { kind: 'label_filter', expr: { type: 'duration', name: 'a', op: '>', value: 1, text: '1ns' } }],
    [{ kind: 'line_filter', op: '|=', values: [{ kind: 'ip', value: '::/0' }] }],
    [{ kind: 'line_filter', op: '|>', values: [{ kind: 'string', value: '<_>a<_>' }] }],
  ];
  const r = rng(12648430);
  const lines = Array.from({ length: 3000 }, () => randomLine(r));
  for (const st of stages) {
    const sp = compilePipeline(st).forStream({ job: 'fuzz', a: 'stream' });
    for (const line of lines) {
      const out = sp.process(1n, line);
      if (out) {
        assert.equal(typeof out.line, 'string');
        for (const [k, v] of Object.entries(out.labels)) assert.equal(typeof v, 'string', `${JSON.stringify(st)} ${JSON.stringify(line)} ${k}`);
      }
    }
  }
});

test('a very long logfmt line and many keys', () => {
  const line = Array.from({ length: 20_000 }, (_v, i) => `k${i}=v${i}`).join(' ');
  const out = compilePipeline([{ kind: 'logfmt', strict: true, keepEmpty: false, params: [] }]).forStream({}).process(0n, line)!;
  assert.equal(Object.keys(out.labels).length, 20_000);
  assert.equal(out.labels.k19999, 'v19999');
});
