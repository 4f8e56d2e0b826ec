/**
 * The remote-write encoder round-trips: a WriteRequest decoded field by field from the published
 * .proto facts (WriteRequest.timeseries = 1; TimeSeries.labels = 1, samples = 2; Label.name = 1,
 * value = 2; Sample.value = 1 double, timestamp = 2 int64), with the project's protobuf reader, gives
 * back the series: labels sorted by name with empty values left out, samples exact (NaN and ±Inf
 * included), timestamps exact down to negative ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import snappy from 'snappy';
import { encodeRemoteWriteBody, encodeWriteRequest, type SeriesSamples } from '../../../src/api/remote-write.js';
import { ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from '../../../src/api/push/protobuf.js';
import { fuzzParams } from '../../helpers/fuzz.js';

interface DecodedSeries {
  labels: Array<[string, string]>;
  samples: Array<{ t: number; v: number }>;
}

/** Decodes a WriteRequest from the .proto's field numbers; fails on any field it does not expect. */
function decodeWriteRequest(buf: Buffer): DecodedSeries[] {
  const r = new ProtoReader(buf);
  const out: DecodedSeries[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    assert.equal(tag, (1 << 3) | WIRE_LEN, 'WriteRequest holds only timeseries (field 1)');
    const end = r.lenEnd();
    const outer = r.end;
    r.end = end;
    const s: DecodedSeries = { labels: [], samples: [] };
    while (r.pos < end) {
      const tt = r.tag();
      const fend = r.lenEnd();
      const saved = r.end;
      r.end = fend;
      if (tt === ((1 << 3) | WIRE_LEN)) {
        let name = '';
        let value = '';
        while (r.pos < fend) {
          const lt = r.tag();
          if (lt === ((1 << 3) | WIRE_LEN)) name = r.string();
          else if (lt === ((2 << 3) | WIRE_LEN)) value = r.string();
          else assert.fail(`unexpected Label tag ${lt}`);
        }
        s.labels.push([name, value]);
      } else if (tt === ((2 << 3) | WIRE_LEN)) {
        let v = 0;
        let t = 0;
        while (r.pos < fend) {
          const st = r.tag();
          if (st === ((1 << 3) | WIRE_FIXED64)) v = r.double();
          else if (st === ((2 << 3) | WIRE_VARINT)) t = Number(r.int64());
          else assert.fail(`unexpected Sample tag ${st}`);
        }
        s.samples.push({ t, v });
      } else assert.fail(`unexpected TimeSeries tag ${tt}`);
      r.pos = fend;
      r.end = saved;
    }
    r.end = outer;
    out.push(s);
  }
  return out;
}

const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,15}$/);
const labelsArb = fc.dictionary(labelName, fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constant('')), { maxKeys: 8 });
const sampleArb = fc.record({
  t: fc.integer({ min: -1e13, max: 4e12 }),
  v: fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0)),
});
const seriesArb: fc.Arbitrary<SeriesSamples> = fc.record({
  labels: fc.tuple(labelName, labelsArb).map(([name, rest]) => ({ ...rest, __name__: name })),
  samples: fc.array(sampleArb, { maxLength: 6 }),
});

function expected(series: SeriesSamples[]): DecodedSeries[] {
  return series.map((s) => ({
    labels: Object.entries(s.labels)
      .filter(([, v]) => v !== '')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    samples: s.samples.map(({ t, v }) => ({ t, v })),
  }));
}

test('WriteRequest encoding round-trips through a decoder written from the .proto', () => {
  fc.assert(
    fc.property(fc.array(seriesArb, { maxLength: 6 }), (series) => {
      const decoded = decodeWriteRequest(encodeWriteRequest(series));
      // Object.is semantics: NaN equals NaN, -0 differs from 0 (a double is sent bit for bit).
      assert.deepStrictEqual(decoded, expected(series));
    }),
    fuzzParams(),
  );
});

test('the HTTP body is the WriteRequest in one snappy block', () => {
  fc.assert(
    fc.property(fc.array(seriesArb, { maxLength: 4 }), (series) => {
      const { contentType, body } = encodeRemoteWriteBody(series);
      assert.equal(contentType, 'application/x-protobuf');
      assert.deepEqual(snappy.uncompressSync(body, { asBuffer: true }), encodeWriteRequest(series));
    }),
    fuzzParams(0.25),
  );
});

test('labels are sorted by name, so __name__ comes before lower-case names and after upper-case ones', () => {
  const [s] = decodeWriteRequest(encodeWriteRequest([{ labels: { job: 'a', __name__: 'm', Zone: 'z', empty: '' }, samples: [{ t: 1, v: 2 }] }]));
  assert.deepEqual(s!.labels, [
    ['Zone', 'z'],
    ['__name__', 'm'],
    ['job', 'a'],
  ]);
});
