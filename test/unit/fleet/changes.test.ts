/**
 * What an operator's change goes through before anything is stored or offered: the remote
 * configuration checked against the agent's own schema with the keys it may not change refused (with
 * line numbers), selectors parsed and ties refused, one rollout per configuration, a declarative
 * re-apply, and rollback as a new version. Through the real fleet on a temporary fleet.db.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createFleet, type Fleet } from '../../../src/fleet/fleet.js';
import { checkRemoteConfig } from '../../../src/fleet/remote-config.js';
import { parseCanary, parseSelector } from '../../../src/api/fleet.js';
import { overlapping, winningConfig } from '../../../src/fleet/selector.js';
import { SimAgent } from '../../helpers/fleet-agents.js';

function fleetIn(t: TestContext): Fleet {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-fleet-'));
  const fleet = createFleet({ staleAfterMs: 30_000, defaultWindowMs: 30_000, applyTimeoutMs: 60_000 }, { dataDir: dir });
  fleet.start();
  t.after(() => (fleet.close(), rmSync(dir, { recursive: true, force: true })));
  return fleet;
}

test('a remote configuration the agent would reject is refused, naming the key and its line', () => {
  const cases: Array<[string, RegExp]> = [
    ['pipeline:\n  drop: [\n', /not valid YAML: .*line 3, column 1/],
    ['- a\n- b\n', /must be a YAML mapping/],
    ['client:\n  url: http://x:3100\ndata: /tmp/elsewhere\n', /line 3: data: a remote configuration may not set this key \(the data directory/],
    ['metrics_listen: 0.0.0.0:1\n', /line 1: metrics_listen: a remote configuration may not set/],
    ['log_level: debug\n', /line 1: log_level: a remote configuration may not set/],
    ['kubernetes:\n  token_file: /tmp/t\n', /line 2: kubernetes.token_file: a remote configuration may not set/],
    ['control:\n  server: http://evil\n', /line 1: control: .*control plane's settings/],
    ['client:\n  batch_size: 10\n  bearer_token: s3cret\n', /line 3: client\.bearer_token: .*credentials/],
    ['client:\n  bearer_token_file: /t\n', /client\.bearer_token_file/],
    ['client:\n  basic_auth: {username: u}\n', /client\.basic_auth/],
    ['client:\n  tls: {insecure_skip_verify: true}\n', /client\.tls/],
    ['pipeline:\n  drop_healthchecks: yes please\n', /line 2: pipeline\.drop_healthchecks: /],
    ['pipline:\n  drop: []\n', /line 1: pipline: unknown key/],
    ['client:\n  url: ftp://x\n', /line 2: client\.url: an http:\/\/ or https:\/\/ URL/],
    ['pipeline:\n  drop:\n    - line: "(unclosed"\n', /line 3: pipeline\.drop\.0\.line: error parsing regexp/],
    ['pipeline:\n  drop:\n    - selector: "{app=}"\n', /line 3: pipeline\.drop\.0\.selector: /],
    ['pipeline:\n  relabel:\n    - regex: "a(?=b)"\n      target_label: x\n', /pipeline\.relabel\.0\.regex: error parsing regexp/],
  ];
  for (const [body, want] of cases) assert.throws(() => checkRemoteConfig(body), (e: Error) => want.test(e.message) || assert.fail(`${JSON.stringify(body)}: ${e.message}`));
  // What may change: the destination, the pipeline, discovery; defaults fill the rest.
  const ok = checkRemoteConfig('client:\n  url: https://loki.example:3100\n  batch_wait: 1s\npipeline:\n  drop:\n    - selector: "{}"\n      line: healthz\n');
  assert.equal(ok.client.url, 'https://loki.example:3100');
  assert.equal(ok.data, './agent-data', 'the default, which the local file overrides');
  assert.equal(checkRemoteConfig('').client.output, 'loki', 'an empty configuration is valid');
});

test('selectors and canaries: parsed strictly; the most specific selector wins', () => {
  assert.deepEqual(parseSelector('cluster=eu-1, role=web'), { cluster: 'eu-1', role: 'web' });
  assert.deepEqual(parseSelector(''), {});
  for (const bad of ['zone=a', 'host', 'host=', 'host=a,host=b', '=a']) assert.throws(() => parseSelector(bad), /invalid selector/, bad);
  assert.deepEqual(parseCanary('2'), { count: 2 });
  assert.deepEqual(parseCanary('12.5%'), { percent: 12.5 });
  for (const bad of ['0', '0%', '101%', '-1', 'one', '', '5 %']) assert.throws(() => parseCanary(bad), /invalid canary/, bad);
  const configs = [
    { name: 'all', selector: {} },
    { name: 'eu', selector: { cluster: 'eu' } },
    { name: 'eu-web', selector: { cluster: 'eu', role: 'web' } },
  ];
  const agent = (cluster: string, role: string) => ({ host: 'h', cluster, role, type: 'logwharf-agent' });
  assert.equal(winningConfig(configs, agent('eu', 'web'))?.name, 'eu-web');
  assert.equal(winningConfig(configs, agent('eu', 'db'))?.name, 'eu');
  assert.equal(winningConfig(configs, agent('us', 'web'))?.name, 'all');
});

test('apply: ties refused, Collector configurations without a server URL refused, one rollout at a time, a re-apply changes nothing', async (t) => {
  const fleet = fleetIn(t);
  const a = new SimAgent(fleet.controller, { host: 'n1', cluster: 'eu', role: 'web' });
  a.policy = 'ignore';
  await a.hello();
  const first = fleet.apply({ name: 'eu', body: 'pipeline: {detect_level: false}\n', selector: 'cluster=eu', author: 't' });
  assert.equal(first.rollout?.state, 'running');
  assert.throws(() => fleet.apply({ name: 'web', body: '{}', selector: 'role=web', author: 't' }), /ties with configuration "eu" \("cluster=eu"\)/);
  // A configuration for Collectors needs to know where they ship (this fleet has no fleet.collector.server_url).
  assert.throws(() => fleet.apply({ name: 'otel', body: '{}', selector: 'type=otelcol-contrib,role=x', author: 't' }), /set fleet\.collector\.server_url/);
  assert.doesNotThrow(() => fleet.apply({ name: 'us', body: '{}', selector: 'cluster=us', author: 't' }), 'disjoint selectors do not tie');
  // The same body and selector while it rolls out: the same version and rollout.
  const again = fleet.apply({ name: 'eu', body: 'pipeline: {detect_level: false}\n', selector: 'cluster=eu', author: 't' });
  assert.deepEqual([again.unchanged, again.version, again.rollout?.id], [true, 1, first.rollout!.id]);
  assert.throws(
    () => fleet.apply({ name: 'eu', body: 'pipeline: {detect_level: true}\n', author: 't' }),
    (e: Error & { status?: number }) => e.status === 409 && /rollout \d+ of version 1 running \(canary\)/.test(e.message),
  );
  assert.equal(fleet.history('eu').versions.length, 1, 'nothing stored by the refused applies');
});

test('rollback stores the old body as a new version, supersedes a running rollout, and history diffs consecutive versions', async (t) => {
  const fleet = fleetIn(t);
  const a = new SimAgent(fleet.controller, { host: 'n1' });
  await a.hello();
  const v1 = 'pipeline:\n  detect_level: true\n  drop_healthchecks: false\n';
  const v2 = 'pipeline:\n  detect_level: true\n  drop_healthchecks: true\n';
  const r1 = fleet.apply({ name: 'base', body: v1, windowMs: 0, author: 'alice', comment: 'first' });
  await a.heartbeat();
  await a.heartbeat();
  assert.equal(fleet.rollout(r1.rollout!.id).state, 'succeeded');
  a.policy = 'ignore';
  const r2 = fleet.apply({ name: 'base', body: v2, author: 'bob' });
  await a.heartbeat();
  assert.equal(fleet.rollout(r2.rollout!.id).phase, 'canary');
  a.policy = 'apply';
  const back = fleet.rollback('base', 1, 'carol');
  assert.equal(back.version, 3);
  const superseded = fleet.rollout(r2.rollout!.id);
  assert.equal(superseded.state, 'rolled_back');
  assert.equal(superseded.reason, 'superseded by a rollback to version 1');
  const h = fleet.history('base');
  assert.deepEqual(h.versions.map((v) => [v.version, v.author, v.comment]), [[1, 'alice', 'first'], [2, 'bob', ''], [3, 'carol', 'rollback to version 1']]);
  assert.equal(h.versions[0]!.diff, '');
  assert.equal(h.versions[1]!.diff, '-  drop_healthchecks: false\n+  drop_healthchecks: true\n'.replace(/^/, ' pipeline:\n   detect_level: true\n'));
  assert.equal(h.versions[2]!.hash, h.versions[0]!.hash);
  assert.throws(() => fleet.rollback('base', 9, 'x'), /has no version 9 \(its versions are 1 to 3\)/);
  assert.throws(() => fleet.rollback('nope', 1, 'x'), /no configuration named "nope"/);
});

test('a selector\'s type says which kind of agent it is for: none or logwharf-agent ours, collector every other type, any other value that type', () => {
  const configs = [
    { name: 'ours', selector: {} },
    { name: 'collectors', selector: { type: 'collector' } },
    { name: 'contrib-eu', selector: { type: 'otelcol-contrib', cluster: 'eu' } },
  ];
  const agent = (type: string, cluster = 'us') => ({ host: 'h', cluster, role: '', type });
  assert.equal(winningConfig(configs, agent('logwharf-agent'))?.name, 'ours');
  assert.equal(winningConfig(configs, agent('otelcol-contrib'))?.name, 'collectors');
  assert.equal(winningConfig(configs, agent('io.opentelemetry.collector'))?.name, 'collectors');
  assert.equal(winningConfig(configs, agent('otelcol-contrib', 'eu'))?.name, 'contrib-eu', 'the more specific selector wins');
  assert.equal(winningConfig(configs, agent('otelcol-k8s', 'eu'))?.name, 'collectors');
  assert.equal(winningConfig(configs, agent(''))?.name, undefined, 'an agent that has not described itself gets nothing');
  assert.equal(winningConfig([{ name: 'x', selector: { type: 'logwharf-agent' } }], agent('otelcol-contrib')), undefined);
  // Ties only within a kind.
  assert.equal(overlapping({}, { type: 'collector' }), false, 'different specificity');
  assert.equal(overlapping({ cluster: 'eu' }, { type: 'collector' }), false, 'ours and Collectors never tie');
  assert.equal(overlapping({ cluster: 'eu' }, { type: 'logwharf-agent' }), true);
  assert.equal(overlapping({ type: 'collector' }, { type: 'otelcol-contrib' }), true, 'collector covers every Collector type');
  assert.equal(overlapping({ type: 'otelcol-k8s' }, { type: 'otelcol-contrib' }), false);
  assert.equal(overlapping({ type: 'collector', role: 'a' }, { type: 'otelcol-contrib', cluster: 'eu' }), true);
});

test('a Collector configuration: rendered at apply, stored with the rendering\'s hash, re-applied unchanged; a configuration keeps its kind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-fleet-'));
  const fleet = createFleet({ staleAfterMs: 30_000, defaultWindowMs: 30_000, applyTimeoutMs: 60_000, collector: { serverUrl: 'http://logs:3100', tenant: 't1' } }, { dataDir: dir });
  fleet.start();
  t.after(() => (fleet.close(), rmSync(dir, { recursive: true, force: true })));
  const c = new SimAgent(fleet.controller, { host: 'n1', type: 'otelcol-contrib' });
  c.policy = 'ignore';
  await c.hello();
  const body = 'kubernetes: {enabled: "true"}\npipeline: {drop_healthchecks: true}\n';
  const r = fleet.apply({ name: 'otel', body, selector: 'type=collector', author: 't' });
  assert.ok(r.warnings.some((w) => /drop_healthchecks/.test(w)), JSON.stringify(r.warnings));
  assert.equal(fleet.versionBody('otel', 1), body, 'history keeps what was applied');
  await c.heartbeat();
  const offered = c.lastAnswer.remoteConfig!;
  assert.deepEqual(Object.keys(offered.files), ['']);
  assert.equal(offered.files['']!.contentType, 'text/yaml');
  assert.equal(offered.hash, r.hash);
  assert.match(offered.files['']!.body.toString(), /endpoint: http:\/\/logs:3100\/otlp/);
  assert.equal(fleet.apply({ name: 'otel', body, author: 't' }).unchanged, true);
  assert.throws(() => fleet.apply({ name: 'otel', body, selector: 'role=x', author: 't' }), /would move configuration "otel" from Collectors to logwharf-agent agents/);
  // Our agent's own rules still apply first: a bad regex is refused before any rendering.
  assert.throws(() => fleet.apply({ name: 'bad', body: 'pipeline: {drop: [{line: "("}]}\n', selector: 'type=otelcol-k8s', author: 't' }), /invalid remote configuration: .*pipeline\.drop\.0\.line/);
  // What the renderer refuses is refused at apply, with its message.
  assert.throws(() => fleet.apply({ name: 'none', body: 'kubernetes: {enabled: "false"}\ndocker: {enabled: "false"}\n', selector: 'type=otelcol-k8s,role=x', author: 't' }), /invalid remote configuration for Collectors: /);
});
