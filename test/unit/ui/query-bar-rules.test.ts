/**
 * The query bar's pure rules: which characters the server's parse error underlines, and whether a
 * typed time range can be applied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Text } from '@codemirror/state';
import { errorRange } from '../../../ui/pages/explore/error-range.js';
import { rangeLabel, rangeProblem } from '../../../ui/pages/explore/time-range.js';

const underline = (q: string, line: number, col: number) => {
  const doc = Text.of(q.split('\n'));
  const r = errorRange(doc, { line, col });
  return r && doc.sliceString(r.from, r.to);
};

test('the underline covers the token at the reported line and column', () => {
  // The server's answers for these queries: col 22, col 13, line 2 col 6, col 12 ($end).
  assert.equal(underline('{a="b"} | json | foo bar', 1, 22), 'bar');
  assert.equal(underline('rate({a="b"}[5x])', 1, 13), '[');
  assert.equal(underline('{a="b"} |= "x" or "y', 1, 16), 'or');
  assert.equal(underline('{a="b"} |= "it\\"s" x', 1, 12), '"it\\"s"');
  assert.equal(underline('{a="b"}\n| jsn', 2, 6), 'n');
  assert.equal(underline('{a="b"} |= ', 1, 12), '=');
  assert.equal(underline('', 1, 1), undefined);
  // A position beyond the text (the query changed since) stays inside it.
  assert.equal(underline('{a="b"}', 3, 40), '}');
});

test('a typed time range is applied only when both ends are readable and in order', () => {
  const now = Date.parse('2026-12-05T12:00:00Z');
  assert.equal(rangeProblem('now-6h', 'now', now), undefined);
  assert.equal(rangeProblem('2026-12-05T10:00:00Z', '2026-12-05T11:00:00+01:00', now), 'From must be before To (2026-12-05T10:00:00Z is not before 2026-12-05T11:00:00+01:00).');
  assert.equal(rangeProblem('1764900000', 'now', now), undefined);
  assert.match(rangeProblem('yesterday', 'now', now) ?? '', /^From "yesterday" is not a time/);
  assert.match(rangeProblem('now-1y', 'now', now) ?? '', /^From "now-1y" is not a time/);
  assert.match(rangeProblem('now-1h', '', now) ?? '', /^To "" is not a time/);
  assert.match(rangeProblem('now', 'now-1h', now) ?? '', /^From must be before To/);
  assert.equal(rangeLabel('now-15m', 'now'), 'Last 15 minutes');
  assert.equal(rangeLabel('now-15m', 'now-5m'), 'now-15m to now-5m');
});
