/**
 * The agent's configuration (src/config/agent.ts): defaults a Promtail user expects, file → env →
 * flags precedence, and malformed or hostile files rejected with a message that names the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientUrl, loadAgentConfig } from '../../../src/config/agent.js';

const dir = mkdtempSync(join(tmpdir(), 'logwharf-agent-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Runs fn with environment variables set, restoring them afterwards. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(vars)) {
    saved[k] = process.env[k];
    if (vars[k] === undefined) delete process.env[k];
    else process.env[k] = vars[k];
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const NO_ENV = { LOGWHARF_SERVER: undefined, LOGWHARF_AGENT_CONFIG: undefined, LOGWHARF_AGENT_DATA: undefined, NODE_NAME: undefined, KUBERNETES_SERVICE_HOST: undefined, LOGWHARF_LOG_LEVEL: undefined };

test('defaults: no server guessed (one must be named, as Promtail requires), protobuf+snappy, Docker and Kubernetes on when present', () => {
  const c = withEnv(NO_ENV, () => loadAgentConfig({}));
  assert.equal(c.client.url, undefined);
  assert.throws(() => clientUrl(c.client), /no server to ship to: pass --server URL \(or set LOGWHARF_SERVER, or client\.url in the --config file\)/);
  assert.equal(c.client.output, 'loki');
  assert.equal(c.client.encoding, 'protobuf');
  assert.equal(c.client.compression, 'none');
  assert.equal(c.client.batch_size, 1024 * 1024);
  assert.equal(c.docker.enabled, 'auto');
  assert.equal(c.kubernetes.enabled, 'auto');
  assert.equal(c.host, hostname());
  assert.equal(c.kubernetes.node_name, hostname(), 'the node is the host when NODE_NAME is unset');
  assert.equal(c.kubernetes.api_url, '', 'no in-cluster API outside a cluster');
  assert.equal(c.pipeline.detect_level, true);
  assert.equal(c.pipeline.drop_healthchecks, false, 'dropping lines is opt-in');
  assert.equal(c.buffer.enabled, false);
});

test('file, then environment, then flags', () => {
  const p = file('a.yaml', 'client:\n  url: http://from-file:3100\n  tenant_id: team-a\ndata: /var/lib/from-file\n');
  const fromFile = withEnv(NO_ENV, () => loadAgentConfig({ config: p }));
  assert.equal(fromFile.client.url, 'http://from-file:3100');
  assert.equal(fromFile.client.tenant_id, 'team-a');
  assert.equal(fromFile.data, '/var/lib/from-file');
  const fromEnv = withEnv({ ...NO_ENV, LOGWHARF_SERVER: 'http://from-env:3100', NODE_NAME: 'node-7' }, () => loadAgentConfig({ config: p }));
  assert.equal(fromEnv.client.url, 'http://from-env:3100');
  assert.equal(fromEnv.client.tenant_id, 'team-a', 'the rest of the client section is kept');
  assert.equal(fromEnv.kubernetes.node_name, 'node-7');
  const fromFlags = withEnv({ ...NO_ENV, LOGWHARF_SERVER: 'http://from-env:3100' }, () => loadAgentConfig({ config: p, server: 'https://from-flag', data: '/d' }));
  assert.equal(fromFlags.client.url, 'https://from-flag');
  assert.equal(fromFlags.data, '/d');
});

test('the server comes from --server, LOGWHARF_SERVER or client.url in the file: any one is enough', () => {
  const p = file('url.yaml', 'client:\n  url: http://from-file:3100\n');
  assert.equal(clientUrl(withEnv(NO_ENV, () => loadAgentConfig({ config: p })).client), 'http://from-file:3100');
  assert.equal(clientUrl(withEnv({ ...NO_ENV, LOGWHARF_SERVER: 'http://env:3100' }, () => loadAgentConfig({})).client), 'http://env:3100');
  assert.equal(clientUrl(withEnv(NO_ENV, () => loadAgentConfig({ server: 'http://flag:3100' })).client), 'http://flag:3100');
});

test('docker.enabled and kubernetes.enabled take YAML booleans as well as auto|true|false', () => {
  for (const [yaml, want] of [
    ['true', 'true'],
    ['false', 'false'],
    ['"true"', 'true'],
    ['auto', 'auto'],
  ] as const) {
    const p = file(`switch-${want}.yaml`, `docker:\n  enabled: ${yaml}\nkubernetes:\n  enabled: ${yaml}\n`);
    const c = withEnv(NO_ENV, () => loadAgentConfig({ config: p }));
    assert.equal(c.docker.enabled, want, yaml);
    assert.equal(c.kubernetes.enabled, want, yaml);
  }
  const bad = file('switch-bad.yaml', 'docker:\n  enabled: yes please\n');
  assert.throws(() => withEnv(NO_ENV, () => loadAgentConfig({ config: bad })), /docker\.enabled/);
});

test('in a cluster, the API address comes from the service environment', () => {
  const c = withEnv({ ...NO_ENV, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '6443' }, () => loadAgentConfig({}));
  assert.equal(c.kubernetes.api_url, 'https://10.0.0.1:6443');
  const v6 = withEnv({ ...NO_ENV, KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: undefined }, () => loadAgentConfig({}));
  assert.equal(v6.kubernetes.api_url, 'https://[fd00::1]:443');
});

test('malformed and hostile configuration is rejected with the key named', () => {
  const cases: Array<[string, RegExp]> = [
    ['client:\n  url: not a url\n', /client\.url/],
    ['client:\n  batch_wait: soon\n', /client\.batch_wait.*duration/],
    ['client:\n  output: kafka\n', /client\.output/],
    ['client:\n  external_labels:\n    "bad-name": x\n', /external_labels/],
    ['docker:\n  enabled: yes please\n', /docker\.enabled/],
    ['unknown_key: 1\n', /unknown_key|Unrecognized/i],
    ['files:\n  - labels: {job: x}\n', /files\.0\.paths/],
    ['files:\n  - paths: []\n', /files\.0\.paths/],
    ['pipeline:\n  multiline:\n    - selector: "{}"\n', /pipeline\.multiline\.0\.first_line/],
    ['pipeline:\n  drop:\n    - reason: "Not Allowed!"\n', /pipeline\.drop\.0\.reason/],
    ['max_line_bytes: -5\n', /max_line_bytes/],
    ['buffer:\n  max_bytes: 1.5\n', /buffer\.max_bytes/],
    ['- a\n- list\n', /mapping/],
    ['client: [unclosed\n', /not valid YAML/],
  ];
  for (const [text, re] of cases) {
    const p = file('bad.yaml', text);
    assert.throws(() => withEnv(NO_ENV, () => loadAgentConfig({ config: p })), re, text);
  }
  assert.throws(() => withEnv(NO_ENV, () => loadAgentConfig({ config: join(dir, 'missing.yaml') })), /cannot read config file/);
  assert.throws(() => withEnv(NO_ENV, () => loadAgentConfig({ server: 'ftp:/nope' })), /client\.url/);
  assert.throws(() => withEnv(NO_ENV, () => loadAgentConfig({ logLevel: 'loud' })), /log_level/);
});
