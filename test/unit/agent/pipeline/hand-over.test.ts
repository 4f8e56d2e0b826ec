/**
 * Hot reload of a source's pipeline (issue #13): a multiline entry open at the switch goes on in the
 * new pipeline when a multiline rule still applies (a stack trace is not cut by a reload), is
 * finished with the new labels when none does, and nothing is emitted twice or lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline, type PipelineOutput } from '../../../../src/agent/pipeline/pipeline.js';
import type { LogLine } from '../../../../src/agent/model.js';
import { agentConfigSchema } from '../../../../src/config/agent.js';

const FIRST = '^\\d{4}-\\d{2}-\\d{2} ';
const clock = { now: 1_000_000 };

function factory(pipeline: Record<string, unknown>, external: Record<string, string> = {}) {
  const cfg = agentConfigSchema.parse({ pipeline: { detect_level: false, ...pipeline } }).pipeline;
  return compilePipeline(cfg, { now: () => clock.now, externalLabels: external });
}

let seq = 0n;
const ll = (line: string): LogLine => ({ ts: ++seq, line, stream: 'stdout' });
const lines = (out: PipelineOutput) => out.streams.flatMap((s) => s.entries.map((e) => ({ labels: s.labels, line: e.line })));
const target = { job: 'api' };

test('an entry open at the switch goes on in the new pipeline and is shipped once, whole', () => {
  const multiline = { multiline: [{ first_line: FIRST }] };
  const old = factory(multiline)(target);
  const out1 = old.process([ll('2026-01-01 INFO started'), ll('2026-01-01 ERROR failed'), ll('java.lang.Exception: boom')]);
  assert.deepEqual(lines(out1).map((l) => l.line), ['2026-01-01 INFO started']);
  assert.equal(old.pending, true);
  const next = factory({ ...multiline, drop: [{ line: 'never' }] }, { cluster: 'eu' })(target);
  const ready = old.handOver(next);
  assert.equal(ready.lines, 0);
  assert.equal(next.pending, true, 'the open entry moved over');
  assert.equal(old.pending, false, 'and is gone from the old pipeline');
  const out2 = next.process([ll('\tat A.run(A.java:1)'), ll('2026-01-01 INFO recovered')]);
  assert.deepEqual(lines(out2), [{ labels: { cluster: 'eu', job: 'api', stream: 'stdout' }, line: '2026-01-01 ERROR failed\njava.lang.Exception: boom\n\tat A.run(A.java:1)' }]);
  assert.equal(out2.lines, 3, 'the joined entry counts its three lines');
  assert.deepEqual(lines(next.flush()).map((l) => l.line), ['2026-01-01 INFO recovered']);
});

test('without a multiline rule in the new pipeline the open entry is finished as it is, with the new labels', () => {
  const old = factory({ multiline: [{ first_line: FIRST }] })(target);
  old.process([ll('2026-01-01 ERROR failed'), ll('java.lang.Exception: boom')]);
  const next = factory({ relabel: [{ action: 'replace', target_label: 'team', replacement: 'ops' }] })(target);
  old.handOver(next);
  const out = next.process([ll('a later line')]);
  assert.deepEqual(lines(out), [
    { labels: { job: 'api', stream: 'stdout', team: 'ops' }, line: '2026-01-01 ERROR failed\njava.lang.Exception: boom' },
    { labels: { job: 'api', stream: 'stdout', team: 'ops' }, line: 'a later line' },
  ]);
  assert.equal(next.pending, false);
});

test('what the old pipeline had emitted but not returned is handed back to be shipped first', () => {
  const old = factory({ multiline: [{ selector: '{version="1"}', first_line: FIRST, max_wait: '1s' }] })({ job: 'api', version: '1' });
  old.process([ll('2026-01-01 one')]);
  // A label change the multiline rule no longer applies to finishes the open entry into the output held for the next call.
  old.setLabels({ job: 'api', version: '2' });
  assert.equal(old.pending, true);
  const next = factory({})({ job: 'api', version: '2' });
  const ready = old.handOver(next);
  assert.equal(next.pending, false);
  const all = [...lines(ready), ...lines(next.process([ll('two')]))].map((l) => l.line);
  assert.deepEqual(all, ['2026-01-01 one', 'two']);
});
