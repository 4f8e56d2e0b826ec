/**
 * Parser hints (issue #12): `| json` and `| logfmt` told which labels the query reads extract only
 * those, and a parser followed by `| drop __error__, __error_details__` or `| __error__=""` handles
 * its errors itself. Both must change nothing a query can see. Random lines — JSON with nesting,
 * arrays, escapes, repeated keys and damage; logfmt with quotes, standalone keys, odd keys (`le.vel`,
 * a leading digit, Unicode spaces), repeated keys and U+FFFD values; each fed to both parsers — go
 * through the hinted pipeline and through the same stages without hints (and with a no-op line
 * filter after the parser, which keeps the errors as labels). On every line: the same lines
 * dropped, the same value for every label the query reads and for `__error__` /
 * `__error_details__`, and nothing in the hinted labels that the full parse does not have.
 * (JSON: the last of repeated keys wins; logfmt: the first; nested keys joined with `_`.)
 * FUZZ_SEED replays a run (the seed is printed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Labels } from '../../../../src/api/model.js';
import type { PipelineStage } from '../../../../src/logql/syntax/ast.js';
import { compilePipeline } from '../../../../src/logql/pipeline/compile.js';
import { requiredLabels } from '../../../../src/logql/pipeline/label-hints.js';
import { JsonScanner } from '../../../../src/logql/pipeline/json.js';
import { contains, json, labelFilter, logfmt, str } from './helpers.js';
import { fuzzParams } from '../../../helpers/fuzz.js';

const KEYS = ['level', 'msg', 'a', 'b_c', 'http', 'status', '__error__', 'lev-el', 'k y', '1st', 'job'];
/** Label names a query may read: grouping or filters (some only reachable through sanitising or `_extracted`). */
const NAMES = ['level', 'msg', 'a', 'b_c', 'http_status', 'http', 'lev_el', '_1st', 'job_extracted', 'level_extracted', 'nope'];

const text = fc
  .array(fc.oneof(fc.constantFrom('x', 'error', 'info', 'level', '=', ' ', '"', '\\', '\n', 'é', '😀', '\u00a0', '\uFFFD', '{', '}'), fc.string({ maxLength: 3 })), { maxLength: 5 })
  .map((p) => p.join(''));

/** A JSON value as written: objects as their pairs in order (keys may repeat). */
type JsonValue = string | number | boolean | null | JsonValue[] | { o: Array<[string, JsonValue]> };
const json0 = fc.letrec<{ v: JsonValue; obj: { o: Array<[string, JsonValue]> } }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    tie('obj'),
  ),
  obj: fc.array(fc.tuple(fc.constantFrom(...KEYS), tie('v')), { maxLength: 6 }).map((o) => ({ o })),
}));
const jsonValue = json0.obj;

/** JSON text; with `esc`, some letters of strings and keys written as \u escapes. */
function writeJson(v: JsonValue, esc: boolean): string {
  if (Array.isArray(v)) return `[${v.map((x) => writeJson(x, esc)).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${v.o.map(([k, x]) => `${q(k, esc)}:${writeJson(x, esc)}`).join(',')}}`;
  if (typeof v === 'string') return q(v, esc);
  return JSON.stringify(v);
}
function q(s: string, esc: boolean): string {
  const t = JSON.stringify(s);
  return esc ? t.replace(/[a-z]/g, (c) => (c.charCodeAt(0) % 3 === 0 ? `\\u00${c.charCodeAt(0).toString(16)}` : c)) : t;
}

/** A damage to a line: none, cut it, put a character in, or break an escape or a literal. */
const damage = fc.oneof(
  { weight: 3, arbitrary: fc.constant((s: string) => s) },
  fc.nat().map((n) => (s: string) => s.slice(0, n % (s.length + 1))),
  fc.tuple(fc.nat(), fc.constantFrom('"', '\\', ',', '}', ':', 'x', ' ', '=', '\\x', '\\u12', '01', 'tru', '1e')).map(([n, c]) => (s: string) => {
    const at = n % (s.length + 1);
    return s.slice(0, at) + c + s.slice(at);
  }),
);

const jsonLine = fc.tuple(jsonValue, fc.boolean(), damage, fc.constantFrom('', ' ', '\t')).map(([v, esc, d, pad]) => pad + d(writeJson(v, esc)));

const logfmtKey = fc.constantFrom(...KEYS.filter((k) => !k.includes(' ')), 'le.vel', '\u00a0level', 'level\u00a0', 'lev\u00e9l', '');
const logfmtValue = fc.oneof(
  fc.stringMatching(/^[a-z0-9.:\-]{0,8}$/),
  text.map((t) => JSON.stringify(t)),
  fc.constantFrom('"unterminated', 'a"b', 'x=y', '\uFFFD', '"\\u0065rror"', '"a\\"b"'),
);
const logfmtPair = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(logfmtKey, logfmtValue).map(([k, v]) => `${k}=${v}`) },
  logfmtKey,
  fc.constantFrom('=x', '"junk', '==', 'k="a" b'),
);
const logfmtLine = fc
  .tuple(fc.array(logfmtPair, { maxLength: 8 }), fc.constantFrom(' ', '  ', '\t', ' \u2028 '), damage)
  .map(([pairs, sep, d]) => d(pairs.join(sep)));

const line = fc.oneof(jsonLine, logfmtLine, fc.constantFrom('', 'GET /health 200', '{}', '{"level":"info"}', 'level=error level=info', '{"level":"a","level":"b"}'));

const parser = fc.oneof(
  fc.constant(json()),
  fc.record({ strict: fc.boolean(), keepEmpty: fc.boolean() }).map((o) => logfmt(o)),
);

/** What follows the parser: nothing, Grafana's error drop, an error filter, or label filters on read names. */
const after = fc.oneof(
  fc.constant<PipelineStage[]>([]),
  fc.constant<PipelineStage[]>([{ kind: 'drop', items: [{ name: '__error__' }, { name: '__error_details__' }] }]),
  fc.constant<PipelineStage[]>([labelFilter(str('__error__', '=', ''))]),
  fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom('=', '!=', '=~'), fc.constantFrom('', 'error', 'info', '.+')).map(([n, op, v]) => [labelFilter(str(n, op, op === '=~' ? v : v.replace('.+', 'x')))]),
  fc.constantFrom(...NAMES).map((n): PipelineStage[] => [{ kind: 'drop', items: [{ name: '__error__' }] }, labelFilter(str(n, '!=', 'zzz'))]),
);

const streamLabels = fc.constantFrom<Labels>({ job: 'x' }, { job: 'x', level: 'stream' }, { job: 'x', msg: 'm', a: '1' });
const metadata = fc.constantFrom<Labels | undefined>(undefined, { detected_level: 'info' }, { level: 'meta' });

function runOnce(stages: PipelineStage[], labels: Set<string> | null, l: string, stream: Labels, meta: Labels | undefined): Labels | null {
  const r = compilePipeline(stages, { labels }).forStream(stream).process(0n, l, meta);
  return r === null ? null : { ...r.labels };
}

test('hinted | json and | logfmt give the full parse on every label the query reads', () => {
  fc.assert(
    fc.property(parser, after, fc.subarray(NAMES, { maxLength: 3 }), fc.array(line, { minLength: 1, maxLength: 6 }), streamLabels, metadata, (p, rest, grouping, lines, stream, meta) => {
      const stages = [p, ...rest];
      const read = requiredLabels(stages, grouping);
      assert.ok(read !== null);
      // The reference: no hints, and a no-op filter right after the parser, so errors are labels.
      const reference = [p, contains(''), ...rest];
      // One compiled pipeline per side for all lines: the key predictions carry from line to line.
      const hinted = compilePipeline(stages, { labels: read }).forStream(stream);
      const full = compilePipeline(reference).forStream(stream);
      for (const l of lines) {
        const h = hinted.process(0n, l, meta);
        const f = full.process(0n, l, meta);
        const where: string = `line ${JSON.stringify(l)} stages ${JSON.stringify(stages)} read ${[...read].join(',')}`;
        assert.equal(h === null, f === null, `dropped alike: ${where}`);
        if (h === null || f === null) continue;
        for (const name of read) assert.equal(h.labels[name], f.labels[name], `${name}: ${where}`);
        for (const [k, v] of Object.entries(h.labels)) assert.equal(f.labels[k], v, `hinted label ${k} is in the full parse: ${where}`);
      }
    }),
    fuzzParams(2),
  );
});

test('without hints the fused error handling gives the same labels as errors as labels', () => {
  fc.assert(
    fc.property(parser, after, line, streamLabels, metadata, (p, rest, l, stream, meta) => {
      const fused = runOnce([p, ...rest], null, l, stream, meta);
      const plain = runOnce([p, contains(''), ...rest], null, l, stream, meta);
      assert.deepEqual(fused, plain, `line ${JSON.stringify(l)} stages ${JSON.stringify([p, ...rest])}`);
    }),
    fuzzParams(2),
  );
});

test('requiredLabels: templates read any label, so no hints; filters, keep, unwrap-like outputs and renames are read', () => {
  assert.equal(requiredLabels([json(), { kind: 'line_format', template: '{{.a}}' }], ['level']), null);
  assert.equal(requiredLabels([json(), { kind: 'label_format', items: [{ dst: 'x', template: '{{.a}}' }] }], ['level']), null);
  assert.equal(requiredLabels([json()], null), null);
  const got = requiredLabels(
    [
      json(),
      labelFilter({ type: 'and', left: str('status', '=', '500'), right: { type: 'number', name: 'took', op: '>', value: 1, text: '1' } }),
      { kind: 'keep', items: [{ name: 'k' }] },
      { kind: 'drop', items: [{ name: 'gone' }, { name: 'cond', matcher: { name: 'cond', op: '=', value: 'x' } }] },
      { kind: 'label_format', items: [{ dst: 'dst', rename: 'src' }] },
    ],
    ['level'],
  );
  assert.deepEqual([...got!].sort(), ['__error__', '__error_details__', 'cond', 'dst', 'k', 'level', 'src', 'status', 'took']);
});

test('an unwanted scalar is checked exactly as a wanted one: the same tokens pass, the same fail', () => {
  const token = fc.array(fc.constantFrom('-', '+', '0', '1', '9', '.', 'e', 'E', 't', 'r', 'u', 'f', 'a', 'l', 's', 'n'), { minLength: 1, maxLength: 8 }).map((c) => c.join(''));
  fc.assert(
    fc.property(token, (tok) => {
      const check = (skip: boolean): string => {
        const sc = new JsonScanner();
        sc.reset(`${tok},`);
        try {
          if (skip) sc.scalarSkip();
          else sc.scalar();
          return `ok ${sc.i}`;
        } catch (e) {
          return (e as Error).message;
        }
      };
      assert.equal(check(true), check(false), tok);
    }),
    fuzzParams(5),
  );
});

/** Pieces after a first wanted pair: repeats of the key, written plainly, escaped, spaced, nested, in values, damage. */
const tailPiece = fc.constantFrom(
  ',"level":"b"',
  ',"\\u006cevel":"c"',
  ',"lev\\u0065l":"d"',
  ',"  level ":"e"',
  ',"level":{"":"f"}',
  ',"a":{"level":"g"}',
  ',"a":{"b":{"c":"h"}}',
  ',"b_c":"i"',
  ',"b":{"c":"j"}',
  ',"msg":"level=error"',
  ',"msg":"a\\"level\\":\\"k\\""',
  ',"x":[1,{"level":"l"}]',
  ',"n":1.5',
  ',"t":true',
  ',"z":null',
  ', "s" : "x" ',
  ',"__error__":"m"',
  ',"bad":tru',
  ',"bad":"\\x"',
  ',}',
  ',',
  '}junk',
  '',
);
const earlyStopLine = fc
  .tuple(fc.constantFrom('{"level":"a"', '{"b_c":"a"', '{"msg":"x","level":"a"', '{"a":{"level":"a"}', '{"level":1'), fc.array(tailPiece, { maxLength: 5 }), fc.boolean())
  .map(([head, rest, close]) => head + rest.join('') + (close ? '}' : ''));

test('| json followed by drop of the error labels, hinted, stops early only where no read label can follow', () => {
  const drop: PipelineStage = { kind: 'drop', items: [{ name: '__error__' }, { name: '__error_details__' }] };
  fc.assert(
    fc.property(fc.subarray(['level', 'b_c', 'a_level', 'msg', 'a'], { minLength: 1, maxLength: 2 }), fc.array(earlyStopLine, { minLength: 1, maxLength: 4 }), streamLabels, (grouping, lines, stream) => {
      const stages = [json(), drop];
      const read = requiredLabels(stages, grouping)!;
      const hinted = compilePipeline(stages, { labels: read }).forStream(stream);
      const full = compilePipeline([json(), contains(''), drop]).forStream(stream);
      for (const l of lines) {
        const h = hinted.process(0n, l, undefined);
        const f = full.process(0n, l, undefined);
        assert.ok(h !== null && f !== null, l);
        for (const name of read) assert.equal(h.labels[name], f.labels[name], `${name}: line ${JSON.stringify(l)} grouping ${grouping.join(',')}`);
      }
    }),
    fuzzParams(2),
  );
});
