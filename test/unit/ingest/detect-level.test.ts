/**
 * Loki 3's detected_level discovery (src/api/detect-level.ts). Expectations follow Loki's
 * pkg/distributor/field_detection.go rules, worked out by hand per case; the push-service cases check
 * the wiring (precedence over what the client sent, the off switch, OTLP severities).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLevel, jsonLevel, levelFromKeywords, levelFromLine, levelFromSeverityNumber, levelFromStreamLabels, logfmtLevel, normalizeLevel } from '../../../src/api/detect-level.js';
import { createPushService } from '../../../src/ingest/push-service.js';
import type { LimitsConfig } from '../../../src/ingest/limits.js';
import { encodeLokiPushJson, encodeOtlpLogsJson, emptyLogRecord } from '../../../src/api/push/index.js';
import type { Entry, Labels } from '../../../src/api/model.js';
import { RecordingStore } from './recording-store.js';

test('normalisation: known levels and abbreviations, any case; other values kept as sent', () => {
  const cases: [string, string][] = [
    ['TRACE', 'trace'],
    ['trc', 'trace'],
    ['Debug', 'debug'],
    ['DBG', 'debug'],
    ['info', 'info'],
    ['INF', 'info'],
    ['Information', 'info'],
    ['WARN', 'warn'],
    ['wrn', 'warn'],
    ['Warning', 'warn'],
    ['ERROR', 'error'],
    ['err', 'error'],
    ['CRITICAL', 'critical'],
    ['Fatal', 'fatal'],
    ['notice', 'notice'],
    ['', ''],
  ];
  for (const [v, want] of cases) assert.equal(normalizeLevel(v), want, v);
});

test('stream labels: the first LEVEL_FIELDS name present, normalised; none → undefined', () => {
  assert.equal(levelFromStreamLabels({ job: 'a', level: 'WARNING' }), 'warn');
  assert.equal(levelFromStreamLabels({ job: 'a', lvl: 'dbg', severity: 'error' }), 'error'); // severity ranks before lvl
  assert.equal(levelFromStreamLabels({ job: 'a', Severity: 'notice' }), 'notice');
  assert.equal(levelFromStreamLabels({ job: 'a', loglevel: 'error' }), undefined); // not one of Loki's fields
  assert.equal(levelFromStreamLabels({ job: 'a' }), undefined);
});

test('precedence: stream label, then metadata fields, then OTLP severity_number, then the line', () => {
  const line = '{"level":"debug"} [ERROR]';
  assert.equal(detectLevel('warn', { level: 'error' }, 'level=info'), 'warn');
  assert.equal(detectLevel(undefined, { severity_text: 'Error', severity_number: '9' }, 'level=info'), 'error');
  assert.equal(detectLevel(undefined, { lvl: 'trc' }, line), 'trace');
  assert.equal(detectLevel(undefined, { severity_number: '13' }, 'level=info'), 'warn');
  assert.equal(detectLevel(undefined, { trace_id: 'x' }, 'level=info'), 'info');
  assert.equal(detectLevel(undefined, undefined, 'nothing here'), 'unknown');
});

test('OTLP severity_number ranges (OTel data model), as Loki maps them', () => {
  const cases: [string, string][] = [
    ['0', 'unknown'],
    ['1', 'trace'],
    ['4', 'trace'],
    ['5', 'debug'],
    ['8', 'debug'],
    ['9', 'info'],
    ['12', 'info'],
    ['13', 'warn'],
    ['16', 'warn'],
    ['17', 'error'],
    ['20', 'error'],
    ['21', 'fatal'],
    ['24', 'fatal'],
    ['25', 'unknown'],
    ['x', 'info'],
  ];
  for (const [n, want] of cases) assert.equal(levelFromSeverityNumber(n), want, n);
});

test('JSON lines: a string level field, first in document order, nested one level deep at most', () => {
  assert.equal(levelFromLine('{"msg":"x","level":"WARN"}'), 'warn');
  assert.equal(levelFromLine('  {"severity":"err", "level":"info"}  '), 'error'); // document order, not field rank
  assert.equal(levelFromLine('{"log":{"lvl":"debug"},"msg":"info"}'), 'debug'); // depth 2
  assert.equal(jsonLevel('{"a":{"b":{"level":"error"}}}'), undefined); // depth 3 is not searched
  assert.equal(levelFromLine('{"a":{"b":{"level":"error"}}}'), 'unknown'); // ... and no keyword matches
  assert.equal(jsonLevel('{"level":5,"arr":[{"level":"x"}],"Level":"fatal"}'), 'fatal'); // numbers and arrays skipped
  assert.equal(jsonLevel('{"log.level":"inf"}'), 'inf');
  assert.equal(jsonLevel('{"msg":"a \\" level","level":"trace"}'), 'trace'); // escaped quotes inside strings
  assert.equal(jsonLevel('{"msg":"unterminated, "level":"info"'), undefined);
  assert.equal(jsonLevel('{}'), undefined);
  // A level value that is no known level falls back to Loki's keyword scan of the whole line.
  assert.equal(levelFromLine('{"level":"notice","msg":"disk WARN: low"}'), 'warn');
  assert.equal(levelFromLine('{"level":"notice"}'), 'unknown');
  // Keys are compared where they stand: same length as a field but not one, a field's prefix or extension, case.
  assert.equal(jsonLevel('{"msg":"error","lvl":"warn"}'), 'warn');
  assert.equal(jsonLevel('{"leve":"error","levels":"info","LeVeL":"debug"}'), undefined);
  assert.equal(jsonLevel('{"levex":"error","level":"info"}'), 'info');
});

test('logfmt lines: level keys match case-insensitively, the earliest field of the list wins', () => {
  assert.equal(levelFromLine('ts=1 level=error msg="boom"'), 'error');
  assert.equal(levelFromLine('ts=1 LEVEL=Warn'), 'warn');
  assert.equal(logfmtLevel('lvl=debug severity=error'), 'error'); // severity ranks before lvl
  assert.equal(logfmtLevel('severity=error level=info'), 'info'); // level is first: it ends the scan
  assert.equal(logfmtLevel('msg="level=error inside quotes" level=dbg'), 'dbg');
  assert.equal(logfmtLevel('msg="say \\"hi\\"" Severity_Text="WARNING"'), 'WARNING');
  assert.equal(logfmtLevel('a=1 b=2'), undefined);
  assert.equal(levelFromLine('user=bob status=502 [ERROR] declined'), 'error'); // no level key: keywords
  assert.equal(levelFromLine('level=verbose took=1s'), 'unknown');
  // Values of other keys are only skipped: escaped or not, quoted or bare, empty or missing.
  assert.equal(logfmtLevel('msg="a \\"b\\"" x= y lvl="in\\u0066o"'), 'info');
  assert.equal(logfmtLevel('msg="bad \\x escape" level="a\\x"'), 'a\\x'); // not a JSON escape: raw text
  assert.equal(logfmtLevel('flag level'), ''); // a key without a value
  assert.equal(logfmtLevel('level= msg=x'), '');
});

test("keywords in plain lines follow Loki's case-sensitive list and order", () => {
  const cases: [string, string][] = [
    ['INFO  [main] started', 'info'],
    ['some information', 'info'],
    ['[error] disk full', 'error'],
    ['ERR: disk full', 'error'],
    ['error connecting', 'unknown'], // Loki wants err:, [err], [error]
    ['WARN: slow', 'warn'],
    ['a warning', 'warn'],
    ['[CRITICAL] down', 'critical'],
    ['critical: down', 'critical'],
    ['DEBUG cache miss', 'debug'],
    ['panic: runtime error', 'unknown'],
    ['[ERROR] while loading info', 'info'], // info is checked first, as in Loki
    ['Info Error', 'unknown'], // case-sensitive
    ['GET /health 200', 'unknown'],
  ];
  for (const [line, want] of cases) assert.equal(levelFromKeywords(line), want, line);
  for (const [line, want] of cases) assert.equal(levelFromLine(line), want, line);
});

test('hostile lines: huge, deeply nested, non-UTF-8, unbalanced — linear time, no throw', () => {
  const deep = '{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000);
  let t = performance.now();
  assert.equal(levelFromLine(deep), 'unknown');
  assert.equal(levelFromLine('{"x":' + '['.repeat(100_000) + '"[ERROR]"' + ']'.repeat(100_000) + ',"level":"warn"}'), 'warn');
  const huge = 'x'.repeat(4 * 1024 * 1024) + ' level=warn';
  assert.equal(levelFromLine(huge), 'warn');
  assert.equal(levelFromLine('{' + '"k":"v",'.repeat(200_000) + '"level":"debug"}'), 'debug');
  assert.equal(levelFromLine('='.repeat(100_000)), 'unknown');
  assert.equal(levelFromLine('"'.repeat(100_000) + '='), 'unknown');
  assert.equal(levelFromLine('level' + '"'.repeat(100_000) + '='), 'unknown');
  assert.equal(levelFromLine('level="' + 'a'.repeat(100_000)), 'unknown');
  assert.equal(levelFromLine('lvl=warn ' + 'k=v '.repeat(100_000)), 'warn');
  assert.ok(performance.now() - t < 2000, 'scans are linear');
  // Invalid UTF-8 arrives as U+FFFD after decoding; lone surrogates and NULs are just characters.
  const bytes = Buffer.concat([Buffer.from('level=error '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' x')]);
  assert.equal(levelFromLine(bytes.toString('utf8')), 'error');
  assert.equal(levelFromLine('{"level":"\ud800","m":"\u0000"}'), 'unknown');
  assert.equal(levelFromLine('\ud800 [WARN] \u0000'), 'warn');
  t = performance.now();
  for (const l of ['{', '}', '{"', '{"a', '{"a":', '{"a":"', '{"a":{', '{"a":[}', '{"level"}', '{"level":}']) assert.equal(typeof levelFromLine(l), 'string', l);
});

// ---- through the push service

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

function setup(limits?: LimitsConfig) {
  const store = new RecordingStore();
  const svc = createPushService({ store, limits, now: () => T0 });
  const push = (labels: Labels, ...entries: Entry[]) => svc.push('fake', encodeLokiPushJson({ streams: [{ labels, entries }] }));
  return { store, svc, push };
}

test('push: detected_level is added to every entry; one the client sent is kept, known values normalised', async () => {
  const { store, push } = setup();
  await push(
    { job: 'a' },
    { ts: ns(T0), line: 'level=error x' },
    { ts: ns(T0 + 1), line: 'level=error y', metadata: { detected_level: 'WARNING' } },
    { ts: ns(T0 + 2), line: 'level=error z', metadata: { detected_level: 'custom', level: 'info' } },
    { ts: ns(T0 + 3), line: '{"level":"error"}', metadata: { severity: 'debug' } },
  );
  assert.deepEqual(store.entries('fake', { job: 'a', service_name: 'a' }), [
    { ts: ns(T0), line: 'level=error x', metadata: { detected_level: 'error' } },
    { ts: ns(T0 + 1), line: 'level=error y', metadata: { detected_level: 'warn' } },
    { ts: ns(T0 + 2), line: 'level=error z', metadata: { detected_level: 'custom', level: 'info' } },
    { ts: ns(T0 + 3), line: '{"level":"error"}', metadata: { severity: 'debug', detected_level: 'debug' } },
  ]);
  // A level stream label wins over everything in the entry.
  await push({ job: 'b', level: 'Err' }, { ts: ns(T0), line: '{"level":"info"}', metadata: { level: 'debug' } });
  assert.deepEqual(store.entries('fake', { job: 'b', level: 'Err', service_name: 'b' })[0]!.metadata, { level: 'debug', detected_level: 'error' });
});

test('push: discover_log_levels false stores entries exactly as sent', async () => {
  const { store, push } = setup({ discover_log_levels: false });
  await push({ job: 'a' }, { ts: ns(T0), line: 'level=error x' }, { ts: ns(T0 + 1), line: 'y', metadata: { k: 'v' } });
  // (Decoded entries carry an empty `metadata` slot: src/api/model.ts.)
  assert.deepEqual(store.entries('fake', { job: 'a', service_name: 'a' }), [
    { ts: ns(T0), line: 'level=error x', metadata: undefined },
    { ts: ns(T0 + 1), line: 'y', metadata: { k: 'v' } },
  ]);
  // Both switches off: Loki 2's behaviour.
  const off = setup({ discover_log_levels: false, discover_service_name: [] });
  await off.push({ job: 'a' }, { ts: ns(T0), line: 'level=error x' });
  assert.deepEqual(off.store.dump('fake'), { '{job="a"}': ['level=error x'] });
  assert.deepEqual(off.store.entries('fake', { job: 'a' }), [{ ts: ns(T0), line: 'level=error x', metadata: undefined }]);
});

test('push: the pushed objects are not modified', async () => {
  const store = new RecordingStore();
  const svc = createPushService({ store, now: () => T0 });
  const md = { k: 'v' };
  const entry = { ts: ns(T0), line: '[WARN] x', metadata: md };
  const labels = { job: 'a' };
  await svc.pushStreams('fake', [{ labels, entries: [entry] }]);
  assert.deepEqual(md, { k: 'v' });
  assert.deepEqual(labels, { job: 'a' });
  assert.deepEqual(store.entries('fake', { job: 'a', service_name: 'a' })[0]!.metadata, { k: 'v', detected_level: 'warn' });
});

test('push: OTLP severity_text, else severity_number, else the body', async () => {
  const { store, svc } = setup();
  const rec = (o: Partial<ReturnType<typeof emptyLogRecord>>) => ({ ...emptyLogRecord(), timeUnixNano: ns(T0), ...o });
  const req = {
    resourceLogs: [
      {
        attributes: [{ key: 'service.name', value: 'svc' }],
        droppedAttributesCount: 0,
        scopeLogs: [
          {
            scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 },
            logRecords: [
              rec({ severityText: 'Information', severityNumber: 17, body: 'a' }),
              rec({ timeUnixNano: ns(T0 + 1), severityNumber: 21, body: 'b' }),
              rec({ timeUnixNano: ns(T0 + 2), body: '{"level":"debug"}' }),
              rec({ timeUnixNano: ns(T0 + 3), severityText: 'NOTICE', body: 'c' }),
            ],
          },
        ],
      },
    ],
  };
  await svc.pushOtlp('fake', { contentType: 'application/json', body: Buffer.from(encodeOtlpLogsJson(req)) });
  const got = store.entries('fake', { service_name: 'svc' }).map((e) => e.metadata?.detected_level);
  assert.deepEqual(got, ['info', 'fatal', 'debug', 'NOTICE']);
});

test('push: OTLP records sharing their resource pairs take the level those pairs state, or each its own body’s (the shared level is remembered per object)', async () => {
  const { store, svc } = setup();
  const rec = (ms: number, body: string) => ({ ...emptyLogRecord(), timeUnixNano: ns(ms), body });
  const resource = (name: string, attrs: Array<{ key: string; value: string }>, bodies: string[]) => ({
    attributes: [{ key: 'service.name', value: name }, ...attrs],
    droppedAttributesCount: 0,
    scopeLogs: [{ scope: { name: 'lib', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: bodies.map((b, i) => rec(T0 + i, b)) }],
  });
  const req = {
    resourceLogs: [
      // A `level` resource attribute (structured metadata) wins over every body.
      resource('with', [{ key: 'level', value: 'WARNING' }], ['level=error a', '{"level":"debug"}', 'plain']),
      // Pairs without a level: each body decides.
      resource('without', [{ key: 'host.name', value: 'h' }], ['level=error a', '{"level":"debug"}', 'plain', 'level=error b']),
    ],
  };
  for (let round = 0; round < 2; round++) {
    await svc.pushOtlp('fake', { contentType: 'application/json', body: Buffer.from(encodeOtlpLogsJson(req)) });
    const level = (service: string) => store.entries('fake', { service_name: service }).slice(-4).map((e) => e.metadata?.detected_level);
    assert.deepEqual(level('with').slice(-3), ['warn', 'warn', 'warn']);
    assert.deepEqual(level('without'), ['error', 'debug', 'unknown', 'error']);
  }
});
