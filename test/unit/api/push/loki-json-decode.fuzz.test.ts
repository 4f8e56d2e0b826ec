/**
 * The Loki JSON push decoder against an independent model of what it must do (issue #12: a
 * byte-level decoder and other shortcuts were tried against it). The model reads the body as UTF-8 with Buffer#toString, parses it with JSON.parse
 * (so duplicate keys: the last wins, as in Loki/Go) and parses timestamps as Go's
 * strconv.ParseInt(s, 10, 64) with BigInt. Bodies: valid ones with unicode, escapes, lone
 * surrogates, huge, negative, signed, zero-padded and non-string timestamps, metadata, duplicate
 * keys and odd whitespace; then the same with bytes flipped, invalid UTF-8 inserted, or cut short.
 * Whatever the model accepts must decode to exactly its streams; whatever it rejects must be a 400
 * or 413 naming the problem (for a syntax error, JSON.parse's own message). FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePushJson, parseNsString } from '../../../../src/api/push/index.js';
import { isLogwharfError } from '../../../../src/api/errors.js';
import type { Entry, Labels, StreamPush } from '../../../../src/api/model.js';
import { fuzzParams } from '../../../helpers/fuzz.js';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Go's strconv.ParseInt(s, 10, 64), spelled the plain way. */
function modelNs(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s) || s.length > 20) return undefined;
  const v = BigInt(s);
  return v > INT64_MAX || v < INT64_MIN ? undefined : v;
}

class Rejected extends Error {}

function modelLabels(v: unknown): Labels | undefined {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Rejected('labels');
  const out: Labels = {};
  for (const [k, val] of Object.entries(v as object)) {
    if (typeof val !== 'string') throw new Rejected('label value');
    Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The decoded streams, a Rejected for a body the decoder must refuse, or 'legacy' (not modelled). */
function model(body: Buffer): StreamPush[] | Rejected | 'legacy' {
  if (body.length === 0) return new Rejected('empty body');
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    return new Rejected((e as Error).message);
  }
  try {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Rejected('top level');
    const streams = (doc as { streams?: unknown }).streams;
    if (streams === undefined || streams === null) return [];
    if (!Array.isArray(streams)) throw new Rejected('streams');
    const out: StreamPush[] = [];
    for (const s of streams as unknown[]) {
      if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Rejected('stream');
      const r = s as Record<string, unknown>;
      if (r.values === undefined && (r.entries !== undefined || typeof r.labels === 'string')) return 'legacy';
      const labels = modelLabels(r.stream)!;
      if (r.values === undefined || r.values === null) continue;
      if (!Array.isArray(r.values)) throw new Rejected('values');
      const entries: Entry[] = [];
      for (const v of r.values as unknown[]) {
        if (!Array.isArray(v) || v.length < 2 || v.length > 3) throw new Rejected('value');
        if (typeof v[0] !== 'string') throw new Rejected('ts type');
        const ts = modelNs(v[0]);
        if (ts === undefined) throw new Rejected('ts');
        if (typeof v[1] !== 'string') throw new Rejected('line');
        let metadata: Labels | undefined;
        if (v.length === 3 && v[2] !== null) {
          const md = modelLabels(v[2])!;
          if (Object.keys(md).length > 0) metadata = md;
        }
        entries.push({ ts, line: v[1], metadata });
      }
      if (entries.length > 0) out.push({ labels, entries });
    }
    return out;
  } catch (e) {
    if (e instanceof Rejected) return e;
    throw e;
  }
}

function check(body: Buffer): void {
  const want = model(body);
  let got: StreamPush[] | undefined;
  let err: unknown;
  try {
    got = decodePushJson(body).streams;
  } catch (e) {
    err = e;
  }
  if (want === 'legacy') {
    if (err !== undefined) assert.ok(isLogwharfError(err) && err.status === 400, String(err));
    return;
  }
  if (want instanceof Rejected) {
    assert.ok(isLogwharfError(err), `expected a rejection (${want.message}), got ${err === undefined ? 'a decoded body' : String(err)}`);
    assert.equal(err.status, 400);
    assert.match(err.message, /^invalid JSON push request: /);
    // A syntax error is reported with JSON.parse's message for the same text: the body was read as the same string.
    if (!/^(empty body|top level|streams|stream|values|value|ts type|ts|line|labels|label value)$/.test(want.message)) assert.ok(err.message.endsWith(want.message), `${err.message} vs ${want.message}`);
    return;
  }
  assert.equal(err, undefined, `rejected a body the model accepts: ${String(err)}`);
  assert.deepEqual(got, want);
}

// Timestamps: the usual 19 digits, any int64, around its ends, signed, zero-padded, 20+ digits, not numbers.
const tsArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 1_600_000_000_000_000_000n, max: 1_900_000_000_000_000_000n }).map(String) },
  fc.bigInt({ min: INT64_MIN - 3n, max: INT64_MAX + 3n }).map(String),
  fc.bigInt({ min: INT64_MAX - 2_000_000_000n, max: INT64_MAX + 2_000_000_000n }).map(String),
  fc.bigInt({ min: 0n, max: 10n ** 21n }).map((v) => '+' + String(v)),
  fc.tuple(fc.integer({ min: 0, max: 21 }), fc.bigInt({ min: 0n, max: 10n ** 12n })).map(([z, v]) => '0'.repeat(z) + String(v)),
  fc.constantFrom('', '-', '+', '0', '-0', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '09223372036854775807', ' 1', '1 ', '1e9', '0x10', '１２'),
  fc.stringMatching(/^[+-]?[0-9]{0,22}$/),
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.constantFrom(null, true, [], {}),
);
const textArb = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  // Lone surrogates: JSON.stringify writes them as \udXXX escapes.
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer())).map((o) => JSON.stringify(o)),
);
const labelsArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), textArb, { maxKeys: 3 }) },
  fc.constantFrom(null, undefined, 'app="x"', 3, []),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.integer(), fc.constant(null)), { minKeys: 1, maxKeys: 2 }),
);
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(tsArb, textArb) },
  { weight: 2, arbitrary: fc.tuple(tsArb, textArb, fc.oneof(labelsArb, fc.constant({}))) },
  fc.tuple(tsArb),
  fc.tuple(tsArb, textArb, fc.constant(null), fc.constant(null)),
  fc.tuple(tsArb, fc.oneof(fc.integer(), fc.constant(null))),
  fc.constantFrom(null, 'x', {}),
);
const streamArb = fc.record(
  { stream: labelsArb, values: fc.oneof({ weight: 6, arbitrary: fc.array(valueArb, { maxLength: 5 }) }, fc.constantFrom(null, undefined, 'x', {})), extra: fc.constantFrom(undefined, 1, 'x') },
  { requiredKeys: ['stream', 'values'] },
);
const docArb = fc.record({ streams: fc.oneof({ weight: 8, arbitrary: fc.array(streamArb, { maxLength: 4 }) }, fc.constantFrom(null, undefined, {}, 'x')) });

/** A document as text: compact or indented, sometimes a key repeated (JSON.parse and Go keep the last). */
const bodyArb: fc.Arbitrary<Buffer> = fc
  .tuple(docArb, fc.constantFrom(undefined, 1, '\t', ' \r\n'), fc.option(fc.tuple(fc.constantFrom('"values":', '"stream":', '"streams":'), fc.nat(), fc.oneof(valueArb, streamArb).map((v) => JSON.stringify([v]) ?? 'null'))))
  .map(([doc, indent, dup]) => {
    let text = JSON.stringify(doc, null, indent as string | number | undefined);
    if (dup) {
      const [key, at, value] = dup;
      const hits: number[] = [];
      for (let i = text.indexOf(key); i >= 0; i = text.indexOf(key, i + 1)) hits.push(i);
      // The duplicate goes before an existing key: `"values":[…],"values":…` — the later one wins.
      if (hits.length > 0) {
        const i = hits[at % hits.length]!;
        text = `${text.slice(0, i)}${key}${key === '"values":' ? value : key === '"stream":' ? '{"dup":"1"}' : '[]'},${text.slice(i)}`;
      }
    }
    return Buffer.from(text);
  });

/** A body damaged: bytes flipped, invalid or multi-byte UTF-8 put in, or cut short. */
const damagedArb: fc.Arbitrary<Buffer> = fc
  .tuple(bodyArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom([0xff], [0xc3], [0xe2, 0x82], [0xc3, 0xa9], [0xf0, 0x9f, 0x9a, 0x80], [0x5c], [0x22], [0x0a], [0x01])), { maxLength: 2 }), fc.option(fc.nat()))
  .map(([b, flips, inserts, cut]) => {
    let out = Buffer.from(b);
    for (const [at, x] of flips) if (out.length > 0) out[at % out.length]! ^= x;
    for (const [at, bytes] of inserts) {
      const i = out.length === 0 ? 0 : at % out.length;
      out = Buffer.concat([out.subarray(0, i), Buffer.from(bytes), out.subarray(i)]);
    }
    return cut === null || out.length === 0 ? out : out.subarray(0, cut % out.length);
  });

test('parseNsString reads a timestamp exactly as strconv.ParseInt(s, 10, 64) would', () => {
  fc.assert(
    fc.property(tsArb.filter((t): t is string => typeof t === 'string'), (s) => {
      assert.equal(parseNsString(s), modelNs(s));
    }),
    fuzzParams(5),
  );
  for (const s of ['1714521600000000000', '1714521600999999999', '1714521601000000000', '1714521600000000001', '999999999', '1000000000', '0', '9223372036854775807'])
    assert.equal(parseNsString(s), BigInt(s));
  assert.equal(parseNsString('9223372036854775808'), undefined);
  assert.equal(parseNsString('-9223372036854775808'), -(1n << 63n));
  assert.equal(parseNsString('+00000000000000000001'), undefined, '21 characters');
  assert.equal(parseNsString('00000000000000000001'), 1n, '20 digits, as Go accepts');
});

test('valid and odd JSON push bodies decode exactly as the model (JSON.parse of the UTF-8 text, ParseInt timestamps)', () => {
  fc.assert(fc.property(bodyArb, check), fuzzParams(3));
});

test('damaged bodies (flipped bytes, invalid UTF-8, truncation) are decoded or refused exactly as the model says', () => {
  fc.assert(fc.property(damagedArb, check), fuzzParams(3));
});

test('non-ASCII bodies read as UTF-8, including invalid sequences, whatever the escapes around them', () => {
  const line = 'ünï ✓ 🚀 \u0000 \\ " \ud800 x';
  const body = Buffer.from(JSON.stringify({ streams: [{ stream: { app: 'ä' }, values: [['1714521600000000001', line, { k: 'ü' }]] }] }));
  check(body);
  const ascii = Buffer.from(JSON.stringify({ streams: [{ stream: { app: 'a' }, values: [['1714521600000000001', line]] }] }).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  assert.deepEqual(decodePushJson(ascii).streams[0]!.entries[0]!.line, line);
  // A raw 0xff byte inside a line is U+FFFD, as Buffer#toString gives it.
  const bad = Buffer.from('{"streams":[{"stream":{"a":"b"},"values":[["1","x\u00ffy"]]}]}', 'latin1');
  assert.equal(decodePushJson(bad).streams[0]!.entries[0]!.line, 'x\ufffdy');
  check(bad);
});
