/**
 * Relabel rules as a Prometheus/Promtail user writes them: every action, template expansion, and the
 * errors a bad rule gives when the agent starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline } from '../../../../src/agent/pipeline/pipeline.js';
import { compileRelabel } from '../../../../src/agent/pipeline/relabel.js';
import { agentConfigSchema, type AgentConfig } from '../../../../src/config/agent.js';
import type { Labels } from '../../../../src/api/model.js';

type Rules = AgentConfig['pipeline']['relabel'];

function rules(raw: unknown[]): Rules {
  return agentConfigSchema.parse({ host: 'h', pipeline: { relabel: raw } }).pipeline.relabel;
}

function relabel(raw: unknown[], labels: Labels): Labels | undefined {
  return compileRelabel(rules(raw))(labels);
}

/** The labels a source's entries are shipped with. */
function shippedLabels(raw: unknown[], target: Labels): Labels | undefined {
  const p = compilePipeline(agentConfigSchema.parse({ host: 'h', pipeline: { relabel: raw, detect_level: false } }).pipeline)(target);
  return p.process([{ ts: 1n, line: 'x', stream: 'stdout' }]).streams[0]?.labels;
}

const docker: Labels = {
  container: 'shop-api-1',
  image: 'shop/api:2.3',
  compose_service: 'api',
  __meta_docker_container_label_com_example_team: 'payments',
  __meta_docker_container_label_com_example_tier: 'backend',
};

test('replace adds a label from hidden metadata, with $1, ${1} and named groups', () => {
  assert.deepEqual(
    shippedLabels([{ source_labels: ['__meta_docker_container_label_com_example_team'], target_label: 'team' }], docker),
    { compose_service: 'api', container: 'shop-api-1', image: 'shop/api:2.3', stream: 'stdout', team: 'payments' },
  );
  assert.equal(relabel([{ source_labels: ['image'], regex: '([^:]+):(.*)', target_label: 'version', replacement: 'v${2}' }], docker)?.version, 'v2.3');
  assert.equal(relabel([{ source_labels: ['image'], regex: '(?P<repo>[^:]+):.*', target_label: 'repo', replacement: '${repo}' }], docker)?.repo, 'shop/api');
  assert.equal(relabel([{ source_labels: ['image'], regex: '(?P<repo>[^:]+):.*', target_label: 'repo', replacement: '$repo' }], docker)?.repo, 'shop/api');
  // Go's rule: `$1x` is the group named "1x" (empty), so the label is removed; `$$` is a dollar.
  assert.equal(relabel([{ source_labels: ['compose_service'], target_label: 'a', replacement: '$1x' }], docker)?.a, undefined);
  assert.equal(relabel([{ source_labels: ['compose_service'], target_label: 'a', replacement: '$$1-${1}' }], docker)?.a, '$1-api');
});

test('replace joins source labels with the separator, anchors the regex and leaves labels alone when it does not match', () => {
  const out = relabel([{ source_labels: ['compose_service', 'container'], separator: '/', regex: '(.*)/(.*)', target_label: 'job', replacement: '$1:$2' }], docker);
  assert.equal(out?.job, 'api:shop-api-1');
  // `api` alone does not match `ap` when anchored: nothing changes.
  assert.deepEqual(relabel([{ source_labels: ['compose_service'], regex: 'ap', target_label: 'x', replacement: 'y' }], docker), docker);
  // A missing source label is the empty string.
  assert.equal(relabel([{ source_labels: ['nope'], regex: '', target_label: 'empty_source', replacement: 'yes' }], docker)?.empty_source, 'yes');
});

test('replace with an empty result removes the target label; a constant sets it', () => {
  const out = relabel(
    [
      { source_labels: ['nope'], target_label: 'image' },
      { target_label: 'env', replacement: 'prod' },
    ],
    docker,
  );
  assert.equal(out?.image, undefined);
  assert.equal(out?.env, 'prod');
});

test('replace renames a label (copy, then drop the old one) and target_label may use groups', () => {
  const out = shippedLabels(
    [
      { source_labels: ['compose_service'], target_label: 'service' },
      { action: 'labeldrop', regex: 'compose_service' },
      { source_labels: ['container'], regex: '(shop)-.*', target_label: '${1}_container', replacement: 'yes' },
    ],
    docker,
  );
  assert.deepEqual(out, { container: 'shop-api-1', image: 'shop/api:2.3', service: 'api', shop_container: 'yes', stream: 'stdout' });
});

test('keep and drop discard whole entries, counted as relabel', () => {
  const cfg = agentConfigSchema.parse({
    host: 'h',
    pipeline: { relabel: [{ action: 'keep', source_labels: ['__meta_docker_container_label_com_example_tier'], regex: 'backend|db' }, { action: 'drop', source_labels: ['stream'], regex: 'stderr' }] },
  }).pipeline;
  const make = compilePipeline(cfg);
  const lines = [
    { ts: 1n, line: 'a', stream: 'stdout' as const },
    { ts: 2n, line: 'b', stream: 'stderr' as const },
  ];
  const kept = make(docker).process(lines);
  assert.deepEqual(kept.streams.map((s) => s.entries.map((e) => e.line)), [['a']]);
  assert.equal(kept.dropped.get('relabel'), 1);
  const frontend = make({ ...docker, __meta_docker_container_label_com_example_tier: 'frontend' }).process(lines);
  assert.equal(frontend.lines, 0);
  assert.equal(frontend.dropped.get('relabel'), 2);
});

test('labelmap copies hidden labels to visible names; labelkeep keeps only matching names', () => {
  assert.deepEqual(shippedLabels([{ action: 'labelmap', regex: '__meta_docker_container_label_com_example_(.+)' }], docker), {
    compose_service: 'api',
    container: 'shop-api-1',
    image: 'shop/api:2.3',
    stream: 'stdout',
    team: 'payments',
    tier: 'backend',
  });
  assert.deepEqual(shippedLabels([{ action: 'labelkeep', regex: 'container|stream' }], docker), { container: 'shop-api-1', stream: 'stdout' });
});

test('label values with quotes, newlines and unicode pass through relabelling intact', () => {
  const odd = { app: 'a"b\nc\\d', team: 'équipe "ünï"' };
  const out = shippedLabels([{ source_labels: ['app'], regex: '(.*)', target_label: 'copy' }], odd);
  assert.deepEqual(out, { app: odd.app, copy: odd.app, stream: 'stdout', team: odd.team });
});

test('a bad rule fails at start with a message naming it', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ source_labels: ['a'], regex: '(', target_label: 'x' }, /pipeline\.relabel\[0\]\.regex: error parsing regexp: missing closing \): `\(`/],
    [{ source_labels: ['a'], regex: '(a)\\1', target_label: 'x' }, /pipeline\.relabel\[0\]\.regex: error parsing regexp: invalid escape sequence: `\\1`/],
    [{ source_labels: ['a'] }, /pipeline\.relabel\[0\]: action replace needs target_label/],
    [{ source_labels: ['a'], target_label: 'bad-name' }, /pipeline\.relabel\[0\]\.target_label: "bad-name" is not a valid label name/],
    [{ action: 'labeldrop', source_labels: ['a'], regex: 'x' }, /pipeline\.relabel\[0\]: action labeldrop takes no source_labels/],
    [{ action: 'hashmod', source_labels: ['a'] }, /pipeline\.relabel\[0\]\.action: unknown action "hashmod" \(one of replace, keep, drop, labelmap, labeldrop, labelkeep\)/],
  ];
  for (const [rule, msg] of cases) {
    // Past the schema (as a programmatic caller could): the pipeline itself still refuses it.
    const cfg = { detect_level: true, drop_healthchecks: false, drop: [], multiline: [], relabel: [{ separator: ';', regex: '(.*)', replacement: '$1', source_labels: [], ...(rule as object)}] };
    assert.throws(() => compilePipeline(cfg as unknown as AgentConfig['pipeline']), msg);
  }
  // And the config file's schema names an unknown action too.
  assert.throws(() => agentConfigSchema.parse({ pipeline: { relabel: [{ action: 'hashmod' }] } }), /relabel/);
});
