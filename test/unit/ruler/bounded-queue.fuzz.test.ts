/**
 * The senders' bounded queue behaves like a plain list that keeps only its newest `capacity` items:
 * random pushes, batch takes and drains, checked against that model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BoundedQueue } from '../../../src/ruler/bounded-queue.js';
import { fuzzParams } from '../../helpers/fuzz.js';

interface Item {
  key: string;
  n: number;
}

type Op = { push: Item[] } | { take: number } | { drain: true };

const itemArb = fc.record({ key: fc.constantFrom('a', 'b', 'c'), n: fc.nat() });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.array(itemArb, { maxLength: 40 }).map((push) => ({ push })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 30 }).map((take) => ({ take })) },
  { weight: 1, arbitrary: fc.constant({ drain: true as const }) },
);

test('BoundedQueue matches a list that drops its oldest items beyond capacity', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.array(opArb, { maxLength: 200 }), (capacity, ops) => {
      const q = new BoundedQueue<Item>(capacity);
      let model: Item[] = [];
      for (const op of ops) {
        if ('push' in op) {
          const all = model.concat(op.push);
          const over = Math.max(0, all.length - capacity);
          assert.deepEqual(q.pushAll(op.push), all.slice(0, over));
          model = all.slice(over);
        } else if ('take' in op) {
          let end = 0;
          while (end < model.length && end < op.take && model[end]!.key === model[0]!.key) end++;
          assert.deepEqual(
            q.takeBatch(op.take, (i) => i.key),
            model.slice(0, end),
          );
          model = model.slice(end);
        } else {
          assert.deepEqual(q.drain(), model);
          model = [];
        }
        assert.equal(q.length, model.length);
      }
    }),
    fuzzParams(),
  );
});

test('a capacity below 1 is refused', () => {
  assert.throws(() => new BoundedQueue(0), /queue capacity must be at least 1, got 0/);
});
