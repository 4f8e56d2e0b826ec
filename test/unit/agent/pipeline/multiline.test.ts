/**
 * Multiline joining as a user sees it: a stack trace becomes one entry with the timestamp of its
 * first line, emitted by the next first line, by max_wait (a fake clock here), by max_lines, or by a
 * flush; stdout and stderr never mix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline, type PipelineOutput } from '../../../../src/agent/pipeline/pipeline.js';
import type { LogLine } from '../../../../src/agent/model.js';
import { agentConfigSchema } from '../../../../src/config/agent.js';
import { levelFromLine } from '../../../../src/api/detect-level.js';

const TS_FIRST = '^\\d{4}-\\d{2}-\\d{2}[ T]';

function make(multiline: unknown[], opts: { detect_level?: boolean; maxEntryBytes?: number } = {}) {
  const clock = { now: 1_000_000 };
  const cfg = agentConfigSchema.parse({ host: 'h', pipeline: { multiline, detect_level: opts.detect_level ?? false } }).pipeline;
  const factory = compilePipeline(cfg, { now: () => clock.now, maxEntryBytes: opts.maxEntryBytes });
  return { clock, factory };
}

let seq = 0n;
function ll(text: string, stream: 'stdout' | 'stderr' = 'stdout'): LogLine {
  return { ts: ++seq * 1000n, line: text, stream };
}

function entries(out: PipelineOutput): string[] {
  return out.streams.flatMap((s) => s.entries.map((e) => e.line));
}

const JAVA = [
  '2026-11-23 12:00:00.123 ERROR [http-nio-8080-exec-1] c.e.OrderService - Order 42 failed',
  'java.lang.IllegalStateException: payment declined',
  '\tat com.example.OrderService.place(OrderService.java:42)',
  '\tat com.example.Api.handle(Api.java:17)',
  'Caused by: java.io.IOException: connection reset',
  '\tat com.example.PaymentClient.call(PaymentClient.java:88)',
  '\t... 12 more',
];

const PYTHON = [
  '2026-11-23 12:00:05,001 ERROR app: request failed',
  'Traceback (most recent call last):',
  '  File "/app/server.py", line 10, in handle',
  '    result = process(req)',
  '  File "/app/server.py", line 22, in process',
  '    raise ValueError("bad input")',
  'ValueError: bad input',
];

test('a Java stack trace and a Python traceback each become one entry with the first line\'s timestamp', () => {
  const { factory } = make([{ first_line: TS_FIRST }], { detect_level: true });
  const p = factory({ container: 'app' });
  const java = JAVA.map((t) => ll(t));
  const py = PYTHON.map((t) => ll(t));
  const next = ll('2026-11-23 12:00:06.000 INFO [main] c.e.OrderService - ok');
  const out = p.process([...java, ...py, next]);
  assert.deepEqual(entries(out), [JAVA.join('\n'), PYTHON.join('\n')]);
  assert.deepEqual(
    out.streams[0]!.entries.map((e) => e.ts),
    [java[0]!.ts, py[0]!.ts],
  );
  assert.equal(out.lines, JAVA.length + PYTHON.length);
  assert.equal(out.bytes, Buffer.byteLength(JAVA.join('\n')) + Buffer.byteLength(PYTHON.join('\n')));
  // The level is detected on the joined entry, as the server would on the same text.
  assert.deepEqual(
    out.streams[0]!.entries.map((e) => e.metadata?.detected_level),
    [levelFromLine(JAVA.join('\n')), levelFromLine(PYTHON.join('\n'))],
  );
  // The last line waits for its continuation.
  assert.equal(p.pending, true);
  assert.deepEqual(entries(p.flush()), [next.line]);
  assert.equal(p.pending, false);
});

test('an entry split across reader batches is joined', () => {
  const { factory } = make([{ first_line: TS_FIRST }]);
  const p = factory({ container: 'app' });
  assert.deepEqual(entries(p.process(JAVA.slice(0, 3).map((t) => ll(t)))), []);
  assert.equal(p.pending, true);
  assert.deepEqual(entries(p.process(JAVA.slice(3).map((t) => ll(t)))), []);
  assert.deepEqual(entries(p.flush()), [JAVA.join('\n')]);
});

test('max_wait: the pending entry is due max_wait after its last line, and a late line does not join it', () => {
  const { clock, factory } = make([{ first_line: TS_FIRST, max_wait: '2s' }]);
  const p = factory({ container: 'app' });
  p.process([ll(JAVA[0]!), ll(JAVA[1]!)]);
  assert.equal(p.flushDeadline, clock.now + 2000);
  clock.now += 1500;
  p.process([ll(JAVA[2]!)]);
  assert.equal(p.flushDeadline, clock.now + 2000, 'a continuation line extends the wait');
  clock.now += 1999;
  assert.deepEqual(entries(p.process([])), []);
  clock.now += 1;
  // Due now: the next call emits it before looking at new lines, so this one starts a new entry.
  const out = p.process([ll('\tat late.Frame(Late.java:1)')]);
  assert.deepEqual(entries(out), [JAVA.slice(0, 3).join('\n')]);
  assert.deepEqual(entries(p.flush()), ['\tat late.Frame(Late.java:1)']);
  assert.equal(p.flushDeadline, undefined);
});

test('max_lines caps an entry; the rest starts a new one', () => {
  const { factory } = make([{ first_line: '^START', max_lines: 3 }]);
  const p = factory({ container: 'app' });
  const out = p.process(['START', 'a', 'b', 'c', 'd', 'START 2', 'e'].map((t) => ll(t)));
  assert.deepEqual(entries(out), ['START\na\nb', 'c\nd']);
  assert.deepEqual(entries(p.flush()), ['START 2\ne']);
});

test('a joined entry is cut before it exceeds maxEntryBytes', () => {
  const { factory } = make([{ first_line: '^START' }], { maxEntryBytes: 20 });
  const p = factory({ container: 'app' });
  const out = p.process(['START', '123456789', '123456789', 'x'].map((t) => ll(t)));
  assert.deepEqual(entries(out), ['START\n123456789']);
  assert.deepEqual(entries(p.flush()), ['123456789\nx']);
});

test('interleaved stdout and stderr are joined separately', () => {
  const { factory } = make([{ first_line: TS_FIRST }]);
  const p = factory({ container: 'app' });
  const input = [
    ll(JAVA[0]!),
    ll('2026-11-23 12:00:00.200 WARN stderr says hello', 'stderr'),
    ll(JAVA[1]!),
    ll('  stderr continuation', 'stderr'),
    ll(JAVA[2]!),
    ll('2026-11-23 12:00:01 next stdout'),
  ];
  const out = p.process(input);
  assert.deepEqual(out.streams.map((s) => [s.labels.stream, s.entries.map((e) => e.line)]), [['stdout', [JAVA.slice(0, 3).join('\n')]]]);
  const rest = p.flush();
  assert.deepEqual(
    rest.streams.map((s) => [s.labels.stream, s.entries.map((e) => e.line)]).sort(),
    [
      ['stderr', ['2026-11-23 12:00:00.200 WARN stderr says hello\n  stderr continuation']],
      ['stdout', ['2026-11-23 12:00:01 next stdout']],
    ],
  );
});

test('the first multiline rule whose selector matches applies; other streams are not joined', () => {
  const { factory } = make([
    { selector: '{container="java"}', first_line: TS_FIRST },
    { selector: '{container=~"java|py"}', first_line: '^NEVER' },
  ]);
  const java = factory({ container: 'java' });
  java.process(JAVA.map((t) => ll(t)));
  assert.deepEqual(entries(java.flush()), [JAVA.join('\n')]);
  const plain = factory({ container: 'nginx' });
  assert.deepEqual(entries(plain.process(JAVA.map((t) => ll(t)))), JAVA);
  assert.equal(plain.pending, false);
  const py = factory({ container: 'py' });
  assert.deepEqual(entries(py.process(['a', 'b'].map((t) => ll(t)))), []);
  assert.deepEqual(entries(py.flush()), ['a\nb']);
});

test('pieces of a split line are not glued into the entry: they go out on their own, marked truncated', () => {
  const { factory } = make([{ first_line: TS_FIRST }]);
  const p = factory({ container: 'app' });
  const out = p.process([ll(JAVA[0]!), ll(JAVA[1]!), { ...ll('x'.repeat(50)), truncated: true }, { ...ll('y'.repeat(5)), truncated: true }, ll(JAVA[2]!)]);
  assert.deepEqual(out.streams[0]!.entries, [
    { ts: out.streams[0]!.entries[0]!.ts, line: JAVA.slice(0, 2).join('\n') },
    { ts: out.streams[0]!.entries[1]!.ts, line: 'x'.repeat(50), metadata: { truncated: 'true' } },
    { ts: out.streams[0]!.entries[2]!.ts, line: 'y'.repeat(5), metadata: { truncated: 'true' } },
  ]);
  assert.deepEqual(entries(p.flush()), [JAVA[2]]);
});

test('setLabels while an entry is pending: the entry continues and ships with the new labels', () => {
  const { factory } = make([{ first_line: TS_FIRST }]);
  const p = factory({ pod: 'api-1', container: 'api' });
  p.process(JAVA.slice(0, 2).map((t) => ll(t)));
  p.setLabels({ pod: 'api-1', container: 'api', namespace: 'shop' });
  assert.equal(p.pending, true);
  p.process(JAVA.slice(2).map((t) => ll(t)));
  const out = p.flush();
  assert.deepEqual(out.streams.map((s) => s.labels), [{ container: 'api', namespace: 'shop', pod: 'api-1', stream: 'stdout' }]);
  assert.deepEqual(entries(out), [JAVA.join('\n')]);
  assert.equal(out.lines, JAVA.length);

  // New labels that no multiline rule covers: the held entry is emitted at once by the next call.
  const { factory: f2 } = make([{ selector: '{namespace=""}', first_line: TS_FIRST }]);
  const q = f2({ pod: 'api-1' });
  q.process(JAVA.slice(0, 2).map((t) => ll(t)));
  q.setLabels({ pod: 'api-1', namespace: 'shop' });
  assert.equal(q.pending, true);
  assert.ok(q.flushDeadline !== undefined);
  const next = q.process([ll(JAVA[2]!)]);
  assert.deepEqual(entries(next), [JAVA.slice(0, 2).join('\n'), JAVA[2]]);
  assert.equal(q.pending, false);
});

test('a first_line that never matches still ships everything in max_lines pieces', () => {
  const { factory } = make([{ first_line: '^NEVER', max_lines: 500 }]);
  const p = factory({ container: 'app' });
  const input = Array.from({ length: 100_000 }, (_, i) => ll(`line ${i}`));
  const out = p.process(input);
  const rest = p.flush();
  assert.equal(out.lines + rest.lines, 100_000);
  assert.equal(entries(out).length, 199);
  assert.equal(entries(out)[0]!.split('\n').length, 500);
});
