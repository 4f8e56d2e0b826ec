/**
 * The timestamp stage: entries get the time written in their line (JSON or logfmt field, Promtail's
 * format names), and lines whose field is missing, garbage or far off keep the runtime's time and
 * are counted, never dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline } from '../../../../src/agent/pipeline/pipeline.js';
import { fieldOf, timeParser } from '../../../../src/agent/pipeline/timestamp.js';
import type { LogLine } from '../../../../src/agent/model.js';
import { agentConfigSchema } from '../../../../src/config/agent.js';
import { parseRfc3339Nano } from '../../../../src/api/timestamp.js';

const T = parseRfc3339Nano('2026-12-04T10:00:00Z')!;

function pipeline(rules: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}, target: Record<string, string> = { container: 'api' }) {
  const cfg = agentConfigSchema.parse({ host: 'h', pipeline: { detect_level: false, timestamp: rules, ...extra } }).pipeline;
  return compilePipeline(cfg)(target);
}

function at(ts: bigint, ...texts: string[]): LogLine[] {
  return texts.map((line) => ({ ts, line, stream: 'stdout' }));
}

test('each format: RFC3339 (with and without fraction, offsets), RFC3339Nano keeps nanoseconds, Unix seconds/ms/us/ns', () => {
  const rfc = timeParser('RFC3339');
  assert.equal(rfc('2026-12-04T10:00:00Z'), T);
  assert.equal(rfc('2026-12-04T10:00:00.123Z'), T + 123_000_000n, 'the logger kit writes milliseconds');
  assert.equal(rfc('2026-12-04T11:00:00.5+01:00'), T + 500_000_000n);
  assert.equal(timeParser('RFC3339Nano')('2026-12-04T10:00:00.123456789Z'), T + 123_456_789n);
  const secs = T / 1_000_000_000n;
  assert.equal(timeParser('Unix')(`${secs}`), T);
  assert.equal(timeParser('Unix')(`${secs}.25`), T + 250_000_000n);
  assert.equal(timeParser('UnixMs')(`${secs}123`), T + 123_000_000n);
  assert.equal(timeParser('UnixUs')(`${secs}123456`), T + 123_456_000n);
  assert.equal(timeParser('UnixNs')(`${secs}123456789`), T + 123_456_789n);
  for (const bad of ['', 'yesterday', '2026-13-01T00:00:00Z', '2026-12-04 10:00:00', '2026-12-04T10:00:00']) assert.equal(rfc(bad), undefined, bad);
  for (const bad of ['', '12a', '1e9', '0x10', '.5']) assert.equal(timeParser('Unix')(bad), undefined, bad);
});

test('field lookup: top-level JSON keys only, escaped strings decoded, numbers as written, logfmt keys', () => {
  assert.equal(fieldOf('{"msg":"x","time":"2026"}', 'time'), '2026');
  assert.equal(fieldOf(' { "time" : 1700000000 , "a":1}', 'time'), '1700000000');
  // A nested "time" and a "time" inside a string value are not the field.
  assert.equal(fieldOf('{"req":{"time":"nested"},"msg":"\\"time\\":\\"fake\\"","time":"top"}', 'time'), 'top');
  assert.equal(fieldOf('{"req":{"time":"nested"}}', 'time'), undefined);
  assert.equal(fieldOf('{"msg":"a \\" quote","time":"2026\\u002D12"}', 'time'), '2026-12');
  assert.equal(fieldOf('{"ti\\u006de":"escaped key"}', 'time'), 'escaped key');
  assert.equal(fieldOf('{"time":{"s":1}}', 'time'), undefined, 'an object is not a time');
  assert.equal(fieldOf('{"msg":"unterminated', 'time'), undefined);
  assert.equal(fieldOf('level=info ts=2026-12-04T10:00:00Z msg="time=wrong"', 'ts'), '2026-12-04T10:00:00Z');
  assert.equal(fieldOf('level=info msg="a b" time="2026-12-04T10:00:00.5Z"', 'time'), '2026-12-04T10:00:00.5Z');
  assert.equal(fieldOf('plain text at 10:00', 'time'), undefined);
});

test('entries of matching streams get their line\'s time; nanoseconds kept; other streams keep the runtime time', () => {
  const rules = [{ selector: '{container="api"}', source: 'time', format: 'RFC3339Nano' }];
  const runtime = T + 5_000_000_000n;
  const out = pipeline(rules).process(
    at(runtime, '{"time":"2026-12-04T10:00:00.000000001Z","msg":"a"}', 'time=2026-12-04T10:00:01.5Z msg=b'),
  );
  assert.deepEqual(
    out.streams[0]!.entries.map((e) => e.ts),
    [T + 1n, T + 1_500_000_000n],
  );
  assert.equal(out.timestampFailures.size, 0);
  const other = pipeline(rules, {}, { container: 'web' }).process(at(runtime, '{"time":"2026-12-04T10:00:00Z"}'));
  assert.equal(other.streams[0]!.entries[0]!.ts, runtime);
  assert.equal(other.timestampFailures.size, 0, 'lines of other streams are not looked at');
});

test('missing, unparsable and skewed fields keep the runtime time and are counted by reason; nothing is dropped', () => {
  const runtime = T;
  const p = pipeline([{ source: 'time', format: 'RFC3339', max_skew: '10m' }]);
  const out = p.process(
    at(
      runtime,
      '{"msg":"no time"}',
      'not json, no logfmt time',
      '{"time":"garbage"}',
      'time=1700000000',
      '{"time":"2026-12-04T10:11:00Z"}', // 11m late
      '{"time":"2026-12-04T09:49:00Z"}', // 11m early
      '{"time":"2026-12-04T10:09:00Z"}', // within 10m: taken
    ),
  );
  assert.deepEqual(
    out.streams[0]!.entries.map((e) => e.ts),
    [runtime, runtime, runtime, runtime, runtime, runtime, T + 540_000_000_000n],
  );
  assert.equal(out.lines, 7);
  assert.deepEqual(Object.fromEntries(out.timestampFailures), { missing: 2, unparsable: 2, skew: 2 });
  // Default max_skew is 1h.
  const wide = pipeline([{ source: 'time', format: 'RFC3339' }]).process(at(runtime, '{"time":"2026-12-04T10:59:00Z"}', '{"time":"2026-12-04T11:01:00Z"}'));
  assert.deepEqual(wide.streams[0]!.entries.map((e) => e.ts), [T + 3_540_000_000_000n, runtime]);
  assert.deepEqual(Object.fromEntries(wide.timestampFailures), { skew: 1 });
});

test('the logwharf/logger line shape works with source: time, format: RFC3339; a multiline entry takes its first line\'s time', () => {
  const p = pipeline(
    [{ selector: '{}', source: 'time', format: 'RFC3339' }],
    { multiline: [{ first_line: '^\\{', max_wait: '1h' }] },
  );
  p.process(at(T + 7n, '{"level":"error","time":"2026-12-04T10:00:00.042Z","service":"api","request_id":"r1","msg":"boom"}', '  at frame'));
  const out = p.flush();
  assert.equal(out.streams[0]!.entries.length, 1);
  assert.equal(out.streams[0]!.entries[0]!.ts, T + 42_000_000n);
  assert.equal(out.streams[0]!.entries[0]!.line.split('\n').length, 2);
});

test('the first rule whose selector matches applies; bad rules are refused at start naming the rule', () => {
  const p = pipeline([
    { selector: '{container="api"}', source: 'ts', format: 'UnixMs' },
    { source: 'time', format: 'RFC3339' },
  ]);
  const out = p.process(at(T, `{"ts":${T / 1_000_000n + 1n},"time":"2026-12-04T10:30:00Z"}`));
  assert.equal(out.streams[0]!.entries[0]!.ts, T + 1_000_000n);
  assert.throws(() => pipeline([{ selector: '{container=', source: 'time', format: 'RFC3339' }]), /pipeline\.timestamp\[0\]\.selector/);
  assert.throws(() => agentConfigSchema.parse({ host: 'h', pipeline: { timestamp: [{ source: 'time', format: 'ISO' }] } }), /format/);
});
