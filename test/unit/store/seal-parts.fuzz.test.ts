/**
 * Sealing a head writes its block from the payload's parts (Head.sealParts → compressParts, issue
 * #12 stop 16) instead of a payload parsed back by compressBlock, and timestamps' deltas from their
 * 32-bit halves instead of BigInts. The block must be byte for byte the one the general path writes
 * (serializeEntries → compressBlock over the head's entries in time order), so blocks sealed before
 * and after read alike: random heads in and out of order, with lines holding newlines, metadata,
 * millisecond, microsecond and nanosecond steps, and timestamps far apart (raw timestamp mode).
 * FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Head } from '../../../src/store/head.js';
import { compressBlock, compressParts, decodeBlockPayload, serializeEntries } from '../../../src/store/block-codec.js';
import type { Entry, Labels } from '../../../src/api/model.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const base = fc.constantFrom(0n, 1_700_000_000_000_000_000n, -(2n ** 63n), 2n ** 63n - 2n ** 40n, 2n ** 32n - 3n);
const step = fc.oneof(
  fc.bigInt({ min: 0n, max: 5n }).map((n) => n * 1_000_000n),
  fc.bigInt({ min: 0n, max: 5n }).map((n) => n * 1000n),
  fc.bigInt({ min: -3n, max: 7n }),
  fc.constantFrom(2n ** 32n, 2n ** 32n - 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 60n),
);
const line = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('a\nb', '', 'é ü', 'x'.repeat(200)));
const meta = fc.option(fc.constantFrom<Labels>({ detected_level: 'info' }, { trace_id: 'abc', pod: 'p-1' }), { nil: undefined });
const wrap = (t: bigint): bigint => BigInt.asIntN(64, t);

test('a sealed head is the same block, byte for byte, as its entries serialised the general way', () => {
  fc.assert(
    fc.property(base, fc.array(fc.record({ step, line, meta }), { minLength: 1, maxLength: 120 }), (t0, rows) => {
      const head = new Head();
      let t = t0;
      for (const r of rows) {
        t = wrap(t + r.step);
        const e: Entry = { ts: t, line: r.line };
        if (r.meta) e.metadata = r.meta;
        head.add(e, 1, 0);
      }
      const sorted = head.sortedEntries();
      const p = head.sealParts();
      const block = compressParts(p.ts, p.lines, p.sizes, p.meta, 1);
      assert.deepEqual(block, compressBlock(serializeEntries(sorted).buf, 1));
      assert.deepEqual(block, compressBlock(head.serialize(), 1));
      assert.deepEqual(
        decodeBlockPayload(block).map((e) => [e.ts, e.line, e.metadata]),
        sorted.map((e) => [e.ts, e.line, e.metadata]),
      );
    }),
    fuzzParams(),
  );
});
