/**
 * The examples in docs/agent-pipeline.md are valid configuration and do what the text says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { compilePipeline } from '../../../../src/agent/pipeline/pipeline.js';
import { agentConfigSchema } from '../../../../src/config/agent.js';

const DOC = readFileSync(new URL('../../../../docs/agent-pipeline.md', import.meta.url), 'utf8');
const blocks = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

test('every YAML example in docs/agent-pipeline.md compiles', () => {
  assert.ok(blocks.length >= 5);
  for (const b of blocks) {
    // The extra drop rule is shown indented under an elided `drop:`.
    const text = b.startsWith('pipeline:') ? b : `pipeline:\n  drop:\n${b}`;
    const cfg = agentConfigSchema.parse({ host: 'h', ...(parse(text) as object) });
    compilePipeline(cfg.pipeline);
  }
});

test('the relabel example adds, renames and drops labels as described', () => {
  const relabelBlock = blocks.find((b) => b.includes('relabel:'))!;
  const cfg = agentConfigSchema.parse({ host: 'h', ...(parse(relabelBlock) as object) });
  const p = compilePipeline({ ...cfg.pipeline, detect_level: false });
  const out = p({
    container: 'api',
    image: 'shop/api:1',
    compose_service: 'shop',
    __meta_docker_container_label_com_example_team: 'payments',
    __meta_kubernetes_pod_label_app_kubernetes_io_name: 'api',
  }).process([{ ts: 1n, line: 'x', stream: 'stdout' }]);
  assert.deepEqual(out.streams[0]!.labels, {
    app_kubernetes_io_name: 'api',
    container: 'api',
    env: 'prod',
    service: 'shop',
    stream: 'stdout',
    team: 'payments',
  });
  const test = p({ namespace: 'test-7', container: 'x' }).process([{ ts: 1n, line: 'x', stream: 'stdout' }]);
  assert.equal(test.dropped.get('relabel'), 1);
});

test('the drop and actuator examples drop what they say', () => {
  const dropBlock = blocks.find((b) => b.includes('metrics_scrape'))!;
  const actuator = blocks.find((b) => b.includes('actuator'))!;
  const cfg = agentConfigSchema.parse({ host: 'h', ...(parse(dropBlock) as object) });
  cfg.pipeline.drop.push(...agentConfigSchema.parse({ host: 'h', ...(parse(`pipeline:\n  drop:\n${actuator}`) as object) }).pipeline.drop);
  const p = compilePipeline(cfg.pipeline);
  const lines = [
    '10.0.0.1 - - [23/Nov/2026:12:00:00 +0000] "GET /metrics HTTP/1.1" 200 812 "-" "Prometheus/2.53"',
    'DEBUG: cache warmed',
    '10.0.0.1 - - [23/Nov/2026:12:00:00 +0000] "GET /actuator/health HTTP/1.1" 200 15',
    '10.0.0.1 - - [23/Nov/2026:12:00:00 +0000] "GET /actuator/health HTTP/1.1" 503 15',
    'order created',
  ];
  const out = p({ container: 'nginx' }).process(lines.map((line, i) => ({ ts: BigInt(i), line, stream: 'stdout' as const })));
  assert.deepEqual(out.streams[0]!.entries.map((e) => e.line), [lines[3], lines[4]]);
  assert.deepEqual([...out.dropped], [['metrics_scrape', 1], ['debug', 1], ['healthcheck', 1]]);
  const sidecar = p({ container: 'istio-proxy' }).process([{ ts: 1n, line: 'x', stream: 'stdout' }]);
  assert.equal(sidecar.dropped.get('sidecar'), 1);
});

test('the Java multiline example joins a Logback stack trace', () => {
  const block = blocks.find((b) => b.includes('multiline:'))!;
  const cfg = agentConfigSchema.parse({ host: 'h', ...(parse(block) as object) });
  const p = compilePipeline(cfg.pipeline)({ container: 'orders' });
  const trace = [
    '2026-11-23 12:00:00.123 ERROR 1 --- [nio-8080-exec-1] c.e.OrderController : failed',
    'java.lang.NullPointerException: null',
    '\tat com.example.OrderController.create(OrderController.java:31)',
    'Caused by: java.lang.IllegalStateException: x',
    '\t... 4 more',
  ];
  const out = p.process([...trace, '2026-11-23T12:00:01.000 INFO next'].map((line, i) => ({ ts: BigInt(i), line, stream: 'stdout' as const })));
  assert.deepEqual(out.streams[0]!.entries.map((e) => e.line), [trace.join('\n')]);
});
