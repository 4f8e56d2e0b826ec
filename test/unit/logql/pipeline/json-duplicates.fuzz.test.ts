/**
 * Repeated JSON keys (issue #12): every JSON extraction of a LogQL pipeline — `json`, `json` with
 * parameters, `unpack` — takes the last occurrence of a key, which is what JSON.parse does and what
 * Loki's `json` answers (`{"trace_id":"a",…,"trace_id":"b"}` gives trace_id="b").
 *
 * Random documents with repeated keys (and escapes, whitespace, nesting) are written as text, and
 * each stage's labels are compared with what JSON.parse of the same text gives, flattened as `json`
 * flattens (nested keys joined with `_`). The documents stay where the two models agree by design:
 * a repeated key always holds a string, number or boolean, and an object-valued key appears once
 * (a key that is first a string and then an object yields both `a` and `a_b` in a streaming
 * parser, Loki's too, where JSON.parse keeps only the object; the unit tests pin that case).
 * FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { json, labelsOf } from './helpers.js';
import type { PipelineStage } from '../../../../src/logql/syntax/ast.js';
import { fuzzParams } from '../../../helpers/fuzz.js';

type Leaf = string | number | boolean;
/** An object as written: its pairs in order, keys possibly repeated. */
interface Doc {
  pairs: Array<[string, Leaf | Doc]>;
}

const LEAF_KEYS = ['a', 'b', 'trace_id', 'k y'];
const OBJECT_KEYS = ['n', 'o'];

const text = fc
  .array(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('"', '\\', '\n', '\t', 'é', '😀', '\u0001', '/', '\u2028')), { maxLength: 4 })
  .map((parts) => parts.join(''));
const leaf: fc.Arbitrary<Leaf> = fc.oneof(text, fc.integer(), fc.boolean());
const ws = fc.constantFrom('', '', ' ', '\n  ', '\t');

function docArb(depth: number): fc.Arbitrary<Doc> {
  const leafPairs = fc.array(fc.tuple(fc.constantFrom(...LEAF_KEYS), leaf), { maxLength: 8 });
  if (depth === 0) return leafPairs.map((pairs) => ({ pairs }));
  const objectPairs = fc.uniqueArray(fc.tuple(fc.constantFrom(...OBJECT_KEYS), docArb(depth - 1)), { maxLength: 2, selector: (p) => p[0] });
  // Object-valued pairs go at random places among the leaves.
  return fc.tuple(leafPairs, objectPairs, fc.array(fc.nat(), { minLength: 2, maxLength: 2 })).map(([leaves, objects, at]) => {
    const pairs: Doc['pairs'] = [...leaves];
    objects.forEach((o, i) => pairs.splice(at[i]! % (pairs.length + 1), 0, o));
    return { pairs };
  });
}

/** The document as text, with whitespace between tokens drawn from `spaces`. */
function write(d: Doc, spaces: string[]): string {
  let k = 0;
  const sp = () => spaces[k++ % spaces.length]!;
  const value = (v: Leaf | Doc): string => (typeof v === 'object' ? obj(v) : JSON.stringify(v));
  const obj = (o: Doc): string => `{${sp()}${o.pairs.map(([key, v]) => `${JSON.stringify(key)}${sp()}:${sp()}${value(v)}`).join(`,${sp()}`)}${sp()}}`;
  return obj(d);
}

/** JSON.parse's object, flattened as LogQL's `json` flattens: `n_a`, sanitised names. */
function flatten(o: Record<string, unknown>, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const [k, v] of Object.entries(o)) {
    const name = (prefix === '' ? '' : prefix + '_') + k.replace(/[^a-zA-Z0-9_]/g, '_');
    if (typeof v === 'object' && v !== null) flatten(v as Record<string, unknown>, name, out);
    else out[name] = String(v);
  }
  return out;
}

/** The labels a stage extracts, or its error. */
function extract(stages: PipelineStage[], line: string): Record<string, string> {
  const l = labelsOf(stages, line, {});
  assert.ok(l, 'the entry is kept');
  assert.equal(l.__error__, undefined, `no parse error: ${l.__error_details__}`);
  return l;
}

test('json: the last of repeated keys wins, as JSON.parse', () => {
  fc.assert(
    fc.property(docArb(2), fc.array(ws, { minLength: 1, maxLength: 5 }), (d, spaces) => {
      const line = write(d, spaces);
      const want = flatten(JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(extract([json()], line), want, line);
    }),
    fuzzParams(),
  );
});

test('json with parameters follows the last occurrence at every level, as JSON.parse', () => {
  const paths = ['a', 'trace_id', 'n.a', 'n.trace_id', 'o.n.b', 'n', '["k y"]', 'n["k y"]'];
  fc.assert(
    fc.property(docArb(2), fc.array(ws, { minLength: 1, maxLength: 5 }), (d, spaces) => {
      const line = write(d, spaces);
      const doc = JSON.parse(line) as Record<string, unknown>;
      const stage = json(...paths.map((p, i): [string, string] => [`p${i}`, p]));
      const got = extract([stage], line);
      paths.forEach((p, i) => {
        const steps = p.match(/[a-z_]+|"[^"]*"/g)!.map((s) => (s.startsWith('"') ? s.slice(1, -1) : s));
        let v: unknown = doc;
        for (const s of steps) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[s] : undefined;
        // Objects come back as their text, which for a repeated key is the last object's own text.
        const want = v === undefined ? '' : typeof v === 'object' ? undefined : String(v);
        if (want !== undefined) assert.equal(got[`p${i}`], want, `${p} in ${line}`);
        else assert.deepEqual(flatten(JSON.parse(got[`p${i}`]!) as Record<string, unknown>), flatten(v as Record<string, unknown>), `${p} in ${line}`);
      });
    }),
    fuzzParams(),
  );
});

test('unpack: the last of repeated keys wins, as JSON.parse', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...LEAF_KEYS), text), { maxLength: 8 }), fc.array(ws, { minLength: 1, maxLength: 5 }), (pairs, spaces) => {
      const line = write({ pairs }, spaces);
      const want = flatten(JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(extract([{ kind: 'unpack' }], line), want, line);
    }),
    fuzzParams(),
  );
});
