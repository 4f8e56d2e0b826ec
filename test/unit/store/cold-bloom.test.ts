/**
 * Cold blooms (issue #12 stop 17, src/store/cold-bloom.ts): long hex tokens left out and 5 bits a
 * token. Never a false negative (a query's long hex token is not checked against them); a needle
 * with short inner tokens still skips nearly every block; smaller than the bloom they replace; a
 * reader that predates them never rules a block out; and the bytes are pinned, as blooms on disk
 * are probed by the bit indexes they were built with.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bloomMayContain, bloomProbe, buildBloom, COLD_BLOOM } from '../../../src/store/bloom.js';
import { buildColdBloom } from '../../../src/store/cold-bloom.js';
import { seededRandom, type SeededRandom } from '../../helpers/random.js';

const hex = (r: SeededRandom, n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[r.int(16)]).join('');

/** JSON lines as the bench corpus has them: per-line request, trace and span ids, a user id, a duration. */
function jsonLines(r: SeededRandom, n: number): string[] {
  const msgs = ['payment authorized', 'cache hit', 'user logged in', 'db query slow', 'token refreshed'];
  return Array.from(
    { length: n },
    () =>
      `{"level":"info","service":"api-gateway","msg":"${msgs[r.int(msgs.length)]}","request_id":"${hex(r, 16)}","user_id":"u-${10_000_000 + r.int(900_000)}","duration_ms":${r.int(500)}.${r.int(10)},"trace_id":"${hex(r, 32)}","span_id":"${hex(r, 16)}"}`,
  );
}

const cold = (lines: string[]): Uint8Array => buildColdBloom(Buffer.from(lines.join('\n'), 'utf8'));

test('no false negatives: every substring of a line, long hex tokens and all, may be in its block', (t) => {
  const r = seededRandom(t);
  const pieces = ['a', 'abc', 'level', '0', '123', '9a7e', 'é', '日本', '-', ' ', '=', '"', '/', ':', '.', '_', 'deadbeef', '0123456789abcdef', 'ABCDEF0123456789', 'f00dfeedf00dfeedf00d'];
  for (let round = 0; round < 30; round++) {
    const lines = Array.from({ length: 1 + r.int(200) }, () => Array.from({ length: r.int(30) }, () => pieces[r.int(pieces.length)]).join(''));
    const bloom = cold(lines);
    for (const line of lines) {
      for (let k = 0; k < 10 && line.length > 0; k++) {
        const from = r.int(line.length);
        const sub = line.slice(from, from + 1 + r.int(line.length - from));
        assert.ok(bloomMayContain(bloom, bloomProbe(sub)), `${JSON.stringify(sub)} of ${JSON.stringify(line)}`);
      }
    }
  }
});

test('a needle with short inner tokens skips nearly every cold block; one whose only inner token is a long hex id is not checked', (t) => {
  const r = seededRandom(t);
  const blooms = Array.from({ length: 200 }, () => cold(jsonLines(r, 300)));
  const skipped = (needle: string) => blooms.filter((b) => !bloomMayContain(b, bloomProbe(needle))).length;
  // A uuid: its inner groups (9a7e, 4c1b, 8e2f) are checked.
  assert.ok(skipped('f3b1c2d4-9a7e-4c1b-8e2f-5d6a7b8c9d0e') >= 198, `${skipped('f3b1c2d4-9a7e-4c1b-8e2f-5d6a7b8c9d0e')} of 200 blocks skipped`);
  // One absent short token: ~9% of blocks are false positives (5 bits a token, 3 hashes).
  const one = Array.from({ length: 20 }, () => skipped(` zz${hex(r, 4)} `)).reduce((a, b) => a + b, 0) / (20 * 200);
  assert.ok(one > 0.85 && one < 0.96, `a single absent token skips ${one} of the blocks`);
  // A quoted request id: its only inner token is a long hex one, not in cold blooms, so not checked.
  assert.equal(skipped(`"request_id":"${hex(r, 16)}"`), 0);
  // The same in a hot bloom (which has every token) does skip.
  const hot = buildBloom(Buffer.from(jsonLines(r, 300).join('\n')));
  assert.equal(bloomMayContain(hot, bloomProbe(`"request_id":"${hex(r, 16)}"`)), false);
});

test('cold blooms are less than half the size of the blooms they replace on id-heavy lines', (t) => {
  const r = seededRandom(t);
  const lines = jsonLines(r, 4000);
  const before = buildBloom(Buffer.from(lines.join('\n')), 0, undefined, COLD_BLOOM).length;
  const after = cold(lines).length;
  assert.ok(after < before * 0.5, `cold bloom ${after} bytes, the stop-16 cold bloom ${before}`);
});

/** bloomMayContain as it was before cold blooms (stop 16): k from byte 0, bits from byte 1. */
function stop16MayContain(bloom: Uint8Array, probe: ReturnType<typeof bloomProbe>): boolean {
  if (probe.length === 0 || bloom.length < 2) return true;
  const m = ((bloom.length - 1) * 8) >>> 0;
  for (const [h1, h2] of probe) {
    for (let j = 0; j < bloom[0]!; j++) {
      const b = ((h1 + Math.imul(j, h2)) >>> 0) % m;
      if ((bloom[1 + (b >>> 3)]! & (1 << (b & 7))) === 0) return false;
    }
  }
  return true;
}

test('a reader before cold blooms never rules a block out (no skipping, but no wrong answer)', (t) => {
  const r = seededRandom(t);
  const bloom = cold(jsonLines(r, 100));
  const absent = Array.from({ length: 50 }, () => bloomProbe(` zz${hex(r, 6)} -${hex(r, 4)}- `));
  assert.ok(absent.filter((p) => !bloomMayContain(bloom, p)).length > 40, 'this reader skips');
  for (const p of absent) assert.equal(stop16MayContain(bloom, p), true);
  // And the stop-16 reader still reads the blooms written before (same bytes as ever).
  const old = buildBloom(Buffer.from('a needle here'), 0, undefined, COLD_BLOOM);
  assert.equal(stop16MayContain(old, bloomProbe(' needle ')), true);
  assert.equal(bloomMayContain(old, bloomProbe(' needle ')), true);
});

// A cold bloom as stop 17 writes it, pinned (see bloom.test.ts: change the format only with a new marker).
const FIXTURE_TEXT =
  'level=info msg="GET /api/v1/orders/8123 200" trace_id=f3b1c2d4-9a7e-4c1b-8e2f-5d6a7b8c9d0e user=ünïcødé dur=12.5ms\n' +
  '{"level":"error","service":"orders-svc","msg":"upstream timeout","request_id":"6a11184024628ec4"}';
const FIXTURE_COLD = '00038417f8fac211778c02766017c44bf4';

test('cold blooms are built and probed as the ones already on disk', () => {
  const bloom = buildColdBloom(Buffer.from(FIXTURE_TEXT, 'utf8'));
  assert.equal(Buffer.from(bloom).toString('hex'), FIXTURE_COLD);
  const onDisk = Buffer.from(FIXTURE_COLD, 'hex');
  for (const s of ['-9a7e-4c1b-', ' msg=', '"upstream timeout"', '=ünïcødé ', '"6a11184024628ec4"', '"0000000000000000"', '/orders/']) assert.ok(bloomMayContain(onDisk, bloomProbe(s)), s);
  assert.equal(bloomMayContain(onDisk, bloomProbe(' nosuchtoken ')) && bloomMayContain(onDisk, bloomProbe(' zzzqqq ')) && bloomMayContain(onDisk, bloomProbe(' 0000deadbeef ')), false);
});

test('storage.cold_bloom_long_hex keeps ids in cold blooms: a search for one id alone skips, still no false negatives', (t) => {
  const r = seededRandom(t);
  const blocks = Array.from({ length: 100 }, () => jsonLines(r, 300));
  const blooms = blocks.map((lines) => buildColdBloom(Buffer.from(lines.join('\n'), 'utf8'), true));
  const absent = `"request_id":"${hex(r, 16)}"`;
  const skipped = blooms.filter((b) => !bloomMayContain(b, bloomProbe(absent))).length;
  // One token at 5 bits and 3 hashes: ~9% false positives.
  assert.ok(skipped >= 80, `${skipped} of 100 blocks skipped`);
  for (let i = 0; i < blocks.length; i++) {
    const line = blocks[i]![r.int(300)]!;
    const id = /"request_id":"[0-9a-f]+"/.exec(line)![0];
    assert.ok(bloomMayContain(blooms[i]!, bloomProbe(id)), `${id} is in its block`);
  }
  // Larger than the default cold bloom, which leaves the ids out.
  const plain = cold(blocks[0]!);
  assert.ok(blooms[0]!.length > plain.length * 1.3, `${blooms[0]!.length} against ${plain.length} bytes`);
});
