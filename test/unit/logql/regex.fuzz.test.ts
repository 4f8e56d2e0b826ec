/**
 * compileRe2's fast paths (literal alternations on V8, the required-literal prefilter) must answer
 * exactly what RE2 itself answers, for any pattern and line. Patterns are built from pieces that
 * exercise the prefilter's parsing (literals, escapes, classes, groups, quantifiers, alternation,
 * a leading (?i)); lines from the same alphabet, so matches are frequent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { compileRe2 } from '../../../src/logql/regex.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const piece = fc.oneof(
  fc.constantFrom('a', 'b', 'ab', 'abc', 'Abc', 'err', 'or', ' ', '=', '-', '"', 'k', 'K', 's'),
  fc.constantFrom('\\.', '\\-', '\\(', '.', '\\d', '[ab]', '[^a]', '[]a]', '(ab)', '(?:b|c)', '(?P<n>a+)', '^', '$', '\\b'),
  fc.constantFrom('*', '+', '?', '{2}', '{1,3}', '*?', '|'),
);
const pattern = fc.tuple(fc.boolean(), fc.array(piece, { minLength: 1, maxLength: 8 })).map(([ci, ps]) => (ci ? '(?i)' : '') + ps.join(''));
const line = fc.array(fc.constantFrom('a', 'b', 'c', 'A', 'B', 'e', 'r', 'o', ' ', '=', '-', '"', '.', '(', '1', 'k', '\u212a', 's', '\u017f', '\n'), { maxLength: 30 }).map((cs) => cs.join(''));

function re2(p: string): RE2JS | undefined {
  try {
    return RE2JS.compile(`(?s:${p})`);
  } catch {
    return undefined;
  }
}

test('compileRe2(p, dotAll).test agrees with RE2 on every line', () => {
  fc.assert(
    fc.property(pattern, fc.array(line, { minLength: 1, maxLength: 8 }), (p, lines) => {
      const ref = re2(p);
      if (!ref) return; // invalid patterns: compileRe2 throws, tested elsewhere
      const ours = compileRe2(p, { dotAll: true });
      for (const l of lines) assert.equal(ours.test(l), ref.test(l), `${JSON.stringify(p)} on ${JSON.stringify(l)}`);
    }),
    fuzzParams(2),
  );
});
