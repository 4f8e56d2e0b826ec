/**
 * The LogQL parser fuzzed (issue #8): random text, and random sequences of LogQL's own tokens (which
 * reach deep into the grammar), either parse or give a 400 parse error with a message, each within
 * a time bound — never another exception or a hang. FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { parseExpr } from '../../../../src/logql/syntax/index.js';
import { fuzzParams } from '../../../helpers/fuzz.js';
import { answersOrClientError } from '../../../helpers/fuzz-expect.js';

const TOKENS = [
  '{', '}', '(', ')', '[', ']', ',', '|', '=', '!=', '=~', '!~', '|=', '|~', '!~', '!=', '>', '>=', '<', '<=', '==', '+', '-', '*', '/', '%', '^',
  'job', 'app', '"x"', '"a.*"', '`raw`', '"\\\\"', '"unterminated', '5m', '1h30m', '0s', '10', '0.5', '-1', '1e3', '10KB', 'NaN', 'Inf',
  'rate', 'count_over_time', 'bytes_rate', 'sum', 'avg', 'max', 'min', 'topk', 'bottomk', 'sort', 'by', 'without', 'on', 'ignoring',
  'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'unwrap', 'duration', 'bytes', 'quantile_over_time',
  'json', 'logfmt', 'regexp', 'pattern', 'unpack', 'line_format', 'label_format', 'drop', 'keep', 'decolorize', 'label_replace',
  'vector', 'absent_over_time', 'first_over_time', '__error__', 'ip', '(', '"{{.x}}"', '"{{ regexReplaceAll \\"a\\" .x \\"b\\" }}"',
  '#comment\n', '\n', ' ', '\t',
];

const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join(' '));
// Valid queries with a piece replaced: errors deep inside well-formed input.
const SEEDS = [
  '{job="x"} |= "a" | json | level="error" | line_format "{{.msg}}"',
  'sum by (app) (rate({job="x"} |~ "err.*" [5m]))',
  'topk(3, sum by (app) (count_over_time({job="x"} | logfmt | unwrap latency [1m])))',
  'quantile_over_time(0.99, {job="x"} | json | unwrap duration(d) [5m]) by (app)',
  '{job="x"} | pattern "<ip> - <_>" | label_format a="{{.ip}}" | drop b, c',
];
const mutated = fc.tuple(fc.constantFrom(...SEEDS), fc.nat(), fc.nat({ max: 8 }), fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 }))).map(
  ([q, at, len, piece]) => {
    const i = at % (q.length + 1);
    return q.slice(0, i) + piece + q.slice(i + len);
  },
);

test('LogQL: any text parses or is a 400 with a message, within the time bound', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ maxLength: 100, unit: 'binary' }), tokenSoup, mutated), async (q) => {
      await answersOrClientError(() => parseExpr(q), [400]);
    }),
    fuzzParams(4),
  );
});

test('LogQL: deep nesting is refused or parsed, never a stack overflow', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('(', 'sum(', '{job="x"} | line_format "', 'abs('), async (depth, open) => {
      await answersOrClientError(() => parseExpr(open.repeat(depth) + '{job="x"}'), [400]);
    }),
    fuzzParams(0.25),
  );
});
