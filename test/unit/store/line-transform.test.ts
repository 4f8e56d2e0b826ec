/**
 * The timestamp line transform of payload version 2 is lossless: random lines built from a line's
 * own timestamp in every supported format, near misses (a millisecond off, other zones, truncated,
 * another entry's timestamp), escape characters, NULs, newlines and lone surrogates decode exactly
 * as version 1 (which stores lines as they are) decodes them. The fast formatters agree with Date.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry } from '../../../src/api/model.js';
import { compressPayload, decodeBlockPayload, deserializeEntries, PAYLOAD_VERSION_TS, serializeEntries } from '../../../src/store/block-codec.js';
import { formatTimestamp, restoreTimestamp, stripTimestamps, writeLineTimestamp, writeTimestamp } from '../../../src/store/line-transform.js';
import { seeded } from './store.case.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Reference formatters, written independently of the fast ones, from Date. */
function reference(code: number, ts: bigint): string {
  const ms = Number(ts / 1_000_000n);
  const iso = new Date(ms).toISOString();
  if (code === 2) return iso;
  if (code === 3) return iso.slice(0, 10) + ' ' + iso.slice(11, 23);
  if (code === 4) {
    const d = new Date(ms);
    return `${iso.slice(8, 10)}/${MONTHS[d.getUTCMonth()]}/${iso.slice(0, 4)}:${iso.slice(11, 19)} +0000`;
  }
  const us = ts / 1000n;
  return `${us / 1_000_000n}.${String(us % 1_000_000n).padStart(6, '0')}`;
}

test('fast formatters agree with Date for random times from 1970 to 9999', () => {
  const rnd = seeded(99);
  const out = Buffer.alloc(64);
  for (let i = 0; i < 20_000; i++) {
    const scale = [1e9, 1e12, 2e12, 253_402_300_799_999][i % 4]!;
    const ms = Math.floor(rnd() * scale);
    const ts = BigInt(ms) * 1_000_000n + BigInt(Math.floor(rnd() * 1_000_000));
    for (const code of [2, 3, 4, 5]) {
      assert.equal(formatTimestamp(code, ts), reference(code, ts), `code ${code} ms ${ms}`);
      // The byte writer the columnar decoder restores escapes with writes the same text.
      const at = 1 + (i % 7);
      const len = writeTimestamp(code, ts, out, at);
      assert.equal(out.toString('latin1', at, at + len), reference(code, ts), `bytes: code ${code} ms ${ms}`);
    }
  }
  assert.throws(() => writeTimestamp(2, -1n, out, 0), RangeError);
  assert.throws(() => writeTimestamp(9, 0n, out, 0), RangeError);
  assert.equal(formatTimestamp(2, 253_402_300_799_999_000_000n), '9999-12-31T23:59:59.999Z');
  assert.equal(formatTimestamp(2, 0n), '1970-01-01T00:00:00.000Z');
});

test("a block line's timestamp written from the block's first time and the line's offset is the timestamp's text", () => {
  const rnd = seeded(7);
  const out = Buffer.alloc(64);
  const offsets = new Float64Array(64);
  for (let i = 0; i < 2_000; i++) {
    // A block's first time anywhere (its ns below a ms too), offsets up to ~100 days, ms boundaries crossed.
    const first = BigInt(Math.floor(rnd() * 2e12)) * 1_000_000n + BigInt([0, 999_999, Math.floor(rnd() * 1_000_000)][i % 3]!);
    for (let k = 0; k < offsets.length; k++) offsets[k] = k % 4 === 0 ? k : Math.floor(rnd() * [1e6, 1e9, 8.64e15][k % 3]!);
    const times = { first, offsets };
    for (let k = 0; k < offsets.length; k++) {
      for (const code of [2, 3, 4, 5]) {
        const ts = first + BigInt(offsets[k]!);
        const len = writeLineTimestamp(code, times, k, out, 3);
        assert.equal(out.toString('latin1', 3, 3 + len), reference(code, ts), `code ${code} first ${first} offset ${offsets[k]}`);
      }
    }
  }
  assert.throws(() => writeLineTimestamp(2, { first: 253_402_300_799_999_999_999n, offsets: [1_000_000] }, 0, out, 0), RangeError);
  assert.throws(() => writeLineTimestamp(2, { first: -5n, offsets: [1] }, 0, out, 0), RangeError);
});

const PIECES = ['', ' ', 'a', '"ts":"', '" ', '\u0001', '\u0001\u0001', '\u0001\u0002', '\u0002', '\0', '\n', '\uD800', '\uDC00', '\uD83D', '🚀', 'ü', 'Z', '.', ' UTC', ' +0000]', '['];

function randomLine(rnd: () => number, ts: bigint, other: bigint, newlines: boolean): string {
  let line = '';
  const parts = Math.floor(rnd() * 7);
  for (let k = 0; k < parts; k++) {
    const r = rnd();
    if (r < 0.35) {
      // The entry's own timestamp in a supported format, possibly damaged (a near miss).
      let t = reference(2 + Math.floor(rnd() * 4), rnd() < 0.8 ? ts : ts + [1_000_000n, -1_000_000n, 1000n, 1_000_000_000n][Math.floor(rnd() * 4)]!);
      const d = rnd();
      if (d < 0.1) t = t.slice(0, -1);
      else if (d < 0.2) t = t.slice(1);
      else if (d < 0.25) t = t.replace('Z', '+00:00');
      else if (d < 0.3) t = t.replace('.', ',');
      line += t;
    } else if (r < 0.45) {
      line += reference(2 + Math.floor(rnd() * 4), other);
    } else {
      const p = PIECES[Math.floor(rnd() * PIECES.length)]!;
      line += newlines || p !== '\n' ? p : '-';
    }
  }
  return line;
}

test('version 2 payloads decode exactly as version 1 for random lines', () => {
  const rnd = seeded(2024);
  let transformed = 0;
  for (let round = 0; round < 400; round++) {
    const newlines = rnd() < 0.3;
    const entries: Entry[] = [];
    let ts = [1_714_521_600_000_000_000n, 0n, 9_223_372_000_000_000_000n, 999_999_999n][round % 4]!;
    const n = 1 + Math.floor(rnd() * 40);
    for (let i = 0; i < n; i++) {
      ts += BigInt(Math.floor(rnd() * 3)) * [1n, 1000n, 1_000_000n, 1_000_000_000n][Math.floor(rnd() * 4)]!;
      const e: Entry = { ts, line: randomLine(rnd, ts, ts + 7_000_000n, newlines) };
      if (rnd() < 0.1) e.metadata = { k: 'v\u0001' };
      entries.push(e);
    }
    if (round % 50 === 7) entries.push({ ts: ts + 1n, line: '' }, { ts: ts + 2n, line: '\u0001' }, { ts: ts + 3n, line: formatTimestamp(2, ts + 3n) });
    const v1 = serializeEntries(entries);
    const v2 = serializeEntries(entries, { stripTimestamps: true });
    assert.equal(v2.rawBytes, v1.rawBytes);
    if (v2.buf[0] === PAYLOAD_VERSION_TS) transformed++;
    const expected = deserializeEntries(v1.buf);
    assert.deepEqual(deserializeEntries(v2.buf), expected, `round ${round}`);
    assert.deepEqual(decodeBlockPayload(compressPayload(v2.buf, 3)), expected);
  }
  assert.ok(transformed > 300, `only ${transformed} rounds used version 2`);
});

test('the transform replaces only the own timestamp, escapes the marker, and rejects damaged escapes', () => {
  const ts = 1_714_521_600_073_000_000n;
  const line = '{"ts":"2024-05-01T00:00:00.073Z","x":"\u0001"}';
  const [t] = stripTimestamps([{ ts, line }])!;
  assert.equal(t, '{"ts":"\u0001\u0002","x":"\u0001\u0001"}');
  assert.equal(restoreTimestamp(t!, ts), line);
  // Another timestamp's text stays as it is: nothing to strip.
  assert.equal(stripTimestamps([{ ts: ts + 1_000_000n, line }]), undefined);
  assert.equal(restoreTimestamp('plain', ts), 'plain');
  assert.throws(() => restoreTimestamp('bad \u0001', ts), RangeError);
  assert.throws(() => restoreTimestamp('bad \u0001\u0000', ts), RangeError);
  assert.throws(() => restoreTimestamp('bad \u0001\u0063', ts), RangeError);
  // Outside four-digit years nothing is formatted, so nothing can be stripped or restored.
  assert.equal(stripTimestamps([{ ts: -1n, line: '1969-12-31T23:59:59.999Z' }]), undefined);
  assert.throws(() => restoreTimestamp('\u0001\u0002', -1n), RangeError);
});
