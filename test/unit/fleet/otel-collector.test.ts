/**
 * The OpenTelemetry Collector configuration builder (issue #13). No Collector binary runs here (none
 * can be installed on these machines), so the honest stand-ins are:
 * - collector-schema.ts: each rendered component checked against the keys and types the Collector's
 *   components document (filelog and its operators, k8sattributes, transform, resource, filter,
 *   batch, memory_limiter, otlphttp), and every pipeline and operator reference resolved;
 * - collector-expr.ts: the conditions and statements evaluated with their documented semantics (Go
 *   RE2 via re2js), compared with the agent's own selector and relabel code on random inputs.
 * Seeds are printed; TEST_SEED replays them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { agentConfigSchema, type AgentConfig } from '../../../src/config/agent.js';
import { APP_LABELS as FLEET_APP_LABELS, renderCollectorConfig, sanitizeLabelName, type CollectorTarget } from '../../../src/fleet/otel-collector.js';
import { locate, parseRuleSelector, selectorCondition } from '../../../src/fleet/otel-attributes.js';
import { translateRelabel } from '../../../src/fleet/otel-relabel.js';
import { compileSelector } from '../../../src/agent/pipeline/selector.js';
import { compileRelabel } from '../../../src/agent/pipeline/relabel.js';
import { fieldOf } from '../../../src/agent/pipeline/timestamp.js';
import { otlpAttributeName } from '../../../src/agent/ship/otlp-request.js';
import { sanitizeLabelName as agentSanitize } from '../../../src/agent/discovery/label-name.js';
import { APP_LABELS } from '../../../src/agent/discovery/kubernetes.js';
import { run } from '../../../src/cli/dispatch.js';
import { seededRandom, type SeededRandom } from '../../helpers/random.js';
import { collectorProblems, type CollectorOperator } from './collector-schema.js';
import { compileCondition, compileStatement, unescapeConfig, type LogRecord } from './collector-expr.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const SERVER = 'https://logwharf.example:3100';

function settings(raw: Record<string, unknown>): AgentConfig {
  return agentConfigSchema.parse({ client: { url: SERVER }, ...raw });
}

/** Renders, checks against the documented settings, and returns the configuration as the Collector reads it ($$ → $). */
function render(raw: Record<string, unknown>, target: CollectorTarget = {}) {
  const r = renderCollectorConfig(settings(raw), target);
  const fromYaml = parse(r.yaml);
  assert.deepEqual(fromYaml, r.config, 'the YAML holds the configuration');
  assert.deepEqual(collectorProblems(fromYaml), [], r.yaml);
  // The only ${…} the Collector expands are the token references; every other $ is doubled.
  const lone = r.yaml.replace(/\$\$/g, '').replace(/\$\{(?:file|env):[^}]+\}/g, '');
  assert.ok(!lone.includes('$'), `an unescaped $ in:\n${r.yaml}`);
  return { ...r, cfg: unescapeConfig(fromYaml) as Any };
}

function ops(cfg: Any, receiver = 'filelog'): CollectorOperator[] {
  return cfg.receivers[receiver].operators ?? [];
}

/** The record the Collector would hold for a stream with these (agent) labels. */
function recordOf(labels: Record<string, string>, body = 'line'): LogRecord {
  const r: LogRecord = { body, attributes: {}, resource: {} };
  for (const [k, v] of Object.entries(labels)) {
    const loc = locate(k);
    (loc.scope === 'resource' ? r.resource : r.attributes)[loc.key] = v;
  }
  return r;
}

/** The labels back from a record (inverse of recordOf), as the agent would ship them: no empty values. */
function labelsOf(r: LogRecord, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const loc = locate(name);
    const v = (loc.scope === 'resource' ? r.resource : r.attributes)[loc.key];
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

test('the default agent settings: pod logs with the container operator, k8sattributes, batch, memory_limiter, otlphttp to <server>/otlp', () => {
  const { cfg, warnings } = render({});
  assert.deepEqual(cfg.receivers.filelog.include, ['/var/log/pods/*/*/*.log']);
  assert.equal(cfg.receivers.filelog.include_file_path, true, 'the container operator needs log.file.path');
  assert.deepEqual(ops(cfg)[0], { type: 'container', id: 'container-parser' });
  assert.equal(cfg.exporters.otlphttp.endpoint, `${SERVER}/otlp`);
  assert.deepEqual(cfg.service.pipelines.logs.processors, ['memory_limiter', 'k8sattributes', 'transform/labels', 'batch']);
  assert.equal(cfg.exporters.otlphttp.retry_on_failure.max_elapsed_time, '0s', 'retries until accepted, as the agent');
  assert.deepEqual(warnings, []);
});

test('docker.enabled auto reads Docker\'s log files on a host that is no Kubernetes node, and not beside the pod logs', () => {
  const host = render({ kubernetes: { enabled: false } });
  assert.deepEqual(Object.keys(host.cfg.receivers), ['filelog/docker']);
  assert.deepEqual(host.cfg.receivers['filelog/docker'].include, ['/var/lib/docker/containers/*/*-json.log']);
  assert.deepEqual(ops(host.cfg, 'filelog/docker')[0], { type: 'container', id: 'container-parser', format: 'docker', add_metadata_from_filepath: false });
  assert.ok(!host.cfg.processors.k8sattributes);
  assert.ok(host.warnings.some((w) => w.startsWith('docker:')));
  assert.deepEqual(Object.keys(render({}).cfg.receivers), ['filelog']);
});

test('the target: token from a file or the environment, tenant, CA; a push URL is cut back to the server', () => {
  const a = render({}, { server: `${SERVER}/loki/api/v1/push`, tokenFile: '/run/token', tenant: 'team-a', caFile: '/etc/ca.pem' }).cfg.exporters.otlphttp;
  assert.equal(a.endpoint, `${SERVER}/otlp`);
  assert.deepEqual(a.headers, { 'X-Scope-OrgID': 'team-a', Authorization: 'Bearer ${file:/run/token}' });
  assert.deepEqual(a.tls, { ca_file: '/etc/ca.pem' });
  const b = render({}, { server: 'http://h:3100/otlp/v1/logs', tokenEnv: 'LOGWHARF_TOKEN' }).cfg.exporters.otlphttp;
  assert.equal(b.endpoint, 'http://h:3100/otlp');
  assert.deepEqual(b.headers, { Authorization: 'Bearer ${env:LOGWHARF_TOKEN}' });
  // Falls back to the agent's own client settings.
  const c = render({ client: { url: 'http://s:3100', tenant_id: 't', bearer_token_file: '/tok', tls: { ca_file: '/ca', server_name: 'logs.internal' }, compression: 'gzip' } }).cfg.exporters.otlphttp;
  assert.deepEqual(c.headers, { 'X-Scope-OrgID': 't', Authorization: 'Bearer ${file:/tok}' });
  assert.deepEqual(c.tls, { ca_file: '/ca', server_name_override: 'logs.internal' });
  assert.equal(c.compression, 'gzip');
  // An inline token with a $ stays literal (doubled in the file).
  const d = renderCollectorConfig(settings({ client: { url: SERVER, bearer_token: 'a$b' } }));
  assert.match(d.yaml, /Authorization: Bearer a\$\$b/);
});

test('no server, a bad URL, an invalid regex or selector: a clear error naming the setting', () => {
  assert.throws(() => renderCollectorConfig(agentConfigSchema.parse({})), /no server to ship to/);
  assert.throws(() => renderCollectorConfig(settings({}), { server: 'ftp://x' }), /not an http/);
  assert.throws(() => renderCollectorConfig(settings({ pipeline: { drop: [{ line: '(' }] } })), /pipeline\.drop\[0\]\.line: error parsing regexp/);
  assert.throws(() => renderCollectorConfig(settings({ pipeline: { multiline: [{ first_line: 'a(?=b)' }] } })), /pipeline\.multiline\[0\]\.first_line: error parsing regexp/);
  assert.throws(() => renderCollectorConfig(settings({ pipeline: { drop: [{ selector: '{a=}' }] } })), /pipeline\.drop\[0\]\.selector/);
  assert.throws(() => renderCollectorConfig(settings({ pipeline: { relabel: [{ source_labels: ['a'], regex: '[' }] } })), /pipeline\.relabel\[0\]/);
  assert.throws(() => renderCollectorConfig(settings({ pipeline: { drop: [{}] } })), /needs a selector, a line regex or both/);
  assert.throws(() => renderCollectorConfig(settings({ kubernetes: { enabled: false }, docker: { enabled: false } })), /nothing to collect/);
  assert.throws(() => renderCollectorConfig(settings({}), { tokenFile: '/a}b' }), /token file "\/a}b" cannot be referenced/);
  assert.throws(() => renderCollectorConfig(settings({}), { tokenEnv: 'A-B' }), /not a variable name/);
});

test('drop rules the receiver can decide are filter operators before multiline joining; the rest go to the filter processor, with a warning', () => {
  const { cfg, warnings } = render({
    pipeline: {
      drop: [
        { selector: '{namespace="kube-system", stream="stdout"}', line: 'GET /metrics$' },
        { selector: '{node=~"n1|n2"}' },
        { line: '(?i)^debug' },
      ],
      multiline: [{ first_line: '^\\S' }],
    },
  });
  const kinds = ops(cfg).map((o) => `${o.type}:${o.id}`);
  assert.ok(kinds.indexOf('filter:drop-0') < kinds.indexOf('recombine:multiline-0'), kinds.join(' '));
  assert.ok(kinds.includes('filter:drop-2'));
  assert.ok(!kinds.includes('filter:drop-1'));
  const drop0 = compileCondition((ops(cfg).find((o) => o.id === 'drop-0') as Any).expr, 'stanza');
  assert.equal(drop0(recordOf({ namespace: 'kube-system', stream: 'stdout' }, 'x GET /metrics')), true);
  assert.equal(drop0(recordOf({ namespace: 'kube-system', stream: 'stderr' }, 'x GET /metrics')), false);
  assert.equal(drop0(recordOf({ namespace: 'kube-system', stream: 'stdout' }, 'GET /metrics?x')), false, 'the $ survived as an anchor');
  const [node] = cfg.processors.filter.logs.log_record.map((c: string) => compileCondition(c, 'ottl'));
  assert.equal(node(recordOf({ node: 'n2' })), true);
  assert.equal(node(recordOf({ node: 'n3' })), false);
  assert.equal(node(recordOf({})), false);
  assert.deepEqual(warnings, ['pipeline.drop[1]: its selector needs labels the filelog receiver does not have, so it runs in the filter processor, after multiline joining (the agent drops before joining)']);
});

test('labels a source does not have are missing for it, as in the agent: filename is a label of file targets only', () => {
  const { cfg } = render({ files: [{ paths: ['/var/log/app.log'], labels: { job: 'app' } }], pipeline: { drop: [{ selector: '{filename=~".+"}', line: 'x' }, { selector: '{job="app", namespace=""}' }] } });
  // Pods: the agent's pod streams have no filename or job, so neither rule applies there; the path is not shipped either.
  assert.deepEqual(ops(cfg).filter((o) => o.type === 'filter'), []);
  assert.ok(ops(cfg).some((o) => o.type === 'remove' && (o as Any).field === 'attributes["log.file.path"]'));
  // The file receiver decides both: the first on its path, the second statically.
  const fileOps = ops(cfg, 'filelog/files_0').filter((o) => o.type === 'filter') as Any[];
  assert.deepEqual(fileOps.map((o) => o.id), ['drop-0', 'drop-1']);
  assert.equal(fileOps[1].expr, 'true');
  const byPath = compileCondition(fileOps[0].expr, 'stanza');
  assert.equal(byPath({ body: 'x', attributes: { 'log.file.path': '/var/log/app.log' }, resource: {} }), true);
  assert.equal(byPath({ body: 'y', attributes: { 'log.file.path': '/var/log/app.log' }, resource: {} }), false);
});

test('multiline: the first rule whose selector matches applies (a router), stdout and stderr joined apart, the agent\'s limits', () => {
  const { cfg } = render({ pipeline: { multiline: [{ selector: '{container="java"}', first_line: '^\\d{4}-', max_lines: 50, max_wait: '2s' }, { selector: '{namespace=~"a|b"}', first_line: '^\\S' }] } });
  const o = ops(cfg);
  const router = o.find((x) => x.type === 'router') as Any;
  assert.deepEqual(router.routes.map((r: Any) => r.output), ['multiline-0', 'multiline-1']);
  assert.equal(router.default, 'multiline-end');
  const r0 = o.find((x) => x.id === 'multiline-0') as Any;
  assert.equal(r0.max_batch_size, 50);
  assert.equal(r0.force_flush_period, '2s');
  assert.equal(r0.max_unmatched_batch_size, 1, 'a line before any first line is an entry of its own');
  assert.equal(r0.overwrite_with, 'oldest', 'the joined entry keeps its first line\'s time');
  assert.equal(r0.source_identifier, 'attributes["logwharf.source"]');
  const add = o.find((x) => x.type === 'add') as Any;
  assert.match(add.value, /log\.file\.path.*log\.iostream/);
  assert.ok(o.some((x) => x.type === 'remove' && (x as Any).field === 'attributes["logwharf.source"]'), 'the helper attribute is removed');
  const first = compileCondition(r0.is_first_entry, 'stanza');
  assert.equal(first(recordOf({}, '2024-01-01 boom')), true);
  assert.equal(first(recordOf({}, '\tat x.y')), false);
  const route = compileCondition(router.routes[0].expr, 'stanza');
  assert.equal(route(recordOf({ container: 'java' })), true);
  assert.equal(route(recordOf({ container: 'go' })), false);
  // A {} rule needs no router.
  const plain = ops(render({ pipeline: { multiline: [{ first_line: '^\\S' }] } }).cfg);
  assert.ok(!plain.some((x) => x.type === 'router'));
});

test('timestamp rules: the field of a JSON or logfmt line parsed as the entry\'s time, the helper attribute removed; max_skew is a warning', () => {
  const { cfg, warnings } = render({ pipeline: { timestamp: [{ source: 'ts', format: 'RFC3339Nano' }, { selector: '{container="x"}', source: 'time', format: 'UnixMs' }] } });
  const parser = ops(cfg).find((o) => o.type === 'regex_parser') as Any;
  assert.deepEqual(parser.timestamp, { parse_from: 'attributes.logwharf_time', layout_type: 'gotime', layout: '2006-01-02T15:04:05Z07:00' });
  assert.equal(parser.on_error, 'send_quiet', 'a line without the field keeps the read time');
  const re = compileRe2Named(parser.regex);
  assert.equal(re('{"level":"info","ts":"2024-05-01T10:00:00.123Z","msg":"x"}'), '2024-05-01T10:00:00.123Z');
  assert.equal(re('level=info ts=2024-05-01T10:00:00Z msg="a b"'), '2024-05-01T10:00:00Z');
  assert.equal(re('level=info ts="2024-05-01T10:00:00Z"'), '2024-05-01T10:00:00Z');
  assert.equal(re('no time here; its=1'), undefined);
  // The {} rule always applies, so the second is never reached: no router at all (the agent's first-match rule).
  assert.ok(!ops(cfg).some((o) => o.type === 'router'));
  assert.ok(warnings.some((w) => w.includes('max_skew')));
  const unix = render({ pipeline: { timestamp: [{ selector: '{container="x"}', source: 't', format: 'Unix' }] } });
  const up = ops(unix.cfg).find((o) => o.type === 'regex_parser') as Any;
  assert.equal(compileRe2Named(up.regex)('{"t": 1700000000.25}'), '1700000000');
  assert.deepEqual(up.timestamp, { parse_from: 'attributes.logwharf_time', layout_type: 'epoch', layout: 's' });
  assert.ok(unix.warnings.some((w) => w.includes('decimal fraction')));
});

test('timestamp fields: the rendered pattern finds the value the agent finds in flat JSON and logfmt lines', () => {
  const lines = [
    '{"ts":"2024-05-01T10:00:00.123456789Z","level":"info"}',
    '{"level":"info", "ts" : "2024-05-01T10:00:00+02:00", "msg":"a, b"}',
    '{"msg":"x","ts":"2024-05-01T10:00:00Z"}',
    'ts=2024-05-01T10:00:00Z level=info msg="hello world"',
    'level=warn ts="2024-05-01T10:00:00.5Z" caller=main.go:12',
    'level=info msg=no-time',
    '{"level":"info"}',
    'plain text line',
  ];
  for (const [source, format] of [['ts', 'RFC3339'], ['ts', 'RFC3339Nano']] as const) {
    const { cfg } = render({ pipeline: { timestamp: [{ source, format }] } });
    const extract = compileRe2Named((ops(cfg).find((o) => o.type === 'regex_parser') as Any).regex);
    for (const line of lines) assert.equal(extract(line), fieldOf(line, source), line);
  }
  const unix = render({ pipeline: { timestamp: [{ source: 'time', format: 'UnixMs' }] } }).cfg;
  const extractUnix = compileRe2Named((ops(unix).find((o) => o.type === 'regex_parser') as Any).regex);
  for (const line of ['{"time":1714557600123,"msg":"x"}', 'time=1714557600123 msg=x', '{"time": "1714557600123"}']) assert.equal(extractUnix(line), fieldOf(line, 'time'), line);
});

function compileRe2Named(pattern: string): (line: string) => string | undefined {
  // Go syntax (?P<name>…) through the same RE2 port the conditions use.
  return (line) => {
    const m = reCache(pattern).exec(line);
    return m?.groups?.logwharf_time;
  };
}
import { compileRe2 } from '../../../src/logql/regex.js';
const reCache = (p: string) => compileRe2(p);

test('host: when the agent configuration names it, file and Docker streams carry it (host.name) and selectors on it are decided', () => {
  const { cfg, warnings } = render({ host: 'web-7', kubernetes: { enabled: false }, files: [{ paths: ['/a.log'] }, { paths: ['/b.log'], labels: { host: 'other' } }], pipeline: { drop: [{ selector: '{host="web-7"}', line: 'x' }] } });
  assert.deepEqual(cfg.receivers['filelog/files_0'].resource, { 'host.name': 'web-7' });
  assert.deepEqual(cfg.receivers['filelog/files_1'].resource, { 'host.name': 'other' }, 'a file\'s own label wins');
  assert.deepEqual(cfg.receivers['filelog/docker'].resource, { 'host.name': 'web-7' });
  assert.deepEqual(ops(cfg, 'filelog/files_0').filter((o) => o.type === 'filter').map((o) => (o as Any).expr), ['body matches "x"']);
  assert.deepEqual(ops(cfg, 'filelog/files_1').filter((o) => o.type === 'filter'), []);
  assert.ok(!warnings.some((w) => /host/.test(w)), warnings.join('\n'));
  assert.ok(render({ files: [{ paths: ['/a.log'] }] }).warnings.some((w) => w.startsWith('files: their streams have no host label')));
});

test('external labels: a resource processor that inserts (a stream\'s own label wins); relabel as transform statements', () => {
  const { cfg } = render({ client: { url: SERVER, external_labels: { cluster: 'prod', namespace: 'fallback' } } });
  assert.deepEqual(cfg.processors.resource.attributes, [
    { key: 'cluster', value: 'prod', action: 'insert' },
    { key: 'k8s.namespace.name', value: 'fallback', action: 'insert' },
  ]);
  const order = cfg.service.pipelines.logs.processors;
  assert.ok(order.indexOf('transform/labels') < order.indexOf('resource'), 'relabel before external labels, as in the agent');
  // A selector on an external label is decided statically only where the source has no label of that name.
  const sel = render({ client: { url: SERVER, external_labels: { cluster: 'prod', namespace: 'fallback', node: 'n0' } }, files: [{ paths: ['/a.log'] }], pipeline: { drop: [{ selector: '{namespace="fallback"}', line: 'a' }, { selector: '{cluster="prod"}', line: 'b' }, { selector: '{node="n0"}', line: 'c' }] } });
  const pods = ops(sel.cfg).filter((o) => o.type === 'filter') as Any[];
  assert.deepEqual(pods.map((o) => o.id), ['drop-0', 'drop-1']);
  assert.equal(compileCondition(pods[0].expr, 'stanza')(recordOf({ namespace: 'fallback' }, 'a')), true);
  assert.equal(compileCondition(pods[0].expr, 'stanza')(recordOf({ namespace: 'shop' }, 'a')), false, 'the pod\'s own namespace wins');
  assert.equal(pods[1].expr, 'body matches "b"');
  // node comes from k8sattributes: the rule waits for the filter processor, where the external label is an attribute.
  const nodeCond = compileCondition(sel.cfg.processors.filter.logs.log_record[0], 'ottl');
  assert.equal(nodeCond(recordOf({ node: 'n0' }, 'c')), true);
  assert.equal(nodeCond(recordOf({ node: 'n1' }, 'c')), false);
  const files = ops(sel.cfg, 'filelog/files_0').filter((o) => o.type === 'filter') as Any[];
  assert.deepEqual(files.map((o) => o.expr), ['body matches "a"', 'body matches "b"'], 'file streams have no namespace: the external one is theirs');
});

test('the agent\'s app label: the first of its pod labels, from k8sattributes through the transform', () => {
  const { cfg } = render({ kubernetes: { pod_labels: ['team'] } });
  const extract = cfg.processors.k8sattributes.extract.labels;
  assert.deepEqual(extract[0], { tag_name: 'team', key: 'team', from: 'pod' });
  const stmts = cfg.processors['transform/labels'].log_statements[0].statements.map(compileStatement);
  const apply = (podLabels: Record<string, string>) => {
    const r: LogRecord = { body: '', attributes: {}, resource: {} };
    for (const e of extract) if (podLabels[e.key] !== undefined) r.resource[e.tag_name] = podLabels[e.key]!;
    for (const s of stmts) s(r);
    return r.resource;
  };
  assert.deepEqual(apply({ 'app.kubernetes.io/name': 'shop', app: 'old', team: 'a' }), { app: 'shop', team: 'a' });
  // What the container operator takes from the path and the agent does not ship is removed.
  const r: LogRecord = { body: '', attributes: {}, resource: { 'k8s.pod.uid': 'u1', 'k8s.container.restart_count': '0', 'k8s.pod.name': 'p' } };
  for (const s of stmts) s(r);
  assert.deepEqual(r.resource, { 'k8s.pod.name': 'p' });
  assert.deepEqual(apply({ name: 'n', 'k8s-app': 'dns' }), { app: 'dns' });
  assert.deepEqual(apply({}), {});
});

test('what cannot be translated is a warning and a comment, never dropped in silence', () => {
  const r = renderCollectorConfig(
    settings({
      client: { url: SERVER, basic_auth: { username: 'u', password: 'p' } },
      docker: { enabled: true, container_labels: ['com.example.team'] },
      buffer: { enabled: true },
      files: [{ paths: ['/var/log/app.log'] }],
      pipeline: {
        drop_healthchecks: true,
        drop: [{ selector: '{host="a"}' }],
        relabel: [
          { action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' },
          { source_labels: ['__meta_docker_container_label_team'], target_label: 'team' },
          { source_labels: ['namespace', 'pod'], target_label: 'np' },
          { action: 'labelkeep', regex: 'namespace|pod' },
          { action: 'labeldrop', regex: 'image.*' },
          { target_label: '${1}x', replacement: 'v' },
          { action: 'drop', source_labels: ['team'], regex: 'x' },
          { source_labels: ['pod'], target_label: 'team' },
        ],
      },
    }),
  );
  const expected = [
    /pipeline\.relabel\[0\] \(labelmap\): not translated/,
    /pipeline\.relabel\[1\] \(replace\): not translated: the Collector has no attribute for __meta_docker_container_label_team/,
    /pipeline\.relabel\[3\] \(labelkeep\): not translated/,
    /pipeline\.relabel\[4\] \(labeldrop\): not translated/,
    /pipeline\.relabel\[5\] \(replace\): not translated: target_label .* is a template/,
    /^docker: the filelog receiver reads Docker's json-file logs without the Engine API/,
    /^docker\.container_labels: not translated/,
    /^files: their streams have no host label/,
    /pipeline\.drop\[0\]: label "host" is derived by the agent but not by the Collector/,
    /^pipeline\.drop_healthchecks: not translated/,
    /^client\.basic_auth: not translated/,
    /^buffer\.enabled: not translated/,
  ];
  for (const re of expected) assert.ok(r.warnings.some((w) => re.test(w)), `${re} in ${JSON.stringify(r.warnings, null, 1)}`);
  assert.equal(r.warnings.length, expected.length, JSON.stringify(r.warnings, null, 1));
  // Each one is in the YAML's header comment too.
  for (const w of r.warnings) assert.ok(r.yaml.includes(`# WARNING: ${w}`), w);
  assert.deepEqual(collectorProblems(parse(r.yaml)), []);
});

test('the label tables agree with the agent\'s: OTLP names, sanitised pod label names, app labels', () => {
  for (const label of ['namespace', 'pod', 'container', 'node', 'service_name', 'host']) {
    assert.equal(locate(label).key, otlpAttributeName(label, true), label);
  }
  for (const name of ['app.kubernetes.io/name', '9lives', 'com.example/team', 'plain_1']) assert.equal(sanitizeLabelName(name), agentSanitize(name));
  assert.deepEqual([...FLEET_APP_LABELS], [...APP_LABELS]);
});

// ---------------------------------------------------------------------------------------------
// Random inputs, compared with the agent's own code.

const NAMES = ['namespace', 'pod', 'container', 'stream', 'filename', 'node', 'team', 'job'] as const;
const VALUES = ['', 'a', 'b', 'web-1', 'kube-system', 'a\nb', 'x$y', 'quo"te', 'back\\slash'];
const REGEXES = ['a', '.*', '.+', 'a|b', 'web-.*', '(?i)A', 'kube-.+', '', 'x\\$y', '[a-c]+', 'a\\nb|b', '.*"te'];

function pick<T>(rnd: SeededRandom, xs: readonly T[]): T {
  return xs[rnd.int(xs.length)]!;
}

function randomLabels(rnd: SeededRandom, names: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const n of names) if (rnd.next() < 0.6) labels[n] = pick(rnd, VALUES.filter((v) => v !== ''));
  return labels;
}

function randomSelector(rnd: SeededRandom, names: readonly string[]): string {
  const n = rnd.int(3);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const op = pick(rnd, ['=', '!=', '=~', '!~']);
    const value = op.includes('~') ? pick(rnd, REGEXES) : pick(rnd, VALUES);
    parts.push(`${pick(rnd, names)}${op}${JSON.stringify(value)}`);
  }
  return `{${parts.join(', ')}}`;
}

test('selectors: the rendered conditions (receiver and processor stage) decide as the agent does, on random selectors and streams', (t) => {
  const rnd = seededRandom(t);
  const receiverNames = ['namespace', 'pod', 'container', 'stream', 'filename'];
  let compared = 0;
  for (let i = 0; i < 600; i++) {
    const processor = i % 2 === 0;
    const names = processor ? NAMES : receiverNames;
    const text = randomSelector(rnd, names);
    const agent = compileSelector(text, 'test');
    const matchers = parseRuleSelector(text, 'test');
    const cond = selectorCondition(matchers, processor ? { lang: 'ottl', staticLabels: {}, changed: () => false, receiverOnly: false } : { lang: 'stanza', staticLabels: {}, changed: () => false, receiverOnly: true });
    assert.notEqual(cond.kind, 'unsupported', text);
    const evaluate = cond.kind === 'const' ? () => cond.value : compileCondition(cond.kind === 'expr' ? cond.text : '', processor ? 'ottl' : 'stanza');
    for (let j = 0; j < 8; j++) {
      const labels = randomLabels(rnd, names);
      assert.equal(evaluate(recordOf(labels)), agent(labels), `${text} on ${JSON.stringify(labels)} (${cond.kind === 'expr' ? cond.text : cond.kind})`);
      compared++;
    }
  }
  t.diagnostic(`${compared} selector decisions compared`);
});

test('drop rules end to end: receiver filter operators plus the filter processor drop exactly the lines the agent drops, on random rules, external labels and streams', (t) => {
  const rnd = seededRandom(t);
  const names = ['namespace', 'pod', 'container', 'stream', 'node', 'job', 'team', 'cluster', 'filename'];
  const lines = ['GET /healthz', 'error: boom', 'a', 'debug x$y', ''];
  let compared = 0;
  for (let i = 0; i < 150; i++) {
    const external: Record<string, string> = {};
    for (const [k, v] of [['cluster', 'c1'], ['namespace', 'ext'], ['node', 'n0'], ['job', 'j']] as const) if (rnd.next() < 0.3) external[k] = v;
    const fileLabels: Record<string, string> = {};
    if (rnd.next() < 0.5) fileLabels.job = 'app';
    if (rnd.next() < 0.5) fileLabels.team = 'a';
    const drop = Array.from({ length: 1 + rnd.int(3) }, () => {
      const rule: Record<string, unknown> = {};
      if (rnd.next() < 0.8) rule.selector = randomSelector(rnd, names);
      if (!rule.selector || rnd.next() < 0.5) rule.line = pick(rnd, ['^GET ', 'error', '(?i)DEBUG', 'x\\$y', '^$']);
      return rule;
    });
    const raw = { host: 'h1', client: { url: SERVER, external_labels: external }, files: [{ paths: ['/f.log'], labels: fileLabels }], pipeline: { drop } };
    const { cfg } = render(raw);
    const agentRules = agentConfigSchema.parse(raw).pipeline.drop.map((r) => ({ sel: r.selector ? compileSelector(r.selector, 't') : () => true, line: r.line ? compileRe2(r.line) : undefined }));
    const processorConds = ((cfg.processors.filter?.logs.log_record ?? []) as string[]).map((c) => compileCondition(c, 'ottl'));
    const receiverConds = (name: string) => ops(cfg, name).filter((o) => o.type === 'filter').map((o) => compileCondition((o as Any).expr, 'stanza'));
    const insertExternal = (r: LogRecord) => {
      for (const [k, v] of Object.entries(external)) {
        const loc = locate(k);
        const m = loc.scope === 'resource' ? r.resource : r.attributes;
        if (!Object.hasOwn(m, loc.key)) m[loc.key] = v;
      }
    };
    for (let j = 0; j < 10; j++) {
      const body = pick(rnd, lines);
      const pod = rnd.next() < 0.5;
      // The agent's target labels for the stream, and the Collector's record at the receiver.
      const target: Record<string, string> = pod
        ? { namespace: pick(rnd, ['shop', 'ext', 'kube-system']), pod: pick(rnd, ['web-1', 'a']), container: pick(rnd, ['a', 'b']), node: pick(rnd, ['n0', 'n1']), stream: pick(rnd, ['stdout', 'stderr']) }
        : { host: 'h1', ...fileLabels, filename: '/f.log' };
      const receiverRecord: LogRecord = pod
        ? { body, attributes: { 'log.iostream': target.stream!, 'log.file.path': '/var/log/pods/x/y/0.log' }, resource: { 'k8s.namespace.name': target.namespace!, 'k8s.pod.name': target.pod!, 'k8s.container.name': target.container! } }
        : { body, attributes: { 'log.file.path': '/f.log' }, resource: Object.fromEntries(Object.entries({ host: 'h1', ...fileLabels }).map(([k, v]) => [locate(k).key, v])) };
      const finalLabels = { ...external, ...target };
      const agentDrops = agentRules.some((r) => r.sel(finalLabels) && (!r.line || r.line.test(body)));
      const inReceiver = receiverConds(pod ? 'filelog' : 'filelog/files_0').some((c) => c(receiverRecord));
      // Past the receiver: k8sattributes adds the node, the path of a pod's file is gone, external labels are inserted.
      const processed: LogRecord = { body, attributes: { ...receiverRecord.attributes }, resource: { ...receiverRecord.resource } };
      if (pod) {
        processed.resource['k8s.node.name'] = target.node!;
        delete processed.attributes['log.file.path'];
      }
      insertExternal(processed);
      const inProcessor = processorConds.some((c) => c(processed));
      assert.equal(inReceiver || inProcessor, agentDrops, `${JSON.stringify(raw)} on ${JSON.stringify(finalLabels)} ${JSON.stringify(body)}`);
      compared++;
    }
  }
  t.diagnostic(`${compared} drop decisions compared`);
});

function randomRule(rnd: SeededRandom): Record<string, unknown> {
  const action = pick(rnd, ['replace', 'replace', 'replace', 'keep', 'drop', 'labeldrop']);
  const src = pick(rnd, NAMES);
  switch (action) {
    case 'replace': {
      const rule: Record<string, unknown> = { target_label: pick(rnd, ['team', 'env', 'namespace', 'job']), regex: pick(rnd, ['(.*)', '(.+)', 'web-(.*)', '(?P<x>[a-z]+)-([0-9])', 'a|b', '(.*)', '']) };
      const n = rnd.next();
      if (n < 0.6) rule.source_labels = [src];
      else if (n < 0.85) rule.source_labels = [src, pick(rnd, NAMES)];
      if (rnd.next() < 0.2) rule.separator = pick(rnd, ['', '/', '$']);
      rule.replacement = pick(rnd, ['$1', '${1}', 'fixed', '', '${x}-$2', '$1x', '$$lit', 'pre-$1']);
      return rule;
    }
    case 'labeldrop':
      return { action, regex: pick(rnd, ['team', 'job|env', 'namespace']) };
    default:
      return { action, source_labels: rnd.next() < 0.7 ? [src] : [src, pick(rnd, NAMES)], regex: pick(rnd, [...REGEXES, 'a;b', ';.*', '.*;kube-.*']) };
  }
}

test('relabel: the rendered statements and filter conditions give the labels (or the drop) the agent gives, on random rules and streams', (t) => {
  const rnd = seededRandom(t);
  let compared = 0;
  for (let i = 0; i < 300; i++) {
    const rules = Array.from({ length: 1 + rnd.int(4) }, () => randomRule(rnd));
    const parsed = agentConfigSchema.parse({ pipeline: { relabel: rules } }).pipeline.relabel;
    if (translateRelabel(parsed).warnings.length > 0) continue; // the untranslated cases are asserted above
    // Through the whole builder and the YAML, read back as the Collector reads it ($$ → $). No pod
    // metadata (api_url ""), so the transform holds the relabel statements alone.
    const { cfg } = render({ kubernetes: { api_url: '' }, pipeline: { relabel: rules } });
    const statements = ((cfg.processors['transform/labels']?.log_statements[0].statements ?? []) as string[]).map(compileStatement);
    const drops = ((cfg.processors.filter?.logs.log_record ?? []) as string[]).map((c) => compileCondition(c, 'ottl'));
    const agent = compileRelabel(parsed);
    for (let j = 0; j < 6; j++) {
      const labels = randomLabels(rnd, NAMES);
      const expected = agent(labels);
      const r = recordOf(labels);
      for (const s of statements) s(r);
      const dropped = drops.some((d) => d(r));
      const where = `${JSON.stringify(rules)} on ${JSON.stringify(labels)}`;
      if (expected === undefined) assert.ok(dropped, `agent drops: ${where}`);
      else {
        assert.ok(!dropped, `agent keeps: ${where}`);
        const names = [...new Set([...NAMES, 'env'])];
        const want = Object.fromEntries(Object.entries(expected).filter(([k, v]) => v !== '' && !k.startsWith('__')));
        assert.deepEqual(labelsOf(r, names), want, where);
      }
      compared++;
    }
  }
  assert.ok(compared > 500, `only ${compared} comparisons`);
  t.diagnostic(`${compared} relabel outcomes compared`);
});

test('random agent configurations render to configurations the Collector\'s documented settings accept', (t) => {
  const rnd = seededRandom(t);
  for (let i = 0; i < 150; i++) {
    const raw: Record<string, unknown> = {
      client: { url: SERVER, ...(rnd.next() < 0.3 ? { external_labels: { cluster: 'c1', [pick(rnd, NAMES)]: 'x$1' } } : {}), ...(rnd.next() < 0.3 ? { tenant_id: 'tenant$' } : {}) },
      kubernetes: { enabled: pick(rnd, ['auto', 'true', 'false']), ...(rnd.next() < 0.3 ? { api_url: '' } : {}), ...(rnd.next() < 0.3 ? { pod_labels: ['team', 'app.kubernetes.io/part-of'] } : {}) },
      docker: { enabled: pick(rnd, ['auto', 'true', 'false']) },
      files: rnd.next() < 0.5 ? [{ paths: ['/var/log/*.log'], labels: { job: pick(rnd, VALUES.filter(Boolean)) } }, { paths: ['/srv/$app/*.log'], exclude: ['*.gz'] }] : [],
      pipeline: {
        drop_healthchecks: rnd.next() < 0.2,
        drop: Array.from({ length: rnd.int(4) }, () => (rnd.next() < 0.3 ? { line: pick(rnd, REGEXES.filter(Boolean)) } : { selector: randomSelector(rnd, NAMES), ...(rnd.next() < 0.5 ? { line: pick(rnd, REGEXES.filter(Boolean)) } : {}) })),
        relabel: Array.from({ length: rnd.int(4) }, () => randomRule(rnd)),
        multiline: Array.from({ length: rnd.int(3) }, () => ({ selector: randomSelector(rnd, NAMES), first_line: pick(rnd, ['^\\S', '^\\d{4}-', '^[^\\s]', '^$']) })),
        timestamp: Array.from({ length: rnd.int(3) }, () => ({ selector: randomSelector(rnd, NAMES), source: pick(rnd, ['ts', 'time', '@t', 'a.b']), format: pick(rnd, ['RFC3339', 'RFC3339Nano', 'Unix', 'UnixMs', 'UnixUs', 'UnixNs']) })),
      },
    };
    const k8s = (raw.kubernetes as Any).enabled !== 'false';
    const docker = (raw.docker as Any).enabled === 'true' || ((raw.docker as Any).enabled === 'auto' && !k8s);
    if (!k8s && !docker && (raw.files as unknown[]).length === 0) {
      assert.throws(() => renderCollectorConfig(settings(raw)), /nothing to collect/);
      continue;
    }
    const r = render(raw, rnd.next() < 0.5 ? { tokenFile: '/run/t', tenant: 'x' } : {});
    // Every condition and statement is in the evaluated subset (parses), every operator regex compiles.
    for (const [name, rcv] of Object.entries(r.cfg.receivers) as Array<[string, Any]>) {
      for (const op of (rcv.operators ?? []) as Any[]) {
        if (op.type === 'filter') compileCondition(op.expr, 'stanza');
        if (op.type === 'router') for (const route of op.routes) compileCondition(route.expr, 'stanza');
        if (op.type === 'recombine') compileCondition(op.is_first_entry, 'stanza');
        if (op.type === 'regex_parser') compileRe2(op.regex);
        assert.ok(typeof op.id === 'string', name);
      }
    }
    for (const c of r.cfg.processors.filter?.logs.log_record ?? []) compileCondition(c, 'ottl');
    for (const s of r.cfg.processors['transform/labels']?.log_statements[0].statements ?? []) compileStatement(s);
  }
});

// ---------------------------------------------------------------------------------------------
// The command line.

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[]): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const code = await run(argv, { stdout, stderr, stdin: Readable.from(['']), signal: new AbortController().signal });
  return { code, stdout: out, stderr: err };
}

test('logwharf fleet render-otel FILE prints the Collector YAML, warnings on stderr; bad input is refused with exit code 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'render-otel-'));
  try {
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, ['client:', '  url: http://logs:3100', 'pipeline:', '  drop_healthchecks: true', '  drop:', '    - selector: \'{namespace="dev"}\'', '      line: "^DEBUG"', ''].join('\n'));
    const r = await cli(['fleet', 'render-otel', file, '--token-file', '/var/run/token', '--tenant', 'ops', '--ca-file', '/ca.pem']);
    assert.equal(r.code, 0, r.stderr);
    const cfg = parse(r.stdout);
    assert.deepEqual(collectorProblems(cfg), []);
    assert.equal(cfg.exporters.otlphttp.endpoint, 'http://logs:3100/otlp');
    assert.deepEqual(cfg.exporters.otlphttp.headers, { 'X-Scope-OrgID': 'ops', Authorization: 'Bearer ${file:/var/run/token}' });
    assert.equal(cfg.exporters.otlphttp.tls.ca_file, '/ca.pem');
    assert.ok(cfg.receivers.filelog.operators.some((o: Any) => o.type === 'filter' && o.id === 'drop-0'));
    assert.match(r.stderr, /^warning: pipeline\.drop_healthchecks: not translated/m);
    const over = await cli(['fleet', 'render-otel', file, '--server', 'https://other:3100']);
    assert.equal(parse(over.stdout).exporters.otlphttp.endpoint, 'https://other:3100/otlp');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'pipeline:\n  drop:\n    - line: "("\n');
    const cases: Array<[string[], RegExp]> = [
      [['fleet', 'render-otel'], /name the agent configuration file/],
      [['fleet', 'render-otel', join(dir, 'missing.yaml')], /cannot read config file/],
      [['fleet', 'render-otel', bad, '--server', 'http://x:1'], /pipeline\.drop\[0\]\.line: error parsing regexp/],
      [['fleet', 'render-otel', bad], /no server to ship to/],
      [['fleet', 'render-otel', file, '--server', 'logs:3100'], /--server "logs:3100" is not an http/],
      [['fleet', 'render-otel', file, '--token-file', 'a', '--token-env', 'B'], /exclusive/],
      [['fleet', 'render-otel', file, '--token-env', 'not a name'], /not an environment variable name/],
      [['fleet', 'render-otel', file, '--bogus'], /Unknown option '--bogus'/],
      [['fleet', 'nope'], /unknown subcommand "nope"/],
    ];
    writeFileSync(join(dir, 'unknown.yaml'), 'clinet: {}\n');
    cases.push([['fleet', 'render-otel', join(dir, 'unknown.yaml')], /clinet/]);
    for (const [argv, re] of cases) {
      const res = await cli(argv);
      assert.equal(res.code, 2, `${argv.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, re, argv.join(' '));
      assert.equal(res.stdout, '');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
