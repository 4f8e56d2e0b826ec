/**
 * Bloom sizes: hot blooms keep false positives near 1%, cold ones (smaller) near 3.5%, and
 * neither ever answers "absent" for a token that is present.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bloomMayContain, bloomProbe, buildBloom, COLD_BLOOM } from '../../../src/store/bloom.js';
import { seeded } from './store.case.js';

function tokens(rnd: () => number, n: number, prefix: string): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}x${Math.floor(rnd() * 2 ** 32).toString(36)}`);
}

test('false-positive rates of hot and cold blooms, and no false negatives', () => {
  const rnd = seeded(17);
  const present = tokens(rnd, 20_000, 'p');
  const absent = tokens(rnd, 20_000, 'a');
  const text = Buffer.from(present.join(' '), 'utf8');
  const hot = buildBloom(text);
  const cold = buildBloom(text, 0, undefined, COLD_BLOOM);
  assert.ok(cold.length < hot.length * 0.75, `cold ${cold.length} bytes, hot ${hot.length}`);
  const rate = (bloom: Uint8Array) => absent.filter((t) => bloomMayContain(bloom, bloomProbe(` ${t} `))).length / absent.length;
  for (const b of [hot, cold]) for (const t of present) assert.ok(bloomMayContain(b, bloomProbe(` ${t} `)), t);
  const hotRate = rate(hot);
  const coldRate = rate(cold);
  assert.ok(hotRate > 0.003 && hotRate < 0.02, `hot false positives ${hotRate}`);
  assert.ok(coldRate > 0.02 && coldRate < 0.05, `cold false positives ${coldRate}`);
});
