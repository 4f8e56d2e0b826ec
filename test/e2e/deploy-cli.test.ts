/**
 * `logwharf deploy` as a user runs it (the built CLI in a child process): it renders each path to a
 * directory or stdout, refuses bad targets, flags and values files with exit 2 and a clear message,
 * and the Compose files it writes pass Debian's `docker-compose config`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { runCli } from './helpers/server.js';
import { requireBinary } from '../helpers/peer-process.js';
import { agentConfigSchema } from '../../src/config/agent.js';

const REPO = new URL('../../', import.meta.url).pathname;
const COMPOSE = '/usr/bin/docker-compose';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lw-deploy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('deploy kubernetes --values writes the manifests with the values applied', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'values.yaml'), 'namespace: logs\nserver:\n  storage_size: 75Gi\ntokens:\n  enabled: true\n');
  const r = await runCli(['deploy', 'kubernetes', '--values', join(dir, 'values.yaml'), '--out', join(dir, 'k8s')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*k8s\/20-server\.yaml/);
  const server = parseAllDocuments(readFileSync(join(dir, 'k8s/20-server.yaml'), 'utf8')).map((d) => d.toJS());
  const sts = server.find((o) => o.kind === 'StatefulSet');
  assert.equal(sts.metadata.namespace, 'logs');
  assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '75Gi');
  const agent = parseAllDocuments(readFileSync(join(dir, 'k8s/30-agent.yaml'), 'utf8')).map((d) => d.toJS());
  const cfg = agentConfigSchema.parse(parse(agent.find((o) => o.kind === 'ConfigMap').data['agent.yaml']));
  assert.equal(cfg.client.url, 'http://logwharf.logs.svc:3100');
  assert.equal(cfg.client.bearer_token_file, '/etc/logwharf/token/token');
});

test('deploy kubernetes without --out prints one multi-document YAML stream kubectl can take, equal to deploy/k8s', async () => {
  const r = await runCli(['deploy', 'kubernetes']);
  assert.equal(r.code, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout);
  assert.deepEqual(docs.flatMap((d) => d.errors), []);
  const kinds = docs.map((d) => d.toJS()?.kind).filter(Boolean);
  assert.deepEqual(kinds, ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'StatefulSet', 'Service', 'Service', 'PodDisruptionBudget', 'NetworkPolicy', 'ConfigMap', 'DaemonSet', 'ConfigMap', 'ConfigMap', 'ConfigMap', 'ConfigMap', 'ConfigMap']);
  assert.ok(r.stdout.includes(readFileSync(join(REPO, 'deploy/k8s/30-agent.yaml'), 'utf8')));
});

test('bad targets, flags and values files exit 2 with a message naming the mistake', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'typo.yaml'), 'namespace: logs\nagent:\n  resources:\n    limits: {cpu: 100m, memroy: 128Mi}\n');
  writeFileSync(join(dir, 'broken.yaml'), 'namespace: "unterminated\n');
  const cases: [string[], RegExp][] = [
    [['deploy'], /name what to render: kubernetes, compose or grafana/],
    [['deploy', 'helm'], /unknown target "helm"/],
    [['deploy', 'pulumi'], /pulumi is not rendered: run the Pulumi program in deploy\/pulumi/],
    [['deploy', 'kubernetes', 'extra'], /unexpected argument "extra"/],
    [['deploy', 'kubernetes', '--outt', dir], /--outt/],
    [['deploy', 'kubernetes', '--out', ''], /--out needs a directory/],
    [['deploy', 'kubernetes', '--values', join(dir, 'missing.yaml')], /--values: cannot read config file .*missing\.yaml/],
    [['deploy', 'kubernetes', '--values', join(dir, 'typo.yaml')], /--values: invalid configuration in .*typo\.yaml: agent\.resources\.limits.*memroy/],
    [['deploy', 'compose', '--values', join(dir, 'broken.yaml')], /not valid YAML/],
  ];
  for (const [args, expected] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, expected, args.join(' '));
    assert.match(r.stderr, /logwharf deploy --help/);
  }
  const help = await runCli(['deploy', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--values FILE/);
});

test('the checked-in and a freshly rendered Compose file pass Debian\'s docker-compose config, every profile included', async (t) => {
  if (!requireBinary(t, COMPOSE, 'docker-compose')) return;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'values.yaml'), 'image: registry.example.com/logwharf:1.2.3\nalertmanager_url: http://alertmanager:9093\n');
  const r = await runCli(['deploy', 'compose', '--values', join(dir, 'values.yaml'), '--out', join(dir, 'compose')]);
  assert.equal(r.code, 0, r.stderr);
  const run = promisify(execFile);
  for (const file of [join(REPO, 'deploy/compose/docker-compose.yml'), join(dir, 'compose/docker-compose.yml')]) {
    const { stdout } = await run(COMPOSE, ['-f', file, '--profile', 'grafana', '--profile', 'alertmanager', '--profile', 'prometheus', 'config']);
    const cfg = parse(stdout);
    assert.deepEqual(Object.keys(cfg.services).sort(), ['alertmanager', 'grafana', 'logwharf', 'prometheus']);
    const lw = cfg.services.logwharf;
    assert.ok(lw.volumes.includes('/var/run/docker.sock:/var/run/docker.sock:ro'), JSON.stringify(lw.volumes));
    assert.ok(lw.volumes.includes('/var/lib/docker/containers:/var/lib/docker/containers:ro'), JSON.stringify(lw.volumes));
    assert.ok(lw.volumes.some((v: string) => v.startsWith('data:/var/lib/logwharf')));
    assert.equal(lw.read_only, true);
    assert.ok('data' in cfg.volumes);
    assert.deepEqual(cfg.services.grafana.profiles, ['grafana']);
    assert.deepEqual(cfg.services.alertmanager.profiles, ['alertmanager']);
    assert.deepEqual(cfg.services.prometheus.profiles, ['prometheus']);
  }
  const fresh = parse(readFileSync(join(dir, 'compose/docker-compose.yml'), 'utf8'));
  assert.equal(fresh.services.logwharf.image, 'registry.example.com/logwharf:1.2.3');
  assert.match(readFileSync(join(dir, 'compose/logwharf.yaml'), 'utf8'), /alertmanager_url: http:\/\/alertmanager:9093/);
  // Only logwharf has no profile, so a plain `up` starts it alone (docker-compose 1.29's
  // `config --services` lists profiled services too, so the profiles are asserted above instead).
  assert.deepEqual(Object.entries(fresh.services).filter(([, s]) => !(s as { profiles?: string[] }).profiles).map(([n]) => n), ['logwharf']);
});

test('docker-compose rejects a broken Compose file, so the check above can fail', async (t) => {
  if (!requireBinary(t, COMPOSE, 'docker-compose')) return;
  const dir = tempDir(t);
  const text = readFileSync(join(REPO, 'deploy/compose/docker-compose.yml'), 'utf8').replace('read_only: true', 'read_only: [oops]');
  writeFileSync(join(dir, 'docker-compose.yml'), text);
  await assert.rejects(promisify(execFile)(COMPOSE, ['-f', join(dir, 'docker-compose.yml'), 'config']), /read_only/);
});
