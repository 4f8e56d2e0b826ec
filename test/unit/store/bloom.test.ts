/**
 * Bloom sizes: hot blooms keep false positives near 1%, cold ones (smaller) near 3.5%, and
 * neither ever answers "absent" for a token that is present.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bloomMayContain, bloomProbe, buildBloom, COLD_BLOOM } from '../../../src/store/bloom.js';
import { seeded } from './store.case.js';
import { seededRandom } from '../../helpers/random.js';

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

// Blooms written before issue #12's stop 16 (hot and cold), pinned: blooms on disk are probed by the
// bit indexes they were built with, so a change to the tokenizer, hash or index function must keep
// these bytes (or version the layout in byte 0 and keep probing these the old way).
const FIXTURE_TEXT =
  'level=info msg="GET /api/v1/orders/8123 200" trace_id=f3b1c2d4-9a7e-4c1b-8e2f-5d6a7b8c9d0e user=ünïcødé dur=12.5ms\n' +
  '{"level":"error","service":"orders-svc","msg":"upstream timeout","request_id":"6a11184024628ec4"}';
const FIXTURE_HOT = '07379ac363a4b46cfcbe811de83b16748e3dd976c7e600c0290a6301712d9bcbd6';
const FIXTURE_COLD = '050a064a9ce15df7fbdb95b6b77cb00043df02c2f0f1b3';

test('blooms are built and probed as the ones already on disk', () => {
  const text = Buffer.from(FIXTURE_TEXT, 'utf8');
  assert.equal(Buffer.from(buildBloom(text)).toString('hex'), FIXTURE_HOT);
  assert.equal(Buffer.from(buildBloom(text, 0, text.length, COLD_BLOOM)).toString('hex'), FIXTURE_COLD);
  for (const hex of [FIXTURE_HOT, FIXTURE_COLD]) {
    const bloom = Buffer.from(hex, 'hex');
    for (const s of ['-9a7e-4c1b-', ' msg=', '"upstream timeout"', '=ünïcødé ', '"6a11184024628ec4"', '/orders/']) assert.ok(bloomMayContain(bloom, bloomProbe(s)), s);
    // Absent tokens these small blooms happen to reject (checked against the bytes above).
    assert.equal(bloomMayContain(bloom, bloomProbe(' nosuchtoken ')) && bloomMayContain(bloom, bloomProbe(' zzzqqq ')) && bloomMayContain(bloom, bloomProbe(' 0000deadbeef ')), false);
  }
});

test('no false negatives: every substring of a line with whole inner tokens may be in its block', (t) => {
  const rnd = seededRandom(t);
  const pieces = ['a', 'ab', 'abc', 'level', 'info', '0', '12', '123', '9a7e', 'é', 'ünï', '日本', '-', ' ', '=', '"', '/', ':', ',', '{', '}', '.', '_', '\t'];
  for (let round = 0; round < 30; round++) {
    const lines = Array.from({ length: 1 + rnd.int(200) }, () => Array.from({ length: rnd.int(30) }, () => pieces[rnd.int(pieces.length)]).join(''));
    const bloom = buildBloom(Buffer.from(lines.join('\n'), 'utf8'), 0, undefined, rnd.int(2) === 0 ? undefined : COLD_BLOOM);
    for (const line of lines) {
      for (let k = 0; k < 10 && line.length > 0; k++) {
        const from = rnd.int(line.length);
        const sub = line.slice(from, from + 1 + rnd.int(line.length - from));
        assert.ok(bloomMayContain(bloom, bloomProbe(sub)), `${JSON.stringify(sub)} of ${JSON.stringify(line)}`);
      }
    }
  }
});
