/**
 * The pipeline's hot path must not be what limits the agent (issue #4 §6: 5,000 lines/s per 0.1
 * core overall, so the pipeline should take a small share). Measured: no multiline, detect_level on,
 * two drop rules, health-check rule on, realistic mixed lines on stdout and stderr.
 *   node --import tsx bench/agent-pipeline.bench.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline } from '../src/agent/pipeline/pipeline.js';
import type { LogLine } from '../src/agent/model.js';
import { agentConfigSchema } from '../src/config/agent.js';

const SAMPLES = [
  '2026-11-23T12:00:00.123Z INFO  [main] c.e.api.OrderService - order 12345 created for customer 987 in 12ms',
  '{"level":"warn","ts":"2026-11-23T12:00:00Z","msg":"slow query","duration_ms":812,"table":"orders","query":"SELECT * FROM orders WHERE id = $1"}',
  'level=error ts=2026-11-23T12:00:00Z caller=server.go:123 msg="request failed" err="context deadline exceeded" path=/api/v1/orders',
  '10.0.0.1 - - [23/Nov/2026:12:00:00 +0000] "GET /api/orders/123 HTTP/1.1" 200 512 "-" "Mozilla/5.0 (X11; Linux x86_64)"',
  '10.244.0.1 - - [23/Nov/2026:12:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29"',
];

test('hot path: at least 300k lines/s on one core (floor asserted: 100k)', () => {
  const cfg = agentConfigSchema.parse({
    host: 'h',
    pipeline: {
      detect_level: true,
      drop_healthchecks: true,
      drop: [{ selector: '{container="api"}', line: 'GET /metrics' }, { line: '^DEBUG: ', reason: 'debug' }],
    },
  }).pipeline;
  const p = compilePipeline(cfg, { externalLabels: { cluster: 'c1' } })({ container: 'api', image: 'api:1', host: 'node-1', __meta_docker_container_id: 'abc' });
  const batch: LogLine[] = [];
  for (let i = 0; i < 1000; i++) batch.push({ ts: BigInt(i), line: `${SAMPLES[i % SAMPLES.length]} #${i}`, stream: i % 3 === 0 ? 'stderr' : 'stdout' });
  for (let i = 0; i < 50; i++) p.process(batch);
  const rounds = 500;
  const t0 = process.hrtime.bigint();
  let shipped = 0;
  for (let i = 0; i < rounds; i++) shipped += p.process(batch).lines;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = (rounds * batch.length) / seconds;
  assert.equal(shipped, rounds * 800, 'one line in five is a health check');
  // Shown with --test-reporter=spec; docs/agent-pipeline.md records a measured figure.
  console.log(`pipeline hot path: ${Math.round(rate / 1000)}k lines/s`);
  assert.ok(rate >= 100_000, `${Math.round(rate)} lines/s`);
});

test('hot path with a timestamp rule on every line (floor asserted: 100k)', () => {
  const cfg = agentConfigSchema.parse({
    host: 'h',
    pipeline: {
      detect_level: true,
      drop_healthchecks: true,
      drop: [{ selector: '{container="api"}', line: 'GET /metrics' }, { line: '^DEBUG: ', reason: 'debug' }],
      timestamp: [{ selector: '{container="api"}', source: 'ts', format: 'RFC3339' }],
    },
  }).pipeline;
  const p = compilePipeline(cfg, { externalLabels: { cluster: 'c1' } })({ container: 'api', image: 'api:1', host: 'node-1', __meta_docker_container_id: 'abc' });
  const runtime = BigInt(Date.parse('2026-11-23T12:00:00.5Z')) * 1_000_000n;
  const batch: LogLine[] = [];
  for (let i = 0; i < 1000; i++) batch.push({ ts: runtime, line: `${SAMPLES[i % SAMPLES.length]} #${i}`, stream: i % 3 === 0 ? 'stderr' : 'stdout' });
  for (let i = 0; i < 50; i++) p.process(batch);
  const rounds = 500;
  const t0 = process.hrtime.bigint();
  let taken = 0;
  for (let i = 0; i < rounds; i++) {
    const out = p.process(batch);
    for (const s of out.streams) for (const e of s.entries) if (e.ts !== runtime) taken++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = (rounds * batch.length) / seconds;
  // The JSON and the logfmt sample carry ts; the others (and the dropped health check) do not.
  assert.equal(taken, rounds * 400);
  console.log(`pipeline hot path with a timestamp rule: ${Math.round(rate / 1000)}k lines/s`);
  assert.ok(rate >= 100_000, `${Math.round(rate)} lines/s`);
});
