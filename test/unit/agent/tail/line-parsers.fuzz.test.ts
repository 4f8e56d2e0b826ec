/**
 * The agent's CRI and Docker json-file line parsers fuzzed (issue #8): random lines are accepted or
 * refused (false), never an exception; well-formed lines built from random parts parse back to
 * exactly those parts, through one timestamp parser whose per-second cache sees them in any order.
 * FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emptyCriRecord, parseCriLine } from '../../../../src/agent/tail/cri.js';
import { emptyDockerJsonRecord, parseDockerJsonLine } from '../../../../src/agent/tail/docker-json.js';
import { createTimestampParser } from '../../../../src/agent/tail/timestamp.js';
import { fuzzParams } from '../../../helpers/fuzz.js';

/** A timestamp as runtimes write it (RFC3339, UTC, 0-9 fraction digits) and its value in ns. */
const tsArb = fc
  .tuple(fc.integer({ min: 0, max: 7_258_118_399 }), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 9 }))
  .map(([sec, frac, digits]) => {
    const f = String(frac).padStart(9, '0').slice(0, digits);
    const text = new Date(sec * 1000).toISOString().slice(0, 19) + (digits > 0 ? '.' + f : '') + 'Z';
    return { text, ns: BigInt(sec) * 1_000_000_000n + BigInt(f.padEnd(9, '0')) };
  });
const streamArb = fc.constantFrom('stdout' as const, 'stderr' as const);
const textArb = fc.string({ maxLength: 60, unit: 'grapheme' }).filter((s) => !s.includes('\n'));
const junk = fc.oneof(fc.string({ maxLength: 120 }), fc.string({ maxLength: 120, unit: 'binary' }), fc.json());

test('CRI: random lines never throw; well-formed lines parse back to their parts', () => {
  const parseTs = createTimestampParser();
  const rec = emptyCriRecord();
  fc.assert(
    fc.property(junk, (line) => {
      assert.equal(typeof parseCriLine(line, parseTs, rec), 'boolean');
    }),
    fuzzParams(4),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(tsArb, streamArb, fc.boolean(), textArb), { minLength: 1, maxLength: 8 }), (lines) => {
      for (const [ts, stream, partial, text] of lines) {
        const line = `${ts.text} ${stream} ${partial ? 'P' : 'F'} ${text}`;
        assert.ok(parseCriLine(line, parseTs, rec), line);
        assert.deepEqual(rec, { ts: ts.ns, stream, text, partial }, line);
      }
    }),
    fuzzParams(),
  );
});

test('Docker json-file: random lines never throw; well-formed records parse back to their parts', () => {
  const parseTs = createTimestampParser();
  const rec = emptyDockerJsonRecord();
  fc.assert(
    fc.property(fc.oneof(junk, fc.record({ log: fc.anything(), stream: fc.anything(), time: fc.anything() }, { requiredKeys: [] }).map((o) => JSON.stringify(o))), (line) => {
      assert.equal(typeof parseDockerJsonLine(line, parseTs, rec), 'boolean');
    }),
    fuzzParams(4),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(tsArb, streamArb, fc.boolean(), fc.string({ maxLength: 60, unit: 'grapheme' })), { minLength: 1, maxLength: 8 }), (records) => {
      for (const [ts, stream, partial, text] of records) {
        const log = partial ? text : text + '\n';
        const line = JSON.stringify({ log, stream, time: ts.text });
        assert.ok(parseDockerJsonLine(line, parseTs, rec), line);
        // A partial record that happens to end in a newline is a complete one: that is the format.
        const complete = !partial || text.endsWith('\n');
        assert.deepEqual(rec, { ts: ts.ns, stream, text: complete && log.endsWith('\n') ? log.slice(0, -1) : log, partial: !complete }, line);
      }
    }),
    fuzzParams(),
  );
});
