/**
 * What clients send the notifier's API, fuzzed: random filter strings, alert and silence bodies
 * either parse or fail with a 400 that says why, never another exception; matchers printed the way
 * amtool prints them parse back to the same matcher; the persisted state reads back as written.
 * FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLogwharfError } from '../../../src/api/errors.js';
import { parseFilter } from '../../../src/notify/matchers.js';
import { acceptAlert } from '../../../src/notify/alerts.js';
import { parsePostableSilence } from '../../../src/notify/silences.js';
import { decodeState, encodeState } from '../../../src/notify/state-file.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const T = Date.parse('2026-03-01T12:00:00Z');

function only400(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isLogwharfError(e) || e.status !== 400) throw e;
    assert.ok(e.message.length > 0);
  }
}

const filterText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.array(fc.constantFrom('{', '}', 'a', '_x', '=', '!=', '=~', '!~', '"', '\\', ',', ' ', '(', '.*', 'é', '\n'), { maxLength: 12 }).map((p) => p.join('')),
);

test('any filter text parses or is refused with 400', () => {
  fc.assert(fc.property(filterText, (s) => only400(() => parseFilter(s))), fuzzParams(2));
});

const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);
const op = fc.constantFrom('=', '!=', '=~', '!~') as fc.Arbitrary<'=' | '!=' | '=~' | '!~'>;
const plainValue = fc.string({ maxLength: 10 }).filter((v) => !/[\\()[\]{}.*+?|^$]/.test(v));

test('matchers printed as amtool prints them parse back unchanged', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(name, op, plainValue), { minLength: 1, maxLength: 4 }), (ms) => {
      const text = `{${ms.map(([n, o, v]) => `${n}${o}${JSON.stringify(v)}`).join(',')}}`;
      const parsed = parseFilter(text);
      assert.deepEqual(parsed.map((m) => [m.name, m.op, m.value]), ms);
    }),
    fuzzParams(),
  );
});

const time = fc.oneof(fc.constant(undefined), fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()), fc.string({ maxLength: 12 }));
const labelsArb = fc.oneof(fc.dictionary(fc.oneof(name, fc.string({ maxLength: 5 })), fc.oneof(fc.string({ maxLength: 6 }), fc.integer() as fc.Arbitrary<unknown>)), fc.jsonValue());
const alertArb = fc.oneof(fc.jsonValue(), fc.record({ labels: labelsArb, annotations: labelsArb, startsAt: time, endsAt: time, generatorURL: fc.oneof(fc.string(), fc.integer() as fc.Arbitrary<unknown>) }, { requiredKeys: [] }));

test('any alert body is taken or refused with 400', () => {
  fc.assert(fc.property(alertArb, (raw) => only400(() => acceptAlert(raw, 0, T))), fuzzParams(2));
});

const matcherArb = fc.oneof(fc.jsonValue(), fc.record({ name: fc.oneof(name, fc.integer() as fc.Arbitrary<unknown>), value: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('(', '.*', 'a|b')), isRegex: fc.oneof(fc.boolean(), fc.string() as fc.Arbitrary<unknown>), isEqual: fc.option(fc.boolean()) }, { requiredKeys: [] }));
const silenceArb = fc.oneof(fc.jsonValue(), fc.record({ id: fc.option(fc.string()), matchers: fc.oneof(fc.array(matcherArb, { maxLength: 3 }), fc.jsonValue()), startsAt: time, endsAt: time, createdBy: fc.oneof(fc.string(), fc.integer() as fc.Arbitrary<unknown>), comment: fc.string() }, { requiredKeys: [] }));

test('any silence body is taken or refused with 400', () => {
  fc.assert(fc.property(silenceArb, (raw) => only400(() => parsePostableSilence(raw))), fuzzParams(2));
});

test('the persisted state reads back exactly as written', () => {
  const ms = fc.integer({ min: 0, max: 4e12 });
  const str = fc.dictionary(name, fc.string({ maxLength: 6 }));
  const alert = fc.record({ fingerprint: fc.stringMatching(/^[0-9a-f]{16}$/), labels: str, annotations: str, startsAt: ms, endsAt: ms, updatedAt: ms, generatorURL: fc.string(), timeout: fc.boolean() });
  const silence = fc.record({ id: fc.uuid(), matchers: fc.array(fc.record({ name, value: fc.string(), isRegex: fc.boolean(), isEqual: fc.boolean() }), { minLength: 1, maxLength: 3 }), startsAt: ms, endsAt: ms, updatedAt: ms, createdBy: fc.string(), comment: fc.string() });
  const entry = fc.tuple(fc.string(), fc.record({ firing: fc.array(fc.string()), resolved: fc.array(fc.string()), at: ms }));
  fc.assert(
    fc.property(fc.record({ alerts: fc.array(alert, { maxLength: 4 }), silences: fc.array(silence, { maxLength: 3 }), nflog: fc.array(entry, { maxLength: 3 }) }), (state) => {
      // Compared with a plain copy: fast-check's records have no prototype, JSON's do.
      assert.deepEqual(decodeState(encodeState(state)), JSON.parse(JSON.stringify(state)));
    }),
    fuzzParams(),
  );
});
