/**
 * A source's pipeline end to end: which entries leave it, under which labels, with which metadata,
 * and what is counted as dropped, for the rules a user writes in agent.yaml.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline, type PipelineOutput } from '../../../../src/agent/pipeline/pipeline.js';
import type { LogLine } from '../../../../src/agent/model.js';
import { agentConfigSchema, type AgentConfig } from '../../../../src/config/agent.js';
import { levelFromLine } from '../../../../src/api/detect-level.js';

function pipelineCfg(p: Record<string, unknown>): AgentConfig['pipeline'] {
  return agentConfigSchema.parse({ host: 'h', pipeline: p }).pipeline;
}

function lines(...texts: Array<string | [string, 'stdout' | 'stderr']>): LogLine[] {
  return texts.map((t, i) => (typeof t === 'string' ? { ts: BigInt(i + 1), line: t, stream: 'stdout' } : { ts: BigInt(i + 1), line: t[0], stream: t[1] }));
}

function texts(out: PipelineOutput): string[][] {
  return out.streams.map((s) => s.entries.map((e) => e.line));
}

const target = { container: 'web', host: 'node-1', __meta_docker_container_label_team: 'x' };

test('entries keep the runtime timestamp and line, grouped by final labels with stream, hidden labels removed, external labels added', () => {
  const p = compilePipeline(pipelineCfg({ detect_level: false }), { externalLabels: { cluster: 'eu-1', host: 'ignored' } })(target);
  const out = p.process(lines('a', ['b', 'stderr'], 'c'));
  assert.deepEqual(out.streams, [
    { labels: { cluster: 'eu-1', container: 'web', host: 'node-1', stream: 'stdout' }, entries: [{ ts: 1n, line: 'a' }, { ts: 3n, line: 'c' }] },
    { labels: { cluster: 'eu-1', container: 'web', host: 'node-1', stream: 'stderr' }, entries: [{ ts: 2n, line: 'b' }] },
  ]);
  assert.equal(out.lines, 3);
  assert.equal(out.bytes, 3);
  assert.equal(out.dropped.size, 0);
  assert.equal(p.pending, false);
  assert.equal(p.flushDeadline, undefined);
  // Plain files have no stream label.
  const file = compilePipeline(pipelineCfg({ detect_level: false }))({ filename: '/var/log/syslog' }).process([{ ts: 5n, line: 'x' }]);
  assert.deepEqual(file.streams[0]!.labels, { filename: '/var/log/syslog' });
});

test('stdout and stderr that relabel to the same labels are shipped as one stream', () => {
  const p = compilePipeline(pipelineCfg({ detect_level: false, relabel: [{ action: 'labeldrop', regex: 'stream' }] }))(target);
  const out = p.process(lines('a', ['b', 'stderr'], 'c'));
  assert.equal(out.streams.length, 1);
  assert.deepEqual(texts(out), [['a', 'b', 'c']]);
});

test('bytes count UTF-8 bytes', () => {
  const out = compilePipeline(pipelineCfg({ detect_level: false }))(target).process(lines('é€😀'));
  assert.equal(out.bytes, 2 + 3 + 4);
});

test('drop rules by selector, by line regex, and both; each counted under its reason', () => {
  const p = compilePipeline(
    pipelineCfg({
      detect_level: false,
      drop: [
        { selector: '{container="web", stream="stdout"}', line: 'GET /metrics', reason: 'metrics_scrape' },
        { line: '(?i)^debug:' },
        { selector: '{container=~"sidecar-.*"}', reason: 'sidecar' },
      ],
    }),
  );
  const web = p(target).process(
    lines('GET /metrics 200', ['GET /metrics 200', 'stderr'], 'DEBUG: cache warm', 'debug: x', 'real work', 'said debug: later'),
  );
  assert.deepEqual(texts(web), [['GET /metrics 200'], ['real work', 'said debug: later']]);
  assert.deepEqual(web.streams.map((s) => s.labels.stream), ['stderr', 'stdout']);
  assert.deepEqual([...web.dropped], [['metrics_scrape', 1], ['drop_rule', 2]]);
  const sidecar = p({ container: 'sidecar-envoy' }).process(lines('anything', 'at all'));
  assert.equal(sidecar.lines, 0);
  assert.deepEqual([...sidecar.dropped], [['sidecar', 2]]);
});

test('drop selectors see the final labels, and selectors that accept empty values work', () => {
  const p = compilePipeline(
    pipelineCfg({
      detect_level: false,
      relabel: [{ source_labels: ['__meta_docker_container_label_team'], target_label: 'team' }],
      drop: [{ selector: '{team="x"}', line: 'noise' }, { selector: '{namespace=""}', line: 'no-namespace' }],
    }),
  )(target);
  const out = p.process(lines('noise 1', 'no-namespace here', 'signal'));
  assert.deepEqual(texts(out), [['signal']]);
});

test('detected_level as Loki 3 finds it; unknown when nothing says; a level label decides for the stream', () => {
  const p = compilePipeline(pipelineCfg({}))(target);
  const samples = [
    '{"level":"warn","msg":"slow"}',
    'level=error msg="failed" err="boom"',
    '2026-11-23 12:00:00 INFO started',
    '[DEBUG] cache miss',
    'just some text',
  ];
  const out = p.process(lines(...samples));
  assert.deepEqual(
    out.streams[0]!.entries.map((e) => e.metadata),
    [{ detected_level: 'warn' }, { detected_level: 'error' }, { detected_level: 'info' }, { detected_level: 'debug' }, { detected_level: 'unknown' }],
  );
  // The same function the server uses.
  for (const [i, s] of samples.entries()) assert.equal(out.streams[0]!.entries[i]!.metadata!.detected_level, levelFromLine(s));
  const labelled = compilePipeline(pipelineCfg({}))({ app: 'x', level: 'WARNING' }).process(lines('level=error says the line'));
  assert.deepEqual(labelled.streams[0]!.entries[0]!.metadata, { detected_level: 'warn' });
  const off = compilePipeline(pipelineCfg({ detect_level: false }))(target).process(lines('level=error'));
  assert.equal(off.streams[0]!.entries[0]!.metadata, undefined);
});

test('pieces of a split line carry truncated="true"', () => {
  const p = compilePipeline(pipelineCfg({}))(target);
  const out = p.process([
    { ts: 1n, line: 'x'.repeat(100), stream: 'stdout', truncated: true },
    { ts: 1n, line: 'y'.repeat(10) + ' ERROR:', stream: 'stdout', truncated: true },
    { ts: 2n, line: 'whole', stream: 'stdout' },
  ]);
  assert.deepEqual(
    out.streams[0]!.entries.map((e) => e.metadata),
    [{ detected_level: 'unknown', truncated: 'true' }, { detected_level: 'unknown', truncated: 'true' }, { detected_level: 'unknown' }],
  );
  const noLevel = compilePipeline(pipelineCfg({ detect_level: false }))(target).process([{ ts: 1n, line: 'x', truncated: true }]);
  assert.deepEqual(noLevel.streams[0]!.entries[0]!.metadata, { truncated: 'true' });
});

test('setLabels mid-stream: later lines carry the new labels, rules are re-decided for them', () => {
  const p = compilePipeline(pipelineCfg({ detect_level: false, drop: [{ selector: '{namespace="kube-system"}' }] }))({ pod: 'dns-1', container: 'dns' });
  const before = p.process(lines('one'));
  assert.deepEqual(before.streams[0]!.labels, { container: 'dns', pod: 'dns-1', stream: 'stdout' });
  p.setLabels({ pod: 'dns-1', container: 'dns', namespace: 'default', app: 'dns' });
  const after = p.process(lines('two', ['three', 'stderr']));
  assert.deepEqual(after.streams.map((s) => s.labels), [
    { app: 'dns', container: 'dns', namespace: 'default', pod: 'dns-1', stream: 'stdout' },
    { app: 'dns', container: 'dns', namespace: 'default', pod: 'dns-1', stream: 'stderr' },
  ]);
  p.setLabels({ pod: 'dns-1', container: 'dns', namespace: 'kube-system' });
  const dropped = p.process(lines('four'));
  assert.equal(dropped.lines, 0);
  assert.equal(dropped.dropped.get('drop_rule'), 1);
});

test('a relabelling that leaves no labels drops the lines as no_labels instead of sending what the server rejects', () => {
  const p = compilePipeline(pipelineCfg({ relabel: [{ action: 'labelkeep', regex: 'nothing' }] }))(target);
  const out = p.process(lines('a', 'b'));
  assert.equal(out.lines, 0);
  assert.deepEqual([...out.dropped], [['no_labels', 2]]);
  // With external labels the stream still has a label set.
  const ext = compilePipeline(pipelineCfg({ relabel: [{ action: 'labelkeep', regex: 'nothing' }] }), { externalLabels: { cluster: 'c' } })(target);
  assert.deepEqual(ext.process(lines('a')).streams[0]!.labels, { cluster: 'c' });
});

test('hostile input: huge lines, NULs and odd label values go through unchanged', () => {
  const huge = 'A'.repeat(4 * 1024 * 1024);
  const odd = { app: 'x"}\n{evil="1', 'bad-name': 'dropped: not a label name', __meta_x: 'hidden', empty: '' };
  const p = compilePipeline(
    pipelineCfg({ drop_healthchecks: true, drop: [{ line: 'never-(matches)+$' }] }),
  )(odd);
  const out = p.process(lines(huge, 'nul\u0000byte', '\uFFFD bad utf8'));
  assert.deepEqual(out.streams[0]!.labels, { app: 'x"}\n{evil="1', stream: 'stdout' });
  assert.deepEqual(texts(out), [[huge, 'nul\u0000byte', '\uFFFD bad utf8']]);
  assert.equal(out.bytes, huge.length + 8 + 3 + 9);
});

test('bad drop, multiline and external-label config fails at start naming the rule', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ drop: [{ selector: '{container=~"("}' }] }, /pipeline\.drop\[0\]\.selector: parse error .*error parsing regexp: missing closing \): `\(`/],
    [{ drop: [{ line: 'ok' }, { selector: 'container="web"' }] }, /pipeline\.drop\[1\]\.selector: parse error .*syntax error/],
    [{ drop: [{ line: '[a-' }] }, /pipeline\.drop\[0\]\.line: error parsing regexp: missing closing \]: `\[a-`/],
    [{ drop: [{ line: '(?<=x)y' }] }, /pipeline\.drop\[0\]\.line: error parsing regexp: /],
    [{ drop: [{ reason: 'x' }] }, /pipeline\.drop\[0\]: needs a selector, a line regex or both/],
    [{ drop: [{ selector: '{a="b"} |= "x"' }] }, /pipeline\.drop\[0\]\.selector: .*only label matchers/],
    [{ multiline: [{ first_line: '^\\d{4}-' }, { first_line: '(unclosed' }] }, /pipeline\.multiline\[1\]\.first_line: error parsing regexp: missing closing \): `\(unclosed`/],
    [{ multiline: [{ selector: '{app=}', first_line: 'x' }] }, /pipeline\.multiline\[0\]\.selector: parse error/],
  ];
  for (const [p, msg] of cases) assert.throws(() => compilePipeline(pipelineCfg(p)), msg);
  assert.throws(() => compilePipeline(pipelineCfg({}), { externalLabels: { 'a.b': 'x' } }), /client\.external_labels: "a\.b" is not a valid label name/);
  // Errors are configuration errors, not crashes later.
  assert.throws(() => compilePipeline(pipelineCfg({ drop: [{ line: '(' }] })), (e: Error & { code?: string }) => e.code === 'bad_request' && e.message.startsWith('invalid agent pipeline configuration: '));
});
