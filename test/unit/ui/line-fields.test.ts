/**
 * The fields an expanded line offers must be the ones the server's own `json` / `logfmt` parsers
 * extract from that line (else "filter for" builds a filter that matches nothing): each case is
 * checked against src/logql's pipeline as well as against the expected list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineFields, sanitizeName } from '../../../ui/lib/line-fields.js';
import { parseLogExpr } from '../../../src/logql/syntax/index.js';
import { compilePipeline } from '../../../src/logql/pipeline/compile.js';
import { seededRandom } from '../../helpers/random.js';

/** What the server extracts with `| <parser>` from `line`, as name → value. */
function serverFields(parser: 'json' | 'logfmt', line: string): Record<string, string> {
  const p = compilePipeline(parseLogExpr(`{job="t"} | ${parser}`).pipeline).forStream({ job: 't' });
  const out = p.process(0n, line);
  assert.ok(out, 'the server kept the line');
  const { job: _job, ...rest } = out.labels as Record<string, string>;
  return rest;
}

function check(line: string, parser: 'json' | 'logfmt', expected: Array<[string, string]>) {
  const got = lineFields(line);
  assert.ok(got, `fields of ${line}`);
  assert.equal(got.parser, parser);
  assert.deepEqual(got.fields, expected);
  assert.deepEqual(Object.fromEntries(got.fields), serverFields(parser, line), `the server agrees on ${line}`);
}

test('a JSON line is flattened like the json parser: nested keys joined with _, arrays and nulls skipped, raw numbers', () => {
  check('{"level":"error","msg":"disk \\"full\\"","http":{"status":503,"req":{"method":"GET"}},"tags":["a","b"],"gone":null,"ok":false,"ratio":1.50}', 'json', [
    ['level', 'error'],
    ['msg', 'disk "full"'],
    ['http_status', '503'],
    ['http_req_method', 'GET'],
    ['ok', 'false'],
    ['ratio', '1.50'],
  ]);
  check('  {"user-id":"u1","2fa":"on","a.b":{"c d":"x"},"uni":"\\u00e9t\\u00e9"}', 'json', [
    ['user_id', 'u1'],
    ['_2fa', 'on'],
    ['a_b_c_d', 'x'],
    ['uni', 'été'],
  ]);
});

test('a logfmt line gives its pairs, quoted values unescaped, standalone keys and malformed pairs skipped', () => {
  check('level=warn msg="slow request \\"GET /\\"" duration=1.5s standalone path=/a/b empty= bad=x"y', 'logfmt', [
    ['level', 'warn'],
    ['msg', 'slow request "GET /"'],
    ['duration', '1.5s'],
    ['path', '/a/b'],
    ['empty', ''],
  ]);
  check('ts=2026-12-05T10:00:00Z caller=main.go:12 user.name=ann', 'logfmt', [
    ['ts', '2026-12-05T10:00:00Z'],
    ['caller', 'main.go:12'],
    ['user_name', 'ann'],
  ]);
});

test('plain text and broken JSON give no fields, or logfmt pairs when the line has them', () => {
  assert.equal(lineFields('connection reset by peer'), undefined);
  assert.equal(lineFields(''), undefined);
  assert.equal(lineFields('{"unterminated": "x'), undefined);
  // Not JSON, but logfmt reads a pair out of it, as the server would.
  assert.deepEqual(lineFields('{not json} a=1')?.fields, [['a', '1']]);
});

test('random JSON and logfmt lines: the UI and the server extract the same fields', (t) => {
  const rnd = seededRandom(t);
  const pick = <T>(xs: T[]): T => xs[rnd.int(xs.length)]!;
  const keys = ['a', 'b_c', 'x-y', '9z', 'é', 'k k', 'msg', 'level'];
  const values = ['v', 'with space', 'quote"q', 'back\\slash', '', '12', 'tab\tt', 'ünï'];
  for (let n = 0; n < 200; n++) {
    const obj: Record<string, unknown> = {};
    for (let k = 0; k < 1 + rnd.int(4); k++) {
      const r = rnd.int(5);
      obj[pick(keys)] = r === 0 ? { [pick(keys)]: pick(values) } : r === 1 ? rnd.int(1000) : r === 2 ? [pick(values)] : pick(values);
    }
    const json = JSON.stringify(obj);
    const got = lineFields(json);
    assert.deepEqual(Object.fromEntries(got?.fields ?? []), serverFields('json', json), json);
    const lf = Object.entries(obj)
      .filter(([, v]) => typeof v === 'string')
      .map(([k, v]) => `${k.replace(/\s/g, '_')}=${JSON.stringify(v)}`)
      .join(' ');
    if (lf === '') continue;
    const gotLf = lineFields(lf);
    assert.deepEqual(Object.fromEntries(gotLf?.fields ?? []), serverFields('logfmt', lf), lf);
  }
});

test('names are sanitised like Loki: other characters become _, a leading digit gets _', () => {
  assert.equal(sanitizeName('a.b-c'), 'a_b_c');
  assert.equal(sanitizeName('1st'), '_1st');
  assert.equal(sanitizeName('1st', false), '1st');
  assert.equal(sanitizeName('  '), '');
});
