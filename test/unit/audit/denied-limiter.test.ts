/**
 * The bound on denial records (src/audit/denied-limiter.ts): per address, over all addresses, and on
 * the table of addresses; every refusal is either recorded or counted into exactly one summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeniedLimiter, OTHER_ADDRESSES } from '../../../src/audit/denied-limiter.js';
import { seededRandom } from '../../helpers/random.js';

const limits = { burst: 3, intervalMs: 1000, globalBurst: 5, maxAddresses: 4 };

test('an address gets `burst` records a window; the rest are summarised once the window ends', () => {
  const l = new DeniedLimiter(limits);
  const admitted = Array.from({ length: 10 }, (_, i) => l.admit('10.0.0.1', i < 5 ? 'bad_credentials' : 'rate_limited', 100 + i));
  assert.deepEqual(admitted, [true, true, true, false, false, false, false, false, false, false]);
  assert.deepEqual(l.due(1099), [], 'the window is still open');
  assert.equal(l.pending(), 7);
  assert.deepEqual(l.due(1100), [{ client: '10.0.0.1', suppressed: 7, reasons: { bad_credentials: 2, rate_limited: 5 }, from: 100, to: 1100 }]);
  assert.equal(l.pending(), 0);
  assert.equal(l.admit('10.0.0.1', 'role', 1200), true, 'a new window');
});

test('a window that ended before the sweep keeps its summary when the address comes back', () => {
  const l = new DeniedLimiter(limits);
  for (let i = 0; i < 5; i++) l.admit('a', 'x', 0);
  assert.equal(l.admit('a', 'x', 1500), true);
  assert.deepEqual(l.due(1600).map((s) => [s.client, s.suppressed, s.from]), [['a', 2, 0]]);
});

test('over all addresses at most `globalBurst` records a window, and the table of addresses is bounded', () => {
  const l = new DeniedLimiter(limits);
  const admitted = ['a', 'b', 'c', 'd', 'e', 'f'].flatMap((a) => [l.admit(a, 'x', 0), l.admit(a, 'x', 0)]).filter(Boolean).length;
  assert.equal(admitted, 5);
  const summaries = l.due(Infinity);
  assert.deepEqual(summaries.map((s) => s.client).sort(), ['*', 'c', 'd'].sort());
  assert.equal(summaries.find((s) => s.client === OTHER_ADDRESSES)!.suppressed, 4, 'e and f share one entry');
});

test('every refusal is recorded or counted exactly once (random floods)', (ctx) => {
  const r = seededRandom(ctx);
  const rand = () => r.next();
  const seed = r.seed;
  const l = new DeniedLimiter({ burst: 10, intervalMs: 60_000, globalBurst: 100, maxAddresses: 50 });
  let t = 0;
  let recorded = 0;
  let summarised = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rand() * 50);
    if (l.admit(`10.0.${Math.floor(rand() * 200)}`, 'x', t)) recorded++;
    if (rand() < 0.001) summarised += l.due(t).reduce((s, x) => s + x.suppressed, 0);
  }
  summarised += l.due(Infinity).reduce((s, x) => s + x.suppressed, 0);
  assert.equal(recorded + summarised, n, `seed ${seed}`);
  const windows = Math.ceil(t / 60_000) + 1;
  assert.ok(recorded <= 100 * windows, `at most 100 records a window (seed ${seed}): ${recorded} in ${windows}`);
});
