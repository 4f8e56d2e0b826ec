/**
 * Fuzzing the framed files' decoders (issue #8): WAL segments, streams.log and index.log are
 * sequences of frames (src/store/frame.ts). Whatever random damage a file takes (flipped bytes,
 * truncation, inserted garbage), scanning it never throws or hangs, returns only records that were
 * written (no damaged record is ever returned as good), in order, and returns every record whose
 * own bytes were untouched (replay resynchronises after damage). Decoding the returned records
 * with the WAL, streams and index decoders then gives back exactly what was written.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { frame, scanFrames } from '../../../src/store/frame.js';
import { decodeAppendRecord, encodeAppendRecord } from '../../../src/store/wal-record.js';
import { WAL_RECORD_HEADER } from '../../../src/store/wal.js';
import { decodeIndexRecord, encodeBlockRecord, type BlockMeta } from '../../../src/store/block-meta.js';
import { ByteReader, ByteWriter } from '../../../src/store/bytes.js';
import { sealFrame } from '../../../src/store/frame.js';
import { fuzzParams } from '../../helpers/fuzz.js';

type Damage = { kind: 'flip'; at: number; len: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: Uint8Array };

const damageArb: fc.Arbitrary<Damage[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 32 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

/**
 * Applies damage to a file of frames; returns the damaged file and, for each original record
 * (by its [start, end) in the original), whether its bytes survive untouched and where.
 */
function damage(file: Buffer, spans: Array<[number, number]>, ds: Damage[]): { buf: Buffer; intact: boolean[] } {
  let buf = Buffer.from(file);
  // Positions of the original bytes in the damaged buffer (-1: gone), and which bytes changed.
  let pos: number[] = Array.from({ length: file.length }, (_, i) => i);
  const touched = new Array<boolean>(file.length).fill(false);
  for (const d of ds) {
    if (buf.length === 0) break;
    const at = d.at % (buf.length + 1);
    if (d.kind === 'flip') {
      const end = Math.min(buf.length, at + d.len);
      for (let i = at; i < end; i++) buf[i]! ^= 0xa5;
      pos.forEach((p, i) => {
        if (p >= at && p < end) touched[i] = true;
      });
    } else if (d.kind === 'truncate') {
      buf = buf.subarray(0, at);
      pos = pos.map((p) => (p >= at ? -1 : p));
    } else {
      buf = Buffer.concat([buf.subarray(0, at), Buffer.from(d.bytes), buf.subarray(at)]);
      // An insertion inside a record splits it: that record is damaged.
      pos.forEach((p, i) => {
        if (p > at && pos[i - 1] !== undefined && pos[i - 1]! < at) touched[i] = true;
      });
      pos = pos.map((p) => (p >= at && p >= 0 ? p + d.bytes.length : p));
    }
  }
  const intact = spans.map(([s, e]) => {
    for (let i = s; i < e; i++) if (touched[i] || pos[i] === -1 || (i > s && pos[i] !== pos[i - 1]! + 1)) return false;
    return true;
  });
  return { buf, intact };
}

/** Checks the scan of a damaged file against what was written. */
function checkScan(payloads: Buffer[], ds: Damage[]): Buffer[] {
  const frames = payloads.map((p) => frame(p));
  const spans: Array<[number, number]> = [];
  let o = 0;
  for (const f of frames) {
    spans.push([o, o + f.length]);
    o += f.length;
  }
  const { buf, intact } = damage(Buffer.concat(frames), spans, ds);
  const got = scanFrames(buf);
  // Only written records, in order.
  let k = 0;
  for (const r of got.records) {
    while (k < payloads.length && !payloads[k]!.equals(r)) k++;
    assert.ok(k < payloads.length, 'a record that was never written came back as good');
    k++;
  }
  // Every untouched record is found.
  const found = new Set(got.records.map((r) => r.toString('hex')));
  payloads.forEach((p, i) => {
    if (intact[i]) assert.ok(found.has(p.toString('hex')), `untouched record ${i} of ${payloads.length} was not returned`);
  });
  return got.records;
}

test('framed files: random damage never returns a damaged record and never hides an untouched one', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 20 }), damageArb, (raw, ds) => {
      // Distinct payloads, so "which record came back" is unambiguous.
      const payloads = raw.map((r, i) => Buffer.concat([Buffer.from(`${i}:`), Buffer.from(r)]));
      checkScan(payloads, ds);
    }),
    fuzzParams(),
  );
});

test('scanning garbage never throws and finds nothing', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      const got = scanFrames(Buffer.from(bytes));
      assert.ok(got.validEnd <= bytes.length);
      // A random 12-byte header passing a CRC-32C over its payload is a 2^-32 event.
      assert.equal(got.records.length, 0);
    }),
    fuzzParams(),
  );
});

const entryArb = fc.record({ ts: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), line: fc.string({ maxLength: 40 }), metadata: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string({ maxLength: 5 })), { nil: undefined }) });

test('WAL records: after random damage, every replayed record decodes to exactly what was appended', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(entryArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
      damageArb,
      (batches, ds) => {
        const records = batches.map((entries, i) => {
          const buf = encodeAppendRecord('t', [{ labels: { job: `j${i}` }, key: `{job="j${i}"}`, entries: entries.map((e) => (e.metadata && Object.keys(e.metadata).length > 0 ? e : { ts: e.ts, line: e.line })) }]);
          buf.writeBigInt64LE(BigInt(i + 1), WAL_RECORD_HEADER - 8);
          return sealFrame(buf).subarray(12);
        });
        for (const rec of checkScan(records, ds)) {
          const lsn = Number(rec.readBigInt64LE(0));
          const decoded = decodeAppendRecord(rec.subarray(8))!;
          const want = batches[lsn - 1]!;
          assert.equal(decoded.streams[0]!.entries.length, want.length);
          decoded.streams[0]!.entries.forEach((e, j) => {
            assert.equal(e.ts, want[j]!.ts);
            assert.equal(e.line, want[j]!.line);
          });
        }
      },
    ),
    fuzzParams(0.5),
  );
});

test('streams.log and index.log records: after random damage, every returned record decodes to exactly what was written', () => {
  const metaArb = fc.record({
    streamId: fc.integer({ min: 1, max: 1e6 }),
    minTs: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    maxTs: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    entries: fc.nat({ max: 1e6 }),
    rawBytes: fc.nat({ max: 1e9 }),
    segment: fc.nat({ max: 1e5 }),
    offset: fc.nat({ max: 1e9 }),
    length: fc.nat({ max: 1e8 }),
    lsn: fc.nat({ max: 1e9 }),
    bloom: fc.uint8Array({ maxLength: 64 }),
  });
  fc.assert(
    fc.property(fc.array(fc.tuple(metaArb, fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), { noNullPrototype: true })), { minLength: 1, maxLength: 10 }), damageArb, (items, ds) => {
      const payloads = items.map(([m, labels], i) => {
        const w = new ByteWriter(64);
        w.varint(i);
        w.str(JSON.stringify(labels));
        w.bytes(encodeBlockRecord(m as BlockMeta));
        return w.finish();
      });
      for (const rec of checkScan(payloads, ds)) {
        const r = new ByteReader(rec);
        const i = r.varint();
        assert.deepEqual(JSON.parse(r.str()), items[i]![1]);
        const ir = decodeIndexRecord(rec.subarray(r.pos));
        assert.equal(ir.kind, 'block');
        if (ir.kind === 'block') {
          const { bloom, ...rest } = ir.meta;
          const { bloom: wantBloom, ...want } = items[i]![0];
          assert.deepEqual(rest, want);
          assert.deepEqual(Buffer.from(bloom), Buffer.from(wantBloom));
        }
      }
    }),
    fuzzParams(0.5),
  );
});

test('index records: decoding random bytes gives an error or a record, never a crash or a hang', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeIndexRecord(Buffer.from(bytes));
      } catch (e) {
        assert.ok(e instanceof Error);
      }
    }),
    fuzzParams(),
  );
});

test('a frame forged inside a damaged record (e.g. through an entry timestamp) is not taken for a record', () => {
  const forged = frame(Buffer.from('forged record'));
  const a = Buffer.concat([Buffer.from('head of a record whose payload carries '), forged, Buffer.from(' and more bytes')]);
  const b = Buffer.from('the next real record');
  const file = Buffer.concat([frame(a), frame(b)]);
  // Damage a's payload (before the forged bytes); its header still gives its extent.
  file[14]! ^= 0xff;
  const got = scanFrames(file);
  assert.deepEqual(got.records.map((r) => r.toString()), ['the next real record']);
  assert.deepEqual(got.damaged, [{ offset: 0, length: 12 + a.length }]);
});

test('a damaged length does not hide the intact frames after it (found by the fuzzer, FUZZ_SEED=1376549483)', () => {
  const payloads = ['0:ab', '1:cd', '2:efg', '3:h', '9:ij', '10:klm'].map((t) => Buffer.from(t));
  const frames = payloads.map((p) => frame(p));
  const file = Buffer.concat(frames);
  // The first frame's length now points exactly at the fifth frame (and its checksum fails): taken
  // at its word, it would hide the three intact frames in between.
  const fifth = frames.slice(0, 4).reduce((n, f) => n + f.length, 0);
  file.writeUInt32LE(fifth - 12, 8);
  const got = scanFrames(file);
  assert.deepEqual(got.records.map((r) => r.toString()), ['1:cd', '2:efg', '3:h', '9:ij', '10:klm']);
  assert.deepEqual(got.damaged, [{ offset: 0, length: frames[0]!.length }]);
});

test('a damaged length with more damage inside its wrong extent still hides no intact frame (FUZZ_SEED=1413191804)', () => {
  const payloads = ['0:a', '1:bc', '2:def', '3:g', '4:hi', '5:jkl', '6:m'].map((t) => Buffer.from(t));
  const frames = payloads.map((p) => frame(p));
  const starts = frames.map((_, i) => frames.slice(0, i).reduce((n, f) => n + f.length, 0));
  const file = Buffer.concat(frames);
  // Frame 1's length points at frame 5, and frame 3 is damaged too: frames 2 and 4 are intact.
  file.writeUInt32LE(starts[5]! - starts[1]! - 12, starts[1]! + 8);
  file[starts[3]!]! ^= 0xff;
  const got = scanFrames(file);
  assert.deepEqual(got.records.map((r) => r.toString()), ['0:a', '2:def', '4:hi', '5:jkl', '6:m']);
});
