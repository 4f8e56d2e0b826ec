/**
 * The timestamp stage's JSON field lookup agrees with JSON.parse on any object line: any key (quotes,
 * backslashes, unicode), any nesting, compact or indented, the field's string value decoded, a
 * scalar as written, an object or array not a time, a missing key missing.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { fieldOf } from '../../../../src/agent/pipeline/timestamp.js';
import { fuzzParams } from '../../../helpers/fuzz.js';

const key = fc.oneof(fc.constantFrom('time', 'ts', 'msg'), fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 4 }));

test('fieldOf(JSON line, key) is what JSON.parse finds at the top level', () => {
  fc.assert(
    fc.property(fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), key, fc.constantFrom(0, 1, 2), (obj, wanted, indent) => {
      const line = JSON.stringify(obj, null, indent);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const has = Object.prototype.hasOwnProperty.call(parsed, wanted);
      const v = has ? parsed[wanted] : undefined;
      const expected = !has || (typeof v === 'object' && v !== null) ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
      const got = fieldOf(line, wanted);
      if (got !== expected) throw new Error(`fieldOf(${line}, ${JSON.stringify(wanted)}) = ${JSON.stringify(got)}, want ${JSON.stringify(expected)}`);
    }),
    fuzzParams(5),
  );
});

test('fieldOf(JSON line, key) takes the last of repeated keys, as JSON.parse', () => {
  const pair = fc.tuple(fc.constantFrom('time', 'ts', 'msg'), fc.jsonValue({ maxDepth: 2 }));
  fc.assert(
    fc.property(fc.array(pair, { maxLength: 8 }), fc.constantFrom('time', 'ts'), fc.constantFrom('', ' ', '\n'), (pairs, wanted, sp) => {
      const line = `{${sp}${pairs.map(([k, v]) => `${JSON.stringify(k)}${sp}:${sp}${JSON.stringify(v)}`).join(`,${sp}`)}${sp}}`;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const has = Object.prototype.hasOwnProperty.call(parsed, wanted);
      const v = has ? parsed[wanted] : undefined;
      const expected = !has || (typeof v === 'object' && v !== null) ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
      const got = fieldOf(line, wanted);
      if (got !== expected) throw new Error(`fieldOf(${line}, ${JSON.stringify(wanted)}) = ${JSON.stringify(got)}, want ${JSON.stringify(expected)}`);
    }),
    fuzzParams(2),
  );
});
