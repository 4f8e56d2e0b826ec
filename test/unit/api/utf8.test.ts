import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { utf8Cut } from '../../../src/api/utf8.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const b = (s: string) => Buffer.from(s, 'utf8');

test('a cut inside a character moves back to its first byte', () => {
  const buf = b('aé€😀'); // a(1) é(2) €(3) 😀(4): boundaries 0 1 3 6 10
  const cuts = Array.from({ length: buf.length + 1 }, (_, end) => utf8Cut(buf, 0, end));
  assert.deepEqual(cuts, [0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10]);
});

test('never moves before start, and leaves invalid bytes whole', () => {
  const buf = b('€');
  assert.equal(utf8Cut(buf, 1, 2), 2); // the lead is before start: nothing to protect from here
  assert.equal(utf8Cut(Buffer.from([0x61, 0x80, 0x80]), 0, 3), 3);
  assert.equal(utf8Cut(Buffer.from([0x80, 0x80, 0x80, 0x80]), 0, 4), 4);
});

test('a cut is the largest character boundary at or before end (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.nat(), (s, n) => {
      const buf = b(s);
      const end = n % (buf.length + 1);
      const boundaries = [0];
      for (const ch of s) boundaries.push(boundaries.at(-1)! + Buffer.byteLength(ch));
      const want = boundaries.filter((x) => x <= end).at(-1);
      assert.equal(utf8Cut(buf, 0, end), want, `end ${end} of ${JSON.stringify(s)}`);
    }),
    fuzzParams(),
  );
});
