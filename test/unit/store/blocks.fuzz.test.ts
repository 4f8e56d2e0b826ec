/**
 * Fuzzing the block decoders (issue #8): a sealed block is a 40-byte header (with the payload's
 * checksum) and a split region of two checksummed zstd frames (src/store/block-codec.ts). Random
 * damage (flips, truncation, inserted garbage) makes decoding throw or, only when the bytes that
 * matter are untouched, give back exactly what was written: never a crash, a hang or wrong
 * entries returned as good. The header's checksum catches every change of the payload.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Entry } from '../../../src/api/model.js';
import { compressBlock, decodeBlockPayload, decodeBlockStats, entriesStats, serializeEntries } from '../../../src/store/block-codec.js';
import { blockHeader, payloadChecksumOk, readBlockHeader } from '../../../src/store/block-meta.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const entriesArb: fc.Arbitrary<Entry[]> = fc
  .array(
    fc.record({
      ts: fc.bigInt({ min: 0n, max: 2n ** 62n }),
      line: fc.string({ maxLength: 60 }),
      metadata: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string({ maxLength: 5 }), { noNullPrototype: true, minKeys: 1 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((es) => es.map((e) => (e.metadata ? e : { ts: e.ts, line: e.line })).sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)));

type Damage = { kind: 'flip'; at: number; len: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: Uint8Array };

const damageArb: fc.Arbitrary<Damage[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  ),
  { minLength: 1, maxLength: 3 },
);

function apply(buf: Buffer, ds: Damage[]): Buffer {
  let out = Buffer.from(buf);
  for (const d of ds) {
    const at = d.at % (out.length + 1);
    if (d.kind === 'flip') for (let i = at; i < Math.min(out.length, at + d.len); i++) out[i]! ^= 0x5a;
    else if (d.kind === 'truncate') out = out.subarray(0, at);
    else out = Buffer.concat([out.subarray(0, at), Buffer.from(d.bytes), out.subarray(at)]);
  }
  return out;
}

function plain(entries: Entry[]): unknown[] {
  return entries.map((e) => ({ ts: e.ts, line: e.line, metadata: e.metadata && Object.keys(e.metadata).length > 0 ? { ...e.metadata } : undefined }));
}

test('a damaged block payload decodes to an error or to exactly the entries written', () => {
  fc.assert(
    fc.property(entriesArb, damageArb, (entries, ds) => {
      const payload = compressBlock(serializeEntries(entries).buf, 1);
      const damaged = apply(payload, ds);
      let got: Entry[] | undefined;
      try {
        got = decodeBlockPayload(damaged);
      } catch (e) {
        assert.ok(e instanceof Error);
      }
      if (got) assert.deepEqual(plain(got), plain(entries));
      let stats;
      try {
        stats = decodeBlockStats(damaged);
      } catch (e) {
        assert.ok(e instanceof Error);
      }
      if (stats) {
        const want = entriesStats(entries);
        assert.deepEqual([...stats.ts], [...want.ts]);
        assert.deepEqual([...stats.sizes], [...want.sizes]);
      }
    }),
    fuzzParams(0.5),
  );
});

test("a block's header checksum fails for every damaged payload", () => {
  fc.assert(
    fc.property(entriesArb, damageArb, (entries, ds) => {
      const payload = compressBlock(serializeEntries(entries).buf, 1);
      const header = blockHeader({ streamId: 1, minTs: entries[0]!.ts, maxTs: entries[entries.length - 1]!.ts, entries: entries.length, rawBytes: 0 }, payload);
      const h = readBlockHeader(header, 0)!;
      assert.ok(payloadChecksumOk(h, payload));
      const damaged = apply(payload, ds);
      if (!damaged.equals(payload)) assert.ok(!payloadChecksumOk(h, damaged));
    }),
    fuzzParams(),
  );
});

test('decoding random bytes as a block never crashes or hangs', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, split) => {
      const buf = Buffer.from(bytes);
      // Half the inputs look like a split region, so the decoder goes past its first byte.
      if (split && buf.length > 0) buf[0] = 0x53;
      for (const decode of [decodeBlockPayload, decodeBlockStats]) {
        try {
          decode(buf);
        } catch (e) {
          assert.ok(e instanceof Error);
        }
      }
    }),
    fuzzParams(),
  );
});
