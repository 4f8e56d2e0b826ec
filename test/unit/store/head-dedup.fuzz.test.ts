/**
 * The head's duplicate check (issue #12: its out-of-order timestamp index is a hash table over typed
 * arrays) against a plain set of (timestamp, line): random appends in and out of order, with equal
 * timestamps, repeated lines, negative and large timestamps; and the digest kept of a sealed head
 * (./sealed-digest.ts, issue #12 stop 18) agrees with the set as it was when the digest was taken,
 * whether the head's seal order was computed first or not. FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Head } from '../../../src/store/head.js';
import type { Entry } from '../../../src/api/model.js';
import { fuzzParams } from '../../helpers/fuzz.js';

// Few distinct values, so duplicates and equal timestamps are common; some far apart (both halves of the 64 bits vary).
const tsArb = fc.oneof(fc.bigInt({ min: 0n, max: 6n }), fc.constantFrom(-1n, 2n ** 32n, 2n ** 32n + 1n, 1_700_000_000_000_000_000n, 2n ** 63n - 1n, -(2n ** 63n)));
const lineArb = fc.constantFrom('a', 'b', '', 'é', 'a\nb', 'x'.repeat(300));
const opArb = fc.oneof(
  { arbitrary: fc.record({ ts: tsArb, line: lineArb }).map((e) => ({ add: e as Entry })), weight: 8 },
  { arbitrary: fc.record({ ts: tsArb, line: lineArb }).map((e) => ({ probe: e as Entry })), weight: 2 },
  { arbitrary: fc.boolean().map((sealFirst) => ({ digest: sealFirst })), weight: 1 },
);

test('a head keeps exactly the entries a set of (timestamp, line) would, and contains() agrees', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 400 }), fc.nat(64), (ops, hint) => {
      const head = new Head(hint, hint);
      const seen = new Set<string>();
      const kept: Entry[] = [];
      let digest: { d: ReturnType<Head['digest']>; seen: Set<string> } | undefined;
      for (const op of ops) {
        if ('digest' in op) {
          if (op.digest) head.sealParts();
          digest = { d: head.digest(), seen: new Set(seen) };
        } else if ('probe' in op) {
          const k = `${op.probe.ts}\0${op.probe.line}`;
          assert.equal(head.contains(op.probe), seen.has(k), `contains ${op.probe.ts} ${JSON.stringify(op.probe.line)}`);
          if (digest) assert.equal(digest.d.contains(op.probe), digest.seen.has(k), `digest contains ${op.probe.ts} ${JSON.stringify(op.probe.line)}`);
        } else {
          const k = `${op.add.ts}\0${op.add.line}`;
          assert.equal(head.add(op.add, 1, 0), !seen.has(k), `add ${op.add.ts} ${JSON.stringify(op.add.line)}`);
          if (!seen.has(k)) kept.push(op.add);
          seen.add(k);
        }
      }
      assert.equal(head.size, kept.length);
      const sorted = kept.map((e, i) => ({ e, i })).sort((a, b) => (a.e.ts < b.e.ts ? -1 : a.e.ts > b.e.ts ? 1 : a.i - b.i)).map(({ e }) => ({ ts: e.ts, line: e.line }));
      assert.deepEqual(head.sortedEntries().map((e) => ({ ts: e.ts, line: e.line })), sorted);
    }),
    fuzzParams(),
  );
});

test('a head that went out of order still finds duplicates after thousands of entries (the index grows)', () => {
  const head = new Head();
  const n = 5000;
  for (let i = n; i > 0; i--) assert.equal(head.add({ ts: BigInt(i) * 1_000_000n, line: `l${i % 7}` }, 1, 0), true);
  for (let i = 1; i <= n; i++) assert.equal(head.add({ ts: BigInt(i) * 1_000_000n, line: `l${i % 7}` }, 1, 0), false);
  for (let i = 1; i <= n; i++) assert.equal(head.contains({ ts: BigInt(i) * 1_000_000n, line: `l${(i + 1) % 7}` }), false);
  assert.equal(head.size, n);
});
